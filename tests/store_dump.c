/* store_dump.c -- print what an index holds, one line per record sorted by
 * path, so that two indexes can be compared with cmp(1) whatever their
 * ids, shard layout or the order their files were written in:
 *     PATH \t ok|failed \t SIZE \t MTIME_NS \t sha256(sketch) | REASON
 *          \t sha256(orientation sketches) | - (none kept)
 * DB is a single store or a sharded index (every shard, and the shard of
 * each record checked against the manifest's hash).  Used by the MPI
 * program tests: "the same store contents as one process". */
#include "maso.h"
#include "maso_shards.h"
#include "maso_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct dump {
    char **lines;
    size_t n, cap;
    const maso_shards *shards;
    size_t shard;
    size_t sketch_bytes;
    maso_store_view *view;      /* of the store being dumped */
    int misplaced;
} dump;

/* The hex SHA-256 of @p n bytes at @p p into @p hex (65 bytes). */
static void digest(const uint8_t *p, size_t n, char *hex)
{
    unsigned char h[32];
    maso_sha256 ctx;
    maso_sha256_init(&ctx);
    if (p)
        maso_sha256_update(&ctx, p, n);
    maso_sha256_final(&ctx, h);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", h[i]);
}

static int add(const maso_store_record *r, void *arg)
{
    dump *d = arg;
    if (d->shards && maso_shards_of_path(d->shards, r->path) != d->shard) {
        fprintf(stderr, "store_dump: %s is in shard %zu, its hash says "
                "%zu\n", r->path, d->shard,
                maso_shards_of_path(d->shards, r->path));
        d->misplaced = 1;
    }
    char value[1100], orients[65] = "-";
    if (r->status == MASO_RECORD_OK) {
        digest(r->sketch, d->sketch_bytes, value);
        /* the orientation sketches (maso_store_batch_put_oriented) */
        const uint8_t *o = NULL;
        int rc = maso_store_view_orients(d->view, r->id, &o);
        if (rc == 0)
            digest(o, MASO_STORE_ORIENTS * d->sketch_bytes, orients);
        else if (rc != MASO_ENOTFOUND)
            return 1;
    } else {
        snprintf(value, sizeof value, "%s", r->reason ? r->reason : "");
    }
    if (d->n == d->cap) {
        d->cap = d->cap ? 2 * d->cap : 256;
        d->lines = realloc(d->lines, d->cap * sizeof *d->lines);
        if (!d->lines)
            return 1;
    }
    size_t len = strlen(r->path) + strlen(value) + 136;
    char *line = malloc(len);
    if (!line)
        return 1;
    snprintf(line, len, "%s\t%s\t%llu\t%lld\t%s\t%s", r->path,
             r->status == MASO_RECORD_OK ? "ok" : "failed",
             (unsigned long long)r->size, (long long)r->mtime_ns, value,
             orients);
    d->lines[d->n++] = line;
    return 0;
}

static int dump_store(dump *d, const char *path)
{
    maso_store *s = NULL;
    if (maso_store_create(&s) != 0 ||
        maso_store_open(s, path, MASO_STORE_RDONLY, NULL) != 0 ||
        maso_store_check(s) != 0) {
        fprintf(stderr, "store_dump: %s: %s\n", path, maso_store_errmsg(s));
        maso_store_destroy(s);
        return 1;
    }
    d->sketch_bytes = maso_sketch_bytes(maso_store_sketch(s));
    int rc = maso_store_view_begin(s, 0, &d->view);
    if (!rc)
        rc = maso_store_foreach(s, MASO_STORE_WANT_SKETCH, add, d);
    if (rc)
        fprintf(stderr, "store_dump: %s: %s\n", path, maso_store_errmsg(s));
    maso_store_view_end(d->view);
    d->view = NULL;
    maso_store_destroy(s);
    return rc;
}

static int line_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: store_dump DB\n");
        return 2;
    }
    dump d;
    memset(&d, 0, sizeof d);
    int rc = 0;
    maso_shards *m = NULL;
    if (maso_shards_is_sharded(argv[1])) {
        if (maso_shards_create(&m) != 0 || maso_shards_open(m, argv[1])) {
            fprintf(stderr, "store_dump: %s\n", maso_shards_errmsg(m));
            return 2;
        }
        d.shards = m;
        for (d.shard = 0; !rc && d.shard < maso_shards_count(m); d.shard++)
            rc = dump_store(&d, maso_shards_location(m, d.shard));
    } else {
        rc = dump_store(&d, argv[1]);
    }
    if (d.n > 1)
        qsort(d.lines, d.n, sizeof *d.lines, line_cmp);
    for (size_t i = 0; i < d.n; i++) {
        puts(d.lines[i]);
        free(d.lines[i]);
    }
    free(d.lines);
    maso_shards_destroy(m);
    return rc || d.misplaced ? 2 : 0;
}
