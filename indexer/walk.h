/* walk.h -- the list of files maso-index is asked to index, and of what
 * it leaves out inside folders (so that nothing is skipped silently). */
#ifndef MASO_INDEXER_WALK_H
#define MASO_INDEXER_WALK_H

#include <stddef.h>
#include <stdio.h>

/* Why an entry found inside a folder is not indexed. */
typedef enum walk_skip {
    WALK_SKIP_OTHER,    /* a file that is not an image by its bytes or its
                           name (also devices, FIFOs, sockets) */
    WALK_SKIP_SYMLINK,  /* a symbolic link, not followed without -L */
    WALK_SKIP_HIDDEN,   /* a hidden file or folder (name starting with '.'),
                           or a thumbnail cache, trash or snapshot folder */
    WALK_SKIP_EXCLUDED, /* matched an --exclude pattern */
    WALK_SKIP_KINDS
} walk_skip;

/* One entry left out, and why. */
typedef struct walk_skipped {
    char *path;
    walk_skip why;
} walk_skipped;

/* A growing list of paths; each string is owned by the list.  Zero it to
 * start (walk_list l = {0} or memset). */
typedef struct walk_list {
    char **path;
    size_t count, capacity;
    walk_skipped *skipped; /* what the walk left out, with the reason */
    size_t n_skipped, cap_skipped;
} walk_list;

/* --exclude patterns (shell wildcards, fnmatch()): a pattern without '/'
 * matches a file's or folder's name at any depth ("*.tmp", "Backups");
 * one with '/' matches a whole absolute path, or a folder it lies in (a
 * relative one is taken from the current directory when it is added). */
typedef struct walk_patterns {
    char **pattern;
    size_t count, capacity;
} walk_patterns;

/* Add one pattern (copied).  0, ENOMEM, or EINVAL for an empty one. */
int walk_patterns_add(walk_patterns *p, const char *pattern);
/* Add the patterns of @p in, one a line; blank lines and lines starting
 * with '#' are ignored.  0, ENOMEM or EIO. */
int walk_patterns_read(walk_patterns *p, FILE *in);
/* True when absolute @p path, or a folder it lies in, is excluded. */
int walk_patterns_match(const walk_patterns *p, const char *path);
void walk_patterns_free(walk_patterns *p);

typedef struct walk_options {
    int follow_symlinks; /* follow symbolic links found while recursing */
    /* Called for each path that cannot be read while recursing (the walk
     * goes on); may be NULL. */
    void (*on_error)(void *opaque, const char *path, int err);
    void *opaque;
    /* Also walk hidden folders, thumbnail caches and trash (and hidden
     * files) found inside folders. */
    int include_hidden;
    const walk_patterns *exclude; /* may be NULL */
} walk_options;

/* Add @p path, made absolute (realpath), unless it is excluded (then it is
 * listed as skipped).  A regular file is added as is, whatever its type: it
 * was named, so failing to decode it is worth reporting.  A directory is
 * recursed: the files in it that look like images (by their bytes,
 * maso_format_detect(), or an image extension: a broken photo should be
 * reported) are added, the rest listed as skipped with the reason.
 * Returns 0 or an errno value (ENOMEM; the path itself missing). */
int walk_add(walk_list *list, const char *path, const walk_options *opt);

/* Add every path listed in @p in, separated by newlines or, when @p nul is
 * set, by NUL bytes (as find -print0 writes them).  Named paths are added
 * as with walk_add(). */
int walk_add_from(walk_list *list, FILE *in, int nul, const walk_options *opt);

/* Sort and drop duplicates (of paths and of skipped entries, e.g. from
 * overlapping folders), so that runs and counts are reproducible. */
void walk_finish(walk_list *list);

/* How many entries were skipped for @p why (after walk_finish()). */
size_t walk_skipped_count(const walk_list *list, walk_skip why);

/* A short description of @p why ("other file", "symbolic link"...). */
const char *walk_skip_name(walk_skip why);

void walk_free(walk_list *list);

#endif
