/* link.c -- maso_act_hardlink(), maso_act_delete(), maso_act_same_file(). */
#include "act_internal.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int maso_act_same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

int maso_act_hardlink(const char *kept, const char *path,
                      char err[MASO_ACT_ERRLEN])
{
    struct stat sk, sp;
    if (stat(kept, &sk) != 0)
        return act_fail(err, errno, "%s", kept);
    if (lstat(path, &sp) != 0)
        return act_fail(err, errno, "%s", path);
    if (!S_ISREG(sk.st_mode) || !S_ISREG(sp.st_mode))
        return act_fail(err, MASO_EINVAL_ARG, "%s: not a regular file",
                        S_ISREG(sk.st_mode) ? path : kept);
    if (sk.st_dev == sp.st_dev && sk.st_ino == sp.st_ino)
        return 0;
    if (sk.st_dev != sp.st_dev)
        return act_fail(err, EXDEV, "%s: cannot be a hard link to %s", path,
                        kept);
    /* A temporary name in the same folder, then an atomic rename. */
    char tmp[PATH_MAX];
    const char *slash = strrchr(path, '/');
    int dir_len = slash ? (int)(slash - path + 1) : 0;
    for (unsigned i = 0;; i++) {
        if (snprintf(tmp, sizeof tmp, "%.*s.maso-link-%ld-%u", dir_len, path,
                     (long)getpid(), i) >= (int)sizeof tmp)
            return act_fail(err, ENAMETOOLONG, "%s", path);
        if (link(kept, tmp) == 0)
            break;
        if (errno != EEXIST || i == 1000)
            return act_fail(err, errno, "linking %s to %s", tmp, kept);
    }
    if (rename(tmp, path) != 0) {
        int rc = errno;
        unlink(tmp);
        return act_fail(err, rc, "replacing %s by a link to %s", path, kept);
    }
    return 0;
}

int maso_act_delete(const char *path, char err[MASO_ACT_ERRLEN])
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return act_fail(err, errno, "%s", path);
    if (S_ISDIR(st.st_mode))
        return act_fail(err, EISDIR, "%s", path);
    if (unlink(path) != 0)
        return act_fail(err, errno, "%s", path);
    return 0;
}
