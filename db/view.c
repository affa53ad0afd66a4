/*
 * view.c -- a read snapshot of the store as maso_search segments.
 *
 * Beginning a view walks the "blocks" table once (one cursor step per
 * block of B records) and turns every run of present slots into a
 * segment pointing into the memory map: sketches at the block's stride,
 * summaries packed, ids from one array the view owns.  Record lookups
 * (paths of results) are single mdb_get calls in the same snapshot, with
 * strings pointing into the map (records store a NUL after each string).
 *
 * Should a block's sketches not be 64-byte aligned in the map (an LMDB
 * build with another page header size), the view copies that block into
 * aligned memory it owns and serves everything of that block from the
 * copy, so callers always get aligned sketches.
 */
#include "store_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define ID_MASK ((1ull << MASO_STORE_TAG_SHIFT) - 1)

typedef struct view_copy {
    uint64_t number;
    uint8_t *value; /* aligned copy of the block value */
} view_copy;

struct maso_store_view {
    maso_store *store;
    MDB_txn *txn;
    uint64_t tag;   /* already shifted */
    maso_search_segment *segs;
    size_t n_segs, cap_segs;
    uint64_t *ids;
    uint64_t count, max_count;
    view_copy *copies; /* in block order (the walk's order) */
    size_t n_copies;
};

int store_search_make(maso_store *s, const maso_sketch *sketch,
                      maso_search **search)
{
    const maso_code_layer *layers;
    size_t n = maso_sketch_layers(sketch, &layers);
    int rc = maso_search_create(layers, n, search);
    if (rc)
        return store_fail(s, rc, "%s: no search engine for the sketch "
                          "layout: %s", s->path ? s->path : "store",
                          *search ? maso_search_errmsg(*search)
                                  : maso_strerror(rc));
    return 0;
}

int maso_store_search_create(maso_store *store, maso_search **search)
{
    if (!store || !search)
        return MASO_EINVAL_ARG;
    *search = NULL;
    if (!store->env)
        return store_fail(store, MASO_EINVAL_ARG, "store not open");
    int rc = store_search_make(store, store->sketch, search);
    if (rc == 0 && maso_search_summary_bytes(*search) != store->summary_bytes)
        rc = store_fail(store, MASO_EMISMATCH, "%s: summary size differs",
                        store->path);
    if (rc) {
        maso_search_destroy(*search);
        *search = NULL;
    }
    return store_status(rc);
}

static int add_segment(maso_store_view *v, const store_block *b, size_t from,
                       size_t to)
{
    maso_store *s = v->store;
    if (v->count + (to - from) > v->max_count)
        return store_fail(s, MASO_EDATA, "%s: more sketches than the %llu "
                          "OK records counted", s->path,
                          (unsigned long long)v->max_count);
    if (v->n_segs == v->cap_segs) {
        size_t cap = v->cap_segs ? v->cap_segs * 2 : 256;
        maso_search_segment *g = realloc(v->segs, cap * sizeof *g);
        if (!g)
            return store_fail(s, ENOMEM, "out of memory");
        v->segs = g;
        v->cap_segs = cap;
    }
    uint64_t *ids = v->ids + v->count;
    uint64_t first = b->number * s->block_records;
    for (size_t i = from; i < to; i++)
        ids[i - from] = v->tag | (first + i);
    maso_search_segment g = {b->sketches + from * s->stride, s->stride,
                             to - from, ids,
                             b->summaries + from * s->summary_bytes};
    v->segs[v->n_segs++] = g;
    v->count += to - from;
    return 0;
}

/* Serve block @p b from an aligned copy owned by the view. */
static int copy_block(maso_store_view *v, store_block *b)
{
    maso_store *s = v->store;
    view_copy *c = realloc(v->copies, (v->n_copies + 1) * sizeof *c);
    if (!c)
        return store_fail(s, ENOMEM, "out of memory");
    v->copies = c;
    /* The value starts 16 bytes after a 64-byte boundary, as in the map. */
    size_t size = (16 + b->size + 63) / 64 * 64;
    uint8_t *mem = aligned_alloc(64, size);
    if (!mem)
        return store_fail(s, ENOMEM, "out of memory");
    memcpy(mem + 16, b->value, b->size);
    c[v->n_copies].number = b->number;
    c[v->n_copies].value = mem;
    v->n_copies++;
    MDB_val val = {b->size, mem + 16};
    return store_block_parse(s, b->number, &val, b);
}

static int walk_blocks(maso_store_view *v)
{
    maso_store *s = v->store;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(v->txn, s->dbi_blocks, &cur);
    if (rc)
        return store_mdb(s, rc, "view cursor");
    MDB_val k, val;
    int mrc = mdb_cursor_get(cur, &k, &val, MDB_FIRST);
    while (mrc == 0 && rc == 0) {
        store_block b;
        uint64_t number = store_key_id(&k);
        if (k.mv_size != 8)
            rc = store_fail(s, MASO_EDATA, "%s: malformed block key",
                            s->path);
        if (!rc)
            rc = store_block_parse(s, number, &val, &b);
        if (!rc && (uintptr_t)b.sketches % 64)
            rc = copy_block(v, &b);
        for (size_t i = 0; i < s->block_records && !rc;) {
            if (!store_block_has(&b, i)) {
                i++;
                continue;
            }
            size_t j = i + 1;
            while (j < s->block_records && store_block_has(&b, j))
                j++;
            rc = add_segment(v, &b, i, j);
            i = j;
        }
        if (!rc)
            mrc = mdb_cursor_get(cur, &k, &val, MDB_NEXT);
    }
    if (!rc && mrc != MDB_NOTFOUND)
        rc = store_mdb(s, mrc, "view blocks");
    mdb_cursor_close(cur);
    return rc;
}

int maso_store_view_begin(maso_store *store, unsigned tag,
                          maso_store_view **view)
{
    if (!store || !view)
        return MASO_EINVAL_ARG;
    *view = NULL;
    if (!store->env)
        return store_fail(store, MASO_EINVAL_ARG, "store not open");
    if (tag >= 1u << (64 - MASO_STORE_TAG_SHIFT))
        return store_fail(store, MASO_EINVAL_ARG, "view tag %u too large",
                          tag);
    maso_store_view *v = calloc(1, sizeof *v);
    if (!v)
        return store_fail(store, ENOMEM, "out of memory");
    v->store = store;
    v->tag = (uint64_t)tag << MASO_STORE_TAG_SHIFT;
    int rc = store_scan_txn_begin(store, &v->txn);
    if (rc) {
        free(v);
        return store_status(rc);
    }
    store_counters c;
    rc = store_counters_read(store, v->txn, &c);
    if (!rc) {
        v->max_count = c.ok;
        v->ids = malloc((c.ok ? c.ok : 1) * sizeof *v->ids);
        if (!v->ids)
            rc = store_fail(store, ENOMEM, "out of memory for %llu ids",
                            (unsigned long long)c.ok);
    }
    if (!rc)
        rc = walk_blocks(v);
    if (!rc && v->count != v->max_count)
        rc = store_fail(store, MASO_EDATA, "%s: %llu sketches for %llu OK "
                        "records", store->path, (unsigned long long)v->count,
                        (unsigned long long)v->max_count);
    if (rc) {
        maso_store_view_end(v);
        return store_status(rc);
    }
    store->errmsg[0] = '\0';
    *view = v;
    return MASO_SUCCESS;
}

void maso_store_view_prefetch(maso_store_view *view)
{
    if (!view)
        return;
    for (size_t i = 0; i < view->n_segs; i++) {
        const maso_search_segment *g = &view->segs[i];
        store_prefetch(g->base, g->count * g->stride);
    }
}

size_t maso_store_view_segments(const maso_store_view *view,
                                const maso_search_segment **segments)
{
    if (!view) {
        if (segments)
            *segments = NULL;
        return 0;
    }
    if (segments)
        *segments = view->segs;
    return view->n_segs;
}

uint64_t maso_store_view_count(const maso_store_view *view)
{
    return view ? view->count : 0;
}

/* The untagged id, or 0 when @p id belongs to another view's tag. */
static uint64_t untag(const maso_store_view *v, uint64_t id)
{
    return (id & ~ID_MASK) == v->tag ? id & ID_MASK : 0;
}

static int cmp_copy(const void *key, const void *elem)
{
    uint64_t a = *(const uint64_t *)key, b = ((const view_copy *)elem)->number;
    return a < b ? -1 : a > b;
}

/* The block holding (untagged) @p id, from the view's aligned copies or
 * the map; 0 when it is there and has @p id's slot set. */
static int view_block(maso_store_view *view, uint64_t id, store_block *b)
{
    maso_store *s = view->store;
    uint64_t number = id / s->block_records;
    size_t slot = id % s->block_records;
    int rc;
    const view_copy *c = view->n_copies ?
        bsearch(&number, view->copies, view->n_copies, sizeof *c, cmp_copy) :
        NULL;
    if (c) {
        MDB_val val = {store_block_size(s), c->value + 16};
        rc = store_block_parse(s, number, &val, b);
    } else {
        rc = store_block_get(s, view->txn, number, b);
    }
    return rc ? rc : store_block_has(b, slot) ? 0 : MASO_ENOTFOUND;
}

const uint8_t *maso_store_view_sketch(maso_store_view *view, uint64_t id)
{
    if (!view || !(id = untag(view, id)))
        return NULL;
    maso_store *s = view->store;
    store_block b;
    if (view_block(view, id, &b) != 0)
        return NULL;
    return b.sketches + (id % s->block_records) * s->stride;
}

/* The value of (tagged) @p id in table @p dbi: 0, MASO_ENOTFOUND (no
 * message: absent ids are an expected answer) or an error. */
static int view_get(maso_store_view *v, uint64_t id, MDB_dbi dbi,
                    uint64_t *raw, MDB_val *val)
{
    *raw = untag(v, id);
    if (!*raw)
        return MASO_ENOTFOUND;
    uint8_t kb[8];
    store_id_key(*raw, kb);
    MDB_val k = {8, kb};
    int rc = mdb_get(v->txn, dbi, &k, val);
    if (rc == MDB_NOTFOUND)
        return MASO_ENOTFOUND;
    return rc ? store_status(store_mdb(v->store, rc, "view lookup")) : 0;
}

int maso_store_view_record(maso_store_view *view, uint64_t id,
                           maso_store_record *record)
{
    if (!view || !record)
        return MASO_EINVAL_ARG;
    memset(record, 0, sizeof *record);
    maso_store *s = view->store;
    uint64_t raw;
    MDB_val val;
    int rc = view_get(view, id, s->dbi_records, &raw, &val);
    if (rc)
        return rc;
    store_record_view r;
    rc = store_record_decode(s, raw, &val, &r);
    if (rc)
        return store_status(rc);
    record->id = id;
    record->path = r.path;
    record->size = r.size;
    record->mtime_ns = r.mtime_ns;
    record->status = (maso_record_status)r.status;
    if (r.status == MASO_RECORD_FAILED) {
        record->reason = r.reason;
        return MASO_SUCCESS;
    }
    record->sketch = maso_store_view_sketch(view, id);
    if (!record->sketch)
        return store_fail(s, MASO_EDATA, "%s: record %llu has no sketch",
                          s->path, (unsigned long long)raw);
    /* A record handed out is verified whole (its sketch and code too): a
     * few per query, unlike the scans' sketches (see maso_store.h). */
    if (s->checksums) {
        store_block b;
        if (view_block(view, raw, &b) == 0 &&
            (rc = store_block_slot_verify(s, &b, raw % s->block_records)))
            return store_status(rc);
    }
    if (r.flags & STORE_FLAG_CODE) {
        rc = maso_store_view_code(view, id, &record->code);
        if (rc == 0 && s->checksums) {
            MDB_val code;
            view_get(view, id, s->dbi_codes, &raw, &code);
            rc = store_status(store_blob_verify(s, &code, raw,
                                                s->code_bytes));
        }
        return rc;
    }
    return MASO_SUCCESS;
}

int maso_store_view_code(maso_store_view *view, uint64_t id,
                         const uint8_t **code)
{
    if (!view || !code)
        return MASO_EINVAL_ARG;
    *code = NULL;
    maso_store *s = view->store;
    uint64_t raw;
    MDB_val val;
    int rc = view_get(view, id, s->dbi_codes, &raw, &val);
    if (rc)
        return rc;
    *code = store_blob_payload(&val, STORE_CODE_MAGIC, raw, s->code_bytes);
    if (!*code)
        return store_fail(s, MASO_EDATA, "%s: malformed code of record %llu",
                          s->path, (unsigned long long)raw);
    return MASO_SUCCESS;
}

int maso_store_view_orients(maso_store_view *view, uint64_t id,
                            const uint8_t **orients)
{
    if (!view || !orients)
        return MASO_EINVAL_ARG;
    *orients = NULL;
    maso_store *s = view->store;
    if (!s->has_orients)
        return MASO_ENOTFOUND;
    uint64_t raw;
    MDB_val val;
    int rc = view_get(view, id, s->dbi_orients, &raw, &val);
    if (rc)
        return rc;
    /* a value over several pages in one request, not one fault each (see
     * open.c); one within a page costs no more than its fault */
    if (val.mv_size > 4096)
        store_prefetch(val.mv_data, val.mv_size);
    const uint8_t *p = store_blob_payload(&val, STORE_ORIENTS_MAGIC, raw,
                                          STORE_ORIENTS_BYTES(s));
    if (!p)
        return store_fail(s, MASO_EDATA, "%s: malformed orientation "
                          "sketches of record %llu", s->path,
                          (unsigned long long)raw);
    rc = store_blob_verify(s, &val, raw, STORE_ORIENTS_BYTES(s));
    if (rc)
        return store_status(rc);
    *orients = p;
    return MASO_SUCCESS;
}

void maso_store_view_end(maso_store_view *view)
{
    if (!view)
        return;
    if (view->txn)
        store_scan_txn_end(view->store, view->txn);
    for (size_t i = 0; i < view->n_copies; i++)
        free(view->copies[i].value);
    free(view->copies);
    free(view->segs);
    free(view->ids);
    free(view);
}
