/* dupes.h -- maso-query --duplicates beyond finding the groups: what each
 * member is (size, dimensions, mtime, distance to the member kept), which
 * member a group keeps (--keep, --reference), and what happens to the
 * others (--move-to, --trash, --hardlink, --delete, --dry-run). */
#ifndef MASO_QUERY_DUPES_H
#define MASO_QUERY_DUPES_H

#include <stddef.h>
#include <stdint.h>

#include "maso_cli.h"

/* Which member of a group stays (--keep). */
typedef enum dupe_keep {
    DUPE_KEEP_LARGEST = 0, /* most pixels, then most bytes (default) */
    DUPE_KEEP_SMALLEST,    /* fewest pixels, then fewest bytes */
    DUPE_KEEP_OLDEST,      /* earliest mtime */
    DUPE_KEEP_NEWEST,      /* latest mtime */
    DUPE_KEEP_FIRST        /* first path in byte order */
} dupe_keep;

/* What happens to the members not kept. */
typedef enum dupe_action {
    DUPE_ACTION_NONE = 0, /* list only: nothing changes */
    DUPE_ACTION_MOVE,     /* --move-to DIR */
    DUPE_ACTION_TRASH,    /* --trash */
    DUPE_ACTION_HARDLINK, /* --hardlink: replaced by a link to the kept */
    DUPE_ACTION_DELETE    /* --delete */
} dupe_action;

/* What a member is in its group. */
typedef enum dupe_role {
    DUPE_ROLE_KEEP = 0,  /* the member that stays */
    DUPE_ROLE_DUPLICATE, /* acted on (when an action is given) */
    DUPE_ROLE_REFERENCE, /* under --reference: never touched */
    DUPE_ROLE_LINKED,    /* already the same file as the kept one */
    DUPE_ROLE_CHANGED,   /* size or mtime differ from the store: left */
    DUPE_ROLE_MISSING    /* cannot be reached any more: left */
} dupe_role;

/* The outcome of the action on one member. */
typedef enum dupe_outcome {
    DUPE_OUTCOME_NONE = 0, /* no action for this member */
    DUPE_OUTCOME_DONE,
    DUPE_OUTCOME_DRY_RUN,  /* would be done */
    DUPE_OUTCOME_FAILED    /* left where it was; error says why */
} dupe_outcome;

typedef struct dupe_options {
    dupe_keep keep;
    char **references;       /* --reference DIRs, resolved; malloc'ed */
    size_t n_references;
    dupe_action action;
    const char *move_to;     /* --move-to DIR */
    int dry_run;             /* --dry-run */
} dupe_options;

typedef struct dupe_member {
    const char *path;        /* into the views */
    uint64_t id;             /* tagged store id */
    uint64_t record_size;    /* as indexed */
    int64_t record_mtime_ns;
    int present;             /* stat() succeeded */
    uint64_t size;           /* now */
    int64_t mtime_ns;
    uint64_t dev, ino;
    int width, height;       /* 0: unknown */
    double distance;         /* to the kept member */
    dupe_role role;
    dupe_outcome outcome;
    char *to;                /* destination (move, trash), malloc'ed */
    char *error;             /* FAILED: why, malloc'ed */
} dupe_member;

typedef struct dupe_group {
    dupe_member *members;
    size_t n;
    size_t keep;             /* index of the kept member */
    double max_distance;
} dupe_group;

/* qsort orders: members by path, then id; groups by their first member's
 * path (the output's order, whatever the order of indexing). */
int dupe_member_cmp(const void *a, const void *b);
int dupe_group_cmp(const void *a, const void *b);

/* Parse --keep's value; 0, or -1 for an unknown policy. */
int dupe_keep_parse(const char *text, dupe_keep *keep);
const char *dupe_keep_name(dupe_keep keep);
const char *dupe_role_name(dupe_role role);
const char *dupe_action_name(dupe_action action);

/* Fill in what the file system says of each member (present, size, mtime,
 * device, inode, dimensions). */
void dupe_members_stat(dupe_group *g);

/* Choose the kept member and every member's role (dupe_keep.c): the kept
 * one is among the references when the group has any, else among the
 * present, unchanged members, by @p o->keep; ties go to the first path. */
void dupe_group_choose(dupe_group *g, const dupe_options *o);

/* 1 when @p path lies under one of the --reference folders. */
int dupe_is_reference(const dupe_options *o, const char *path);

/* Width and height of the image at @p path as stored (PNG and JPEG from
 * their headers, before EXIF orientation; other formats by decoding);
 * 0 when they cannot be read. */
int image_size_read(const char *path, int *width, int *height);

/* Store updates that follow the actions (dupe_store.c): queued while the
 * stores are open read-only, applied after they are closed (LMDB allows
 * one handle per process on a store). */
typedef struct dupe_updates dupe_updates;

int dupe_updates_create(dupe_updates **u);
void dupe_updates_destroy(dupe_updates *u);
/* The record of @p path goes (moved, trashed, deleted). */
int dupe_updates_remove(dupe_updates *u, const char *path);
/* @p path is now the file @p kept_path (hardlink): its record becomes a
 * copy of the kept one's sketch (and full code when @p code is not NULL,
 * orientation sketches, MASO_STORE_ORIENTS * sketch_bytes, when @p orients
 * is not NULL), with the file's new size and mtime. */
int dupe_updates_link(dupe_updates *u, const char *path,
                      const uint8_t *sketch, size_t sketch_bytes,
                      const uint8_t *code, size_t code_bytes,
                      const uint8_t *orients, uint64_t size,
                      int64_t mtime_ns);
size_t dupe_updates_count(const dupe_updates *u);
/* Apply to every store of @p dbs (each opened for writing in turn); 0, or
 * -1 after printing which store could not be updated and how to repair
 * it (maso-index --prune). */
int dupe_updates_apply(dupe_updates *u, const char *const *dbs, size_t n);

/* Carry out (or, with --dry-run, describe) the action on every DUPLICATE
 * member of @p g (dupe_act.c): outcomes, destinations and errors are set
 * on the members; what was done is queued in @p u.  @p cwd is where
 * --move-to's relative paths start.  Returns the number of failures. */
struct session;
size_t dupe_group_act(struct session *s, dupe_group *g, const dupe_options *o,
                      const char *cwd, dupe_updates *u);

#endif
