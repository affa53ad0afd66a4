/* move.c -- maso_act_move(): rename on one file system; across file
 * systems copy, flush, read back, compare, then remove the source.  The
 * destination name is claimed first (O_EXCL), so an existing file is never
 * replaced, even by a concurrent writer's file of the same name. */
#include "act_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#define CHUNK (1 << 16)

int act_fail(char err[MASO_ACT_ERRLEN], int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, MASO_ACT_ERRLEN, fmt, ap);
    va_end(ap);
    size_t n = strlen(err);
    snprintf(err + n, MASO_ACT_ERRLEN - n, ": %s", maso_strerror(rc));
    return rc;
}

int act_make_parents(const char *path)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return ENAMETOOLONG;
    char *slash = strrchr(buf, '/');
    if (!slash || slash == buf)
        return 0;
    *slash = '\0';
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return errno;
        *p = '/';
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST)
        return errno;
    struct stat st;
    if (stat(buf, &st) != 0)
        return errno;
    return S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
}

/* Write all of @p n bytes. */
static int write_all(int fd, const unsigned char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Read up to @p n bytes, short only at end of file; bytes read in *got. */
static int read_full(int fd, unsigned char *p, size_t n, size_t *got)
{
    *got = 0;
    while (*got < n) {
        ssize_t r = read(fd, p + *got, n - *got);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        if (r == 0)
            break;
        *got += (size_t)r;
    }
    return 0;
}

static int copy_data(int in, int out, unsigned char *buf)
{
    for (;;) {
        size_t got;
        int rc = read_full(in, buf, CHUNK, &got);
        if (rc)
            return rc;
        if (got == 0)
            return 0;
        if ((rc = write_all(out, buf, got)) != 0)
            return rc;
    }
}

/* Both files from their start: equal bytes?  0 equal, MASO_ECHECKSUM
 * different, or an errno. */
static int compare_data(int a, int b, unsigned char *buf)
{
    if (lseek(a, 0, SEEK_SET) < 0 || lseek(b, 0, SEEK_SET) < 0)
        return errno;
    unsigned char *other = buf + CHUNK;
    for (;;) {
        size_t na, nb;
        int rc = read_full(a, buf, CHUNK, &na);
        if (!rc)
            rc = read_full(b, other, CHUNK, &nb);
        if (rc)
            return rc;
        if (na != nb || memcmp(buf, other, na) != 0)
            return MASO_ECHECKSUM;
        if (na == 0)
            return 0;
    }
}

/* The cross-file-system move into the claimed (empty) @p out. */
static int copy_checked(const char *src, int in, const struct stat *st,
                        const char *dst, int out, char err[MASO_ACT_ERRLEN])
{
    unsigned char *buf = malloc(2 * CHUNK);
    if (!buf)
        return act_fail(err, ENOMEM, "%s", src);
    int rc = copy_data(in, out, buf);
    if (rc) {
        act_fail(err, rc, "copying %s to %s", src, dst);
        goto done;
    }
    if (fsync(out) != 0) {
        rc = act_fail(err, errno, "flushing %s", dst);
        goto done;
    }
    /* Read the copy back from the disk, not from the pages just written. */
    (void)posix_fadvise(out, 0, 0, POSIX_FADV_DONTNEED);
    rc = compare_data(in, out, buf);
    if (rc == MASO_ECHECKSUM) {
        act_fail(err, rc, "%s: the copy at %s differs from it", src, dst);
        goto done;
    }
    if (rc) {
        act_fail(err, rc, "%s: reading back its copy at %s", src, dst);
        goto done;
    }
    struct stat now;
    if (fstat(in, &now) != 0 || now.st_size != st->st_size ||
        now.st_mtim.tv_sec != st->st_mtim.tv_sec ||
        now.st_mtim.tv_nsec != st->st_mtim.tv_nsec) {
        rc = act_fail(err, EAGAIN, "%s changed while it was copied", src);
        goto done;
    }
    if (fchown(out, st->st_uid, st->st_gid) != 0 && errno != EPERM) {
        rc = act_fail(err, errno, "%s: setting its owner", dst);
        goto done;
    }
    struct timespec times[2] = { st->st_atim, st->st_mtim };
    if (fchmod(out, st->st_mode & 07777) != 0 || futimens(out, times) != 0)
        rc = act_fail(err, errno, "%s: setting its mode and times", dst);
done:
    free(buf);
    return rc;
}

int maso_act_move(const char *src, const char *dst, char err[MASO_ACT_ERRLEN])
{
    int in = open(src, O_RDONLY);
    if (in < 0)
        return act_fail(err, errno, "%s", src);
    struct stat st;
    int rc = 0;
    if (fstat(in, &st) != 0)
        rc = act_fail(err, errno, "%s", src);
    else if (!S_ISREG(st.st_mode))
        rc = act_fail(err, MASO_EINVAL_ARG, "%s: not a regular file", src);
    else if ((rc = act_make_parents(dst)) != 0)
        act_fail(err, rc, "%s: creating its folder", dst);
    if (rc) {
        close(in);
        return rc;
    }
    /* Claim the name: an existing file is never replaced. */
    int out = open(dst, O_RDWR | O_CREAT | O_EXCL, 0600);
    if (out < 0) {
        rc = act_fail(err, errno, "%s", dst);
        close(in);
        return rc;
    }
    if (rename(src, dst) == 0) {
        close(out);
        close(in);
        return 0;
    }
    if (errno != EXDEV) {
        rc = act_fail(err, errno, "moving %s to %s", src, dst);
    } else {
        rc = copy_checked(src, in, &st, dst, out, err);
    }
    if (close(out) != 0 && !rc)
        rc = act_fail(err, errno, "writing %s", dst);
    if (!rc && unlink(src) != 0)
        rc = act_fail(err, errno, "%s was copied to %s but cannot be "
                      "removed; the copy was removed", src, dst);
    if (rc)
        unlink(dst); /* ours: claimed above */
    close(in);
    return rc;
}

int maso_act_move_target(const char *dir, const char *base, const char *path,
                         char *out, size_t len)
{
    size_t nb = base ? strlen(base) : 0;
    while (nb > 1 && base[nb - 1] == '/')
        nb--;
    const char *rel = path;
    if (nb && strncmp(path, base, nb) == 0 &&
        (path[nb] == '/' || (nb == 1 && base[0] == '/')) && path[nb + 1])
        rel = path + nb;
    while (*rel == '/')
        rel++;
    size_t nd = strlen(dir);
    while (nd > 1 && dir[nd - 1] == '/')
        nd--;
    int n = snprintf(out, len, "%.*s/%s", (int)nd, dir, rel);
    return n < 0 || (size_t)n >= len ? ENAMETOOLONG : 0;
}
