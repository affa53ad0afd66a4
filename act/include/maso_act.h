/*
 * maso_act.h -- acting on the user's files safely: move (copy, check and
 * remove across file systems), move to the freedesktop.org trash, replace
 * by a hard link, delete.  What maso-query --duplicates does with the
 * members of a group it does not keep.
 *
 * The promise of every function here: a file is never lost.  A move that
 * fails leaves the source where it was and removes whatever it had
 * written; an existing destination is never overwritten; a copy is
 * compared byte for byte with its source (read back from the disk, after
 * fsync) before the source is removed.
 *
 * Conventions of core/include/maso.h: functions return 0, a negative MASO_* code
 * or a positive errno value; they never print and never exit; the message
 * of a failure, naming the file and the cause, is written into the
 * caller's @p err buffer (MASO_ACT_ERRLEN bytes).  No global state: the
 * functions may run in several threads at once (on different files).
 */
#ifndef MASO_ACT_H
#define MASO_ACT_H

#include <stddef.h>

#include "maso.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Size of the message buffers below. */
#define MASO_ACT_ERRLEN 1024

/**
 * Move the regular file @p src to @p dst, which must not exist (EEXIST);
 * missing parent directories of @p dst are created (mode 0777 & ~umask).
 * On one file system the file is renamed; across file systems (EXDEV) it
 * is copied into @p dst, flushed to the disk, read back and compared with
 * @p src, given @p src's mode, owner (when permitted) and times, and only
 * then is @p src removed.  On any failure @p src is left in place and
 * nothing is left at @p dst (except parent directories that were created).
 */
int maso_act_move(const char *src, const char *dst, char err[MASO_ACT_ERRLEN]);

/**
 * Move @p path (absolute) to the trash, following the freedesktop.org
 * Trash specification 1.0: the home trash ($XDG_DATA_HOME/Trash, default
 * ~/.local/share/Trash) when the file is on its file system, else the trash
 * of the file's top directory ($topdir/.Trash/$uid when $topdir/.Trash is a
 * sticky directory that is not a symbolic link, else $topdir/.Trash-$uid),
 * and the home trash (a copying move, as maso_act_move()) when neither can
 * be used.  A "NAME.trashinfo" file (Path: URL-escaped, absolute or
 * relative to the top directory; DeletionDate: local time) is written
 * first, then the file moved to files/NAME, NAME being the file's name made
 * unique with a ".N" suffix before its extension.  @p trashed_to, when not
 * NULL, receives the path of the file in the trash (@p len bytes).
 */
int maso_act_trash(const char *path, char *trashed_to, size_t len,
                   char err[MASO_ACT_ERRLEN]);

/**
 * Replace @p path by a hard link to @p kept: a link is made beside @p path
 * under a temporary name and renamed over it (atomic: at every moment
 * @p path names either the old file or @p kept's).  Both must be on one
 * file system (EXDEV otherwise).  Returns 0 and does nothing when they are
 * already the same file.
 */
int maso_act_hardlink(const char *kept, const char *path,
                      char err[MASO_ACT_ERRLEN]);

/** Remove the file @p path (unlink). */
int maso_act_delete(const char *path, char err[MASO_ACT_ERRLEN]);

/** 1 when @p a and @p b name the same file (device and inode), else 0
 *  (also when either cannot be reached). */
int maso_act_same_file(const char *a, const char *b);

/**
 * Where --move-to @p dir puts @p path (absolute): @p dir followed by the
 * path relative to @p base when @p path lies under @p base (normally the
 * current directory), else by the whole path without its leading '/':
 * the folder structure is kept, and two files never get one destination.
 * ENAMETOOLONG when it does not fit in @p len bytes.
 */
int maso_act_move_target(const char *dir, const char *base, const char *path,
                         char *out, size_t len);

#ifdef __cplusplus
}
#endif
#endif /* MASO_ACT_H */
