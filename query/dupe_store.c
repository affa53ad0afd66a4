/* dupe_store.c -- the stores follow what --duplicates did to the files:
 * a moved, trashed or deleted file's record is removed (a moved file has
 * left the collection: listing it again at its new place would bring it
 * back as a duplicate), a file replaced by a hard link gets the kept
 * file's sketch (and full code, orientation sketches). */
#include "dupes.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "maso_store.h"

typedef struct update {
    char *path;
    uint8_t *sketch, *code; /* link: copies; remove: NULL */
    uint8_t *orients;       /* link: a copy, or NULL (none kept) */
    uint64_t size;
    int64_t mtime_ns;
    int link;
} update;

struct dupe_updates {
    update *u;
    size_t n, cap;
};

int dupe_updates_create(dupe_updates **u)
{
    *u = calloc(1, sizeof **u);
    return *u ? 0 : ENOMEM;
}

void dupe_updates_destroy(dupe_updates *u)
{
    if (!u)
        return;
    for (size_t i = 0; i < u->n; i++) {
        free(u->u[i].path);
        free(u->u[i].sketch);
        free(u->u[i].code);
        free(u->u[i].orients);
    }
    free(u->u);
    free(u);
}

size_t dupe_updates_count(const dupe_updates *u) { return u->n; }

static update *push(dupe_updates *u, const char *path)
{
    if (u->n == u->cap) {
        size_t cap = u->cap ? 2 * u->cap : 16;
        update *grown = realloc(u->u, cap * sizeof *grown);
        if (!grown)
            return NULL;
        u->u = grown;
        u->cap = cap;
    }
    update *e = &u->u[u->n];
    memset(e, 0, sizeof *e);
    if (!(e->path = strdup(path)))
        return NULL;
    u->n++;
    return e;
}

int dupe_updates_remove(dupe_updates *u, const char *path)
{
    return push(u, path) ? 0 : ENOMEM;
}

static uint8_t *copy(const uint8_t *p, size_t n)
{
    uint8_t *c = malloc(n ? n : 1);
    if (c && n)
        memcpy(c, p, n);
    return c;
}

int dupe_updates_link(dupe_updates *u, const char *path,
                      const uint8_t *sketch, size_t sketch_bytes,
                      const uint8_t *code, size_t code_bytes,
                      const uint8_t *orients, uint64_t size,
                      int64_t mtime_ns)
{
    update *e = push(u, path);
    if (!e)
        return ENOMEM;
    e->link = 1;
    e->size = size;
    e->mtime_ns = mtime_ns;
    e->sketch = copy(sketch, sketch_bytes);
    e->code = code ? copy(code, code_bytes) : NULL;
    e->orients = orients ? copy(orients, MASO_STORE_ORIENTS * sketch_bytes)
                         : NULL;
    return e->sketch && (!code || e->code) && (!orients || e->orients)
               ? 0 : ENOMEM;
}

/* The updates of one store, in one batch. */
static int apply_one(dupe_updates *u, maso_store *s)
{
    maso_store_batch *b;
    int rc = maso_store_batch_begin(s, &b);
    int full = maso_store_get_identity(s)->full_codes;
    for (size_t i = 0; i < u->n && !rc; i++) {
        update *e = &u->u[i];
        maso_store_record old;
        int have = maso_store_get_by_path(s, e->path, 0, &old);
        if (have == MASO_ENOTFOUND)
            continue;
        if (have) {
            rc = have;
            break;
        }
        maso_store_record_free(&old);
        if (!e->link || (full && !e->code)) {
            /* Without a full code to store, the record goes; maso-index
             * codes the file again. */
            rc = maso_store_batch_delete(b, e->path);
            continue;
        }
        maso_store_record r;
        memset(&r, 0, sizeof r);
        r.path = e->path;
        r.size = e->size;
        r.mtime_ns = e->mtime_ns;
        r.status = MASO_RECORD_OK;
        r.sketch = full ? NULL : e->sketch;
        r.code = full ? e->code : NULL;
        rc = maso_store_batch_put_oriented(b, &r, e->orients);
    }
    if (rc) {
        maso_store_batch_abort(b);
        return rc;
    }
    return maso_store_batch_commit(b);
}

int dupe_updates_apply(dupe_updates *u, const char *const *dbs, size_t n)
{
    int status = 0;
    if (u->n == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        /* A store named twice is updated once: the second finds nothing. */
        maso_store *s = NULL;
        int rc = maso_store_create(&s);
        if (!rc)
            rc = maso_store_open(s, dbs[i], 0, NULL);
        if (!rc)
            rc = apply_one(u, s);
        if (rc) {
            char msg[MASO_CLI_ERRLEN];
            snprintf(msg, sizeof msg, "%s: the store could not be updated "
                     "(%s); the files were changed as reported: run "
                     "maso-index --prune on it", dbs[i],
                     s && *maso_store_errmsg(s) ? maso_store_errmsg(s)
                                                : maso_strerror(rc));
            maso_cli_print_error("maso-query", msg);
            status = -1;
        }
        maso_store_destroy(s);
    }
    return status;
}
