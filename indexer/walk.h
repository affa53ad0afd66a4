/* walk.h -- the list of files maso-index is asked to index. */
#ifndef MASO_INDEXER_WALK_H
#define MASO_INDEXER_WALK_H

#include <stddef.h>
#include <stdio.h>

/* A growing list of paths; each string is owned by the list. */
typedef struct walk_list {
    char **path;
    size_t count, capacity;
} walk_list;

typedef struct walk_options {
    int follow_symlinks; /* follow symbolic links found while recursing */
    /* Called for each path that cannot be read while recursing (the walk
     * goes on); may be NULL. */
    void (*on_error)(void *opaque, const char *path, int err);
    void *opaque;
} walk_options;

/* Add @p path, made absolute (realpath): a regular file is added as is (whatever its type: it was
 * named, so failing to decode it is worth reporting); a directory is
 * recursed, and the files in it are added when they look like images (a
 * PNG or JPEG signature, or a .png/.jpg/.jpeg/.jpe/.jfif name: a broken
 * photo should be reported, a text file next to it should not).  A path
 * that cannot be resolved (missing, dangling symlink, loop, name too long)
 * is added as named, made absolute, so that its failure gets recorded.
 * Returns 0 or an errno value (ENOMEM; stat() failing on a resolved path). */
int walk_add(walk_list *list, const char *path, const walk_options *opt);

/* Add every path listed in @p in, separated by newlines or, when @p nul is
 * set, by NUL bytes (as find -print0 writes them).  Named paths are added
 * as with walk_add(). */
int walk_add_from(walk_list *list, FILE *in, int nul, const walk_options *opt);

/* Sort and drop duplicates, so that runs are reproducible. */
void walk_finish(walk_list *list);

void walk_free(walk_list *list);

#endif
