/* trash.c -- maso_act_trash(): the freedesktop.org Trash specification
 * (version 1.0), so that the desktop's file manager lists, restores and
 * empties what maso put there.  The .trashinfo file is created first
 * (O_EXCL reserves the name, as the specification requires), then the
 * file is moved; when the move fails the info file is removed again. */
#include "act_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* A trash directory and how paths are written in its info files. */
typedef struct trash_dir {
    char dir[PATH_MAX];
    const char *topdir; /* NULL: Path= is absolute (home trash) */
} trash_dir;

static int ensure_dir(const char *path, mode_t mode)
{
    if (mkdir(path, mode) == 0)
        return 0;
    if (errno != EEXIST)
        return errno;
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno;
    return S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
}

/* DIR, DIR/files and DIR/info. */
static int ensure_trash(const char *dir)
{
    char sub[PATH_MAX];
    int rc = act_make_parents(dir);
    if (!rc)
        rc = ensure_dir(dir, 0700);
    for (int i = 0; i < 2 && !rc; i++) {
        if (snprintf(sub, sizeof sub, "%s/%s", dir, i ? "info" : "files") >=
            (int)sizeof sub)
            return ENAMETOOLONG;
        rc = ensure_dir(sub, 0700);
    }
    return rc;
}

static int home_trash(trash_dir *t)
{
    const char *xdg = getenv("XDG_DATA_HOME");
    const char *home = getenv("HOME");
    int n;
    if (xdg && xdg[0] == '/')
        n = snprintf(t->dir, sizeof t->dir, "%s/Trash", xdg);
    else if (home && home[0] == '/')
        n = snprintf(t->dir, sizeof t->dir, "%s/.local/share/Trash", home);
    else
        return ENOENT;
    t->topdir = NULL;
    return n >= (int)sizeof t->dir ? ENAMETOOLONG : 0;
}

/* The mount point of the file system holding @p path (absolute): the
 * highest ancestor on the same device. */
static int top_directory(const char *path, dev_t dev, char *top, size_t len)
{
    char cur[PATH_MAX];
    if (snprintf(cur, sizeof cur, "%s", path) >= (int)sizeof cur)
        return ENAMETOOLONG;
    for (;;) {
        char *slash = strrchr(cur, '/');
        struct stat st;
        if (!slash)
            return ENOENT;
        if (slash == cur) {
            const char *t = stat("/", &st) == 0 && st.st_dev == dev ? "/"
                                                                    : cur;
            return snprintf(top, len, "%s", t) >= (int)len ? ENAMETOOLONG : 0;
        }
        *slash = '\0'; /* cur is now the parent */
        if (stat(cur, &st) != 0 || st.st_dev != dev) {
            *slash = '/'; /* back to the child, the highest on dev */
            return snprintf(top, len, "%s", cur) >= (int)len ? ENAMETOOLONG
                                                             : 0;
        }
    }
}

/* The top directory's trash for a file on device @p dev (spec: (1)
 * $topdir/.Trash/$uid when .Trash is a sticky, non-symlink directory,
 * else (2) $topdir/.Trash-$uid). */
static int topdir_trash(trash_dir *t, char *top, const char *path, dev_t dev)
{
    int rc = top_directory(path, dev, top, PATH_MAX);
    if (rc)
        return rc;
    const char *sep = strcmp(top, "/") == 0 ? "" : "/";
    char shared[PATH_MAX];
    snprintf(shared, sizeof shared, "%s%s.Trash", top, sep);
    struct stat st;
    unsigned uid = (unsigned)getuid();
    t->topdir = top;
    if (lstat(shared, &st) == 0 && S_ISDIR(st.st_mode) &&
        (st.st_mode & S_ISVTX)) {
        if (snprintf(t->dir, sizeof t->dir, "%s/%u", shared, uid) <
                (int)sizeof t->dir && ensure_trash(t->dir) == 0)
            return 0;
    }
    if (snprintf(t->dir, sizeof t->dir, "%s%s.Trash-%u", top, sep, uid) >=
        (int)sizeof t->dir)
        return ENAMETOOLONG;
    if ((rc = ensure_trash(t->dir)) != 0)
        return rc;
    if (lstat(t->dir, &st) != 0)
        return errno;
    return S_ISDIR(st.st_mode) && st.st_uid == getuid() ? 0 : EPERM;
}

/* RFC 2396 escaping of a path (the spec's Path= key). */
static void url_escape(FILE *f, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
            (*p >= '0' && *p <= '9') || strchr("-_.!~*'()/", *p))
            fputc(*p, f);
        else
            fprintf(f, "%%%c%c", hex[*p >> 4], hex[*p & 15]);
    }
}

/* Name number @p i (0: the file's own name) for @p base: "stem.i.ext". */
static int trash_name(const char *base, unsigned i, char *out, size_t len)
{
    if (i == 0)
        return snprintf(out, len, "%s", base) >= (int)len ? ENAMETOOLONG : 0;
    const char *dot = strrchr(base, '.');
    if (!dot || dot == base)
        dot = base + strlen(base);
    int n = snprintf(out, len, "%.*s.%u%s", (int)(dot - base), base, i, dot);
    return n >= (int)len ? ENAMETOOLONG : 0;
}

/* Create info/NAME.trashinfo with O_EXCL for the first free NAME. */
static int write_info(const trash_dir *t, const char *path, char *name,
                      size_t name_len, char *info, size_t info_len)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    for (unsigned i = 0; i < 10000; i++) {
        int rc = trash_name(base, i, name, name_len);
        if (rc)
            return rc;
        if (snprintf(info, info_len, "%s/info/%s.trashinfo", t->dir, name) >=
            (int)info_len)
            return ENAMETOOLONG;
        char files[PATH_MAX];
        if (snprintf(files, sizeof files, "%s/files/%s", t->dir, name) >=
            (int)sizeof files)
            return ENAMETOOLONG;
        struct stat st;
        if (lstat(files, &st) == 0)
            continue; /* a file without info: keep away from it */
        int fd = open(info, O_WRONLY | O_CREAT | O_EXCL, 0600);
        if (fd < 0) {
            if (errno == EEXIST)
                continue;
            return errno;
        }
        FILE *f = fdopen(fd, "w");
        if (!f) {
            rc = errno;
            close(fd);
            unlink(info);
            return rc;
        }
        const char *shown = path;
        if (t->topdir) {
            size_t n = strlen(t->topdir);
            shown = strcmp(t->topdir, "/") == 0 ? path + 1 : path + n + 1;
        }
        time_t now = time(NULL);
        struct tm tm;
        char date[32];
        localtime_r(&now, &tm);
        strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
        fputs("[Trash Info]\nPath=", f);
        url_escape(f, shown);
        fprintf(f, "\nDeletionDate=%s\n", date);
        rc = fflush(f) != 0 || ferror(f) ? errno ? errno : EIO : 0;
        if (!rc && fsync(fd) != 0)
            rc = errno;
        if (fclose(f) != 0 && !rc)
            rc = errno;
        if (rc)
            unlink(info);
        return rc;
    }
    return EEXIST;
}

/* Trash @p path into @p t; 0 or an error (err set). */
static int trash_into(const trash_dir *t, const char *path, char *trashed_to,
                      size_t len, char err[MASO_ACT_ERRLEN])
{
    char name[NAME_MAX + 1], info[PATH_MAX], dst[PATH_MAX];
    int rc = ensure_trash(t->dir);
    if (!rc)
        rc = write_info(t, path, name, sizeof name, info, sizeof info);
    if (rc)
        return act_fail(err, rc, "%s: the trash %s", path, t->dir);
    if (snprintf(dst, sizeof dst, "%s/files/%s", t->dir, name) >=
        (int)sizeof dst) {
        unlink(info);
        return act_fail(err, ENAMETOOLONG, "%s", path);
    }
    rc = maso_act_move(path, dst, err);
    if (rc) {
        unlink(info);
        return rc;
    }
    if (trashed_to)
        snprintf(trashed_to, len, "%s", dst);
    return 0;
}

int maso_act_trash(const char *path, char *trashed_to, size_t len,
                   char err[MASO_ACT_ERRLEN])
{
    struct stat st, hs;
    if (path[0] != '/')
        return act_fail(err, MASO_EINVAL_ARG, "%s: not an absolute path",
                        path);
    if (lstat(path, &st) != 0)
        return act_fail(err, errno, "%s", path);
    trash_dir home;
    int rc = home_trash(&home);
    if (rc)
        return act_fail(err, rc, "%s: no home trash (set HOME or "
                        "XDG_DATA_HOME)", path);
    /* The home trash's device: it, or its nearest existing ancestor. */
    char probe[PATH_MAX];
    snprintf(probe, sizeof probe, "%s", home.dir);
    while (stat(probe, &hs) != 0) {
        char *slash = strrchr(probe, '/');
        if (!slash || slash == probe) {
            snprintf(probe, sizeof probe, "/");
            if (stat(probe, &hs) != 0)
                return act_fail(err, errno, "/");
            break;
        }
        *slash = '\0';
    }
    if (hs.st_dev == st.st_dev)
        return trash_into(&home, path, trashed_to, len, err);
    char top[PATH_MAX];
    trash_dir t;
    if (topdir_trash(&t, top, path, st.st_dev) == 0 &&
        trash_into(&t, path, trashed_to, len, err) == 0)
        return 0;
    /* The spec allows the home trash as the fallback: a copying move. */
    return trash_into(&home, path, trashed_to, len, err);
}
