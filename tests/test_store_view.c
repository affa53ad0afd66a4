/*
 * test_store_view.c -- the store's sketch blocks seen as maso_search
 * segments: segments cover exactly the OK records (tagged ids, sketches
 * equal to maso_sketch_apply of the stored codes, summaries equal to
 * maso_search_summarize), searches over views equal a brute-force ranking
 * written here from the sketch layout, views keep their snapshot while a
 * writer commits, several stores are searched together, and corrupt or
 * foreign blocks are refused.
 */
#define _DEFAULT_SOURCE /* mkdtemp */
#include <lmdb.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "maso.h"
#include "maso_search.h"
#include "maso_store.h"
#include "store_sums_testutil.h"
#include "store_testutil.h"

/* ---- fixtures --------------------------------------------------------- */

#define TAG(t, id) ((uint64_t)(t) << MASO_STORE_TAG_SHIFT | (id))

static void identity(maso_store_identity *id, int full_codes)
{
    store_test_identity(id, store_test_layers, STORE_TEST_LAYERS);
    id->sketch.relu_samples = 256;
    id->sketch.maxpool_samples = 64;
    id->sketch.seed = 5;
    id->full_codes = full_codes;
}

typedef struct fixture {
    char root[512], dir[2][600];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->root, sizeof f->root, "%s/view_XXXXXX", MASO_TEST_TMPDIR);
    if (!mkdtemp(f->root))
        return -1;
    for (int i = 0; i < 2; i++)
        snprintf(f->dir[i], sizeof f->dir[i], "%s/index%d", f->root, i);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    store_test_rmtree(f->root);
    free(f);
    return 0;
}

static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Clustered codes: image n is prototype n % 5 with ~1/16 of its bytes
 * redrawn, so neighbours are close and rankings are not flat. */
static void make_code(uint64_t n, uint8_t code[STORE_TEST_CODE])
{
    uint64_t p = (n % 5) * 0x9E3779B97F4A7C15ull + 11, r = n * 7919 + 3;
    for (int i = 0; i < STORE_TEST_CODE; i++) {
        code[i] = (uint8_t)xorshift(&p);
        if ((xorshift(&r) & 15) == 0)
            code[i] = (uint8_t)xorshift(&r);
    }
    for (int i = 256; i < 512; i++)
        code[i] = (uint8_t)((code[i] & 15) % 9 | ((code[i] >> 4) % 9) << 4);
}

static maso_store *open_store(const char *dir, unsigned flags,
                              const maso_store_identity *id, size_t block)
{
    maso_store *s = NULL;
    assert_int_equal(maso_store_create(&s), 0);
    if (block)
        assert_int_equal(maso_store_set_block_records(s, block), 0);
    int rc = maso_store_open(s, dir, flags, id);
    if (rc)
        print_error("open %s: %s\n", dir, maso_store_errmsg(s));
    assert_int_equal(rc, 0);
    return s;
}

static void path_of(uint64_t n, char *p, size_t size)
{
    snprintf(p, size, "/photos/%03llu/img_%llu.jpg",
             (unsigned long long)(n % 17), (unsigned long long)n);
}

/* What the test expects of image n (ids are assigned 1, 2, ... in order of
 * first put, so image n has id n). */
enum { ABSENT, OK, FAILED };

static void put(maso_store_batch *b, uint64_t n, int status)
{
    char p[64];
    uint8_t code[STORE_TEST_CODE];
    path_of(n, p, sizeof p);
    make_code(n, code);
    maso_store_record r = {0, p, n, (int64_t)n, (maso_record_status)
                           (status == OK ? MASO_RECORD_OK
                                         : MASO_RECORD_FAILED),
                           status == OK ? NULL : "broken", NULL,
                           status == OK ? code : NULL};
    assert_int_equal(maso_store_batch_put(b, &r), 0);
}

static void del(maso_store_batch *b, uint64_t n)
{
    char p[64];
    path_of(n, p, sizeof p);
    assert_int_equal(maso_store_batch_delete(b, p), 0);
}

/* Images 1..n: every 7th failed; then 3, 4 deleted, every 11th OK one made
 * FAILED, every 13th failed one made OK, and 20 re-put (same id). */
static void fill(maso_store *s, uint64_t n, int *want)
{
    maso_store_batch *b;
    assert_int_equal(maso_store_batch_begin(s, &b), 0);
    for (uint64_t i = 1; i <= n; i++) {
        want[i] = i % 7 == 0 ? FAILED : OK;
        put(b, i, want[i]);
    }
    assert_int_equal(maso_store_batch_commit(b), 0);
    assert_int_equal(maso_store_batch_begin(s, &b), 0);
    del(b, 3);
    del(b, 4);
    want[3] = want[4] = ABSENT;
    for (uint64_t i = 5; i <= n; i++) {
        if (want[i] == OK && i % 11 == 0)
            put(b, i, want[i] = FAILED);
        else if (want[i] == FAILED && i % 13 == 0)
            put(b, i, want[i] = OK);
    }
    put(b, 20, want[20]);
    assert_int_equal(maso_store_batch_commit(b), 0);
    assert_int_equal(maso_store_check(s), 0);
}

/* ---- an independent reference: sketch and distance from the layout ----- */

typedef struct reference {
    maso_sketch *sketch;
    const maso_code_layer *sl; /* the sketch's own layout */
    size_t n_sl, bytes;
    maso_search *engine;
} reference;

static void reference_init(reference *r, const maso_store_identity *id)
{
    assert_int_equal(maso_sketch_create(id->layers, id->n_layers, &id->sketch,
                                        &r->sketch), 0);
    r->n_sl = maso_sketch_layers(r->sketch, &r->sl);
    r->bytes = maso_sketch_bytes(r->sketch);
    assert_int_equal(maso_search_create(r->sl, r->n_sl, &r->engine), 0);
}

static void reference_free(reference *r)
{
    maso_sketch_destroy(r->sketch);
    maso_search_destroy(r->engine);
}

/* Equal-weight spline-code distance, unit by unit. */
static double ref_distance(const reference *r, const uint8_t *a,
                           const uint8_t *b)
{
    double sum = 0;
    for (size_t l = 0; l < r->n_sl; l++) {
        const maso_code_layer *L = &r->sl[l];
        size_t diff = 0;
        for (size_t u = 0; u < L->units; u++) {
            size_t bit = u * (size_t)L->bits_per_unit;
            unsigned mask = (1u << L->bits_per_unit) - 1;
            unsigned x = a[L->offset + bit / 8] >> (bit % 8) & mask;
            unsigned y = b[L->offset + bit / 8] >> (bit % 8) & mask;
            diff += x != y;
        }
        sum += (double)diff / (double)L->units;
    }
    return sum / (double)r->n_sl;
}

/* ---- segments cover exactly the OK records ------------------------------ */

static void check_view(maso_store *s, unsigned tag, const int *want,
                       uint64_t n, const reference *ref, int full_codes)
{
    maso_store_view *v;
    assert_int_equal(maso_store_view_begin(s, tag, &v), 0);
    const maso_search_segment *g;
    size_t ns = maso_store_view_segments(v, &g);
    uint64_t expect_count = 0, seen = 0, last = 0;
    for (uint64_t i = 1; i <= n; i++)
        expect_count += want[i] == OK;
    assert_int_equal(maso_store_view_count(v), expect_count);
    uint8_t code[STORE_TEST_CODE], *sk = malloc(ref->bytes);
    uint8_t sum[MASO_SEARCH_SUMMARY_BITS_MAX / 8];
    size_t sb = maso_search_summary_bytes(ref->engine);
    for (size_t i = 0; i < ns; i++) {
        assert_true(g[i].count > 0);
        assert_int_equal(g[i].stride % 64, 0);
        assert_true(g[i].stride >= ref->bytes);
        assert_int_equal((uintptr_t)g[i].base % 64, 0);
        for (size_t j = 0; j < g[i].count; j++) {
            uint64_t id = g[i].ids[j];
            assert_int_equal(id >> MASO_STORE_TAG_SHIFT, tag);
            uint64_t raw = id & ((1ull << MASO_STORE_TAG_SHIFT) - 1);
            assert_true(raw > last && raw <= n); /* increasing */
            last = raw;
            assert_int_equal(want[raw], OK);
            const uint8_t *p = g[i].base + j * g[i].stride;
            make_code(raw, code);
            maso_sketch_apply(ref->sketch, code, sk);
            assert_memory_equal(p, sk, ref->bytes);
            assert_int_equal(maso_search_summarize(ref->engine, sk, sum), 0);
            assert_memory_equal(g[i].summaries + j * sb, sum, sb);
            assert_ptr_equal(maso_store_view_sketch(v, id), p);
            seen++;
        }
    }
    assert_int_equal(seen, expect_count);
    /* Records of every kind, looked up by tagged id. */
    for (uint64_t i = 1; i <= n + 2; i++) {
        maso_store_record r;
        int rc = maso_store_view_record(v, TAG(tag, i), &r);
        if (i > n || want[i] == ABSENT) {
            assert_int_equal(rc, MASO_ENOTFOUND);
            assert_null(maso_store_view_sketch(v, TAG(tag, i)));
            continue;
        }
        assert_int_equal(rc, 0);
        char p[64];
        path_of(i, p, sizeof p);
        assert_string_equal(r.path, p);
        assert_int_equal(r.id, TAG(tag, i));
        assert_int_equal(r.size, i);
        const uint8_t *c = NULL;
        if (want[i] == FAILED) {
            assert_int_equal(r.status, MASO_RECORD_FAILED);
            assert_string_equal(r.reason, "broken");
            assert_null(r.sketch);
            assert_null(maso_store_view_sketch(v, TAG(tag, i)));
            assert_int_equal(maso_store_view_code(v, TAG(tag, i), &c),
                             MASO_ENOTFOUND);
            continue;
        }
        assert_int_equal(r.status, MASO_RECORD_OK);
        assert_null(r.reason);
        assert_ptr_equal(r.sketch, maso_store_view_sketch(v, TAG(tag, i)));
        make_code(i, code);
        if (full_codes) {
            assert_int_equal(maso_store_view_code(v, TAG(tag, i), &c), 0);
            assert_memory_equal(c, code, STORE_TEST_CODE);
            assert_ptr_equal(r.code, c);
        } else {
            assert_null(r.code);
            assert_int_equal(maso_store_view_code(v, TAG(tag, i), &c),
                             MASO_ENOTFOUND);
        }
        /* Another tag is another store. */
        assert_int_equal(maso_store_view_record(v, TAG(tag + 1, i), &r),
                         MASO_ENOTFOUND);
        assert_null(maso_store_view_sketch(v, TAG(tag + 1, i)));
    }
    free(sk);
    maso_store_view_end(v);
}

static void test_segments(void **state)
{
    fixture *f = *state;
    maso_store_identity id;
    reference ref;
    enum { N = 300 };
    int want[N + 1];
    /* Default block size with full codes; tiny blocks without. */
    for (int full = 1; full >= 0; full--) {
        identity(&id, full);
        reference_init(&ref, &id);
        maso_store *s = open_store(f->dir[full], MASO_STORE_CREATE, &id,
                                   full ? 0 : 8);
        fill(s, N, want);
        check_view(s, full ? 0 : 7, want, N, &ref, full);
        /* Delete everything of one block (8 ids): the block disappears. */
        maso_store_batch *b;
        assert_int_equal(maso_store_batch_begin(s, &b), 0);
        for (uint64_t i = 16; i < 24; i++)
            if (want[i] != ABSENT) {
                del(b, i);
                want[i] = ABSENT;
            }
        assert_int_equal(maso_store_batch_commit(b), 0);
        assert_int_equal(maso_store_check(s), 0);
        check_view(s, 65535, want, N, &ref, full);
        maso_store_view *v;
        assert_int_equal(maso_store_view_begin(s, 65536, &v),
                         MASO_EINVAL_ARG);
        maso_store_destroy(s);
        /* Reopened read-only: the same view. */
        s = open_store(f->dir[full], MASO_STORE_RDONLY, &id, 0);
        check_view(s, 3, want, N, &ref, full);
        maso_store_destroy(s);
        reference_free(&ref);
    }
}

/* ---- searches over views equal brute force ------------------------------ */

typedef struct ref_hit {
    uint64_t id;
    double d;
} ref_hit;

static int hit_cmp(const void *a, const void *b)
{
    const ref_hit *x = a, *y = b;
    if (x->d != y->d)
        return x->d < y->d ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* Rank every OK record of stores @p s (tags 0..n_s-1) by brute force from
 * copies obtained with maso_store_get_by_id. */
static size_t brute_force(maso_store **s, size_t n_s, uint64_t max_id,
                          const reference *ref, const uint8_t *query,
                          ref_hit *out)
{
    size_t n = 0;
    for (size_t t = 0; t < n_s; t++)
        for (uint64_t i = 1; i <= max_id; i++) {
            maso_store_record r;
            if (maso_store_get_by_id(s[t], i, MASO_STORE_WANT_SKETCH, &r))
                continue;
            if (r.sketch) {
                out[n].id = TAG(t, i);
                out[n].d = ref_distance(ref, query, r.sketch);
                n++;
            }
            maso_store_record_free(&r);
        }
    qsort(out, n, sizeof *out, hit_cmp);
    return n;
}

static int near(double a, double b)
{
    return a - b < 1e-12 && b - a < 1e-12;
}

/* Hit i has the reference's distance at rank i and is one of the records
 * at that distance: sums of doubles equal in exact arithmetic may differ in
 * the last bit, so ties may come in either order (maso_search.h). */
static int same_rank(const maso_search_hit *hits, size_t i,
                     const ref_hit *expect, size_t n_expect)
{
    if (!near(hits[i].distance, expect[i].d))
        return 0;
    for (size_t j = 0; j < i; j++)
        if (hits[j].id == hits[i].id)
            return 0;
    for (size_t j = 0; j < n_expect; j++)
        if (expect[j].id == hits[i].id)
            return near(expect[j].d, hits[i].distance);
    return 0;
}

static void compare_query(maso_store **s, size_t n_s, uint64_t max_id,
                          const reference *ref, uint64_t qn)
{
    maso_store_view *v[2];
    maso_search_segment all[4096];
    size_t n_all = 0;
    for (size_t t = 0; t < n_s; t++) {
        assert_int_equal(maso_store_view_begin(s[t], (unsigned)t, &v[t]), 0);
        const maso_search_segment *g;
        size_t ns = maso_store_view_segments(v[t], &g);
        assert_true(n_all + ns <= 4096);
        memcpy(all + n_all, g, ns * sizeof *g);
        n_all += ns;
    }
    maso_search *engine;
    assert_int_equal(maso_store_search_create(s[0], &engine), 0);
    uint8_t code[STORE_TEST_CODE], *q = malloc(ref->bytes);
    make_code(qn, code);
    code[7] ^= 0x5a; /* not identical to the stored image */
    maso_sketch_apply(ref->sketch, code, q);
    ref_hit *expect = malloc(2 * (max_id + 1) * sizeof *expect);
    size_t n_expect = brute_force(s, n_s, max_id, ref, q, expect);
    maso_search_params p;
    maso_search_params_init(&p);
    p.k = 15;
    maso_search_hit hits[15];
    /* Exact, and coarse with as many candidates as records (the coarse
     * stage then keeps everything and must agree with exact). */
    size_t cands[2] = {0, n_expect};
    for (int m = 0; m < 2; m++) {
        p.candidates = cands[m];
        size_t nh = 0;
        int rc = maso_search_query(engine, all, n_all, q, NULL, &p, hits, &nh);
        if (rc)
            print_error("query: %s\n", maso_search_errmsg(engine));
        assert_int_equal(rc, 0);
        assert_int_equal(nh, 15);
        for (size_t i = 0; i < nh; i++) {
            assert_true(same_rank(hits, i, expect, n_expect));
            /* The path of a hit, from its view. */
            size_t t = hits[i].id >> MASO_STORE_TAG_SHIFT;
            maso_store_record r;
            assert_int_equal(maso_store_view_record(v[t], hits[i].id, &r), 0);
            char path[64];
            uint64_t raw = hits[i].id & ((1ull << MASO_STORE_TAG_SHIFT) - 1);
            path_of(t == 0 ? raw : raw * 3 + 1000, path, sizeof path);
            assert_string_equal(r.path, path);
        }
    }
    free(expect);
    free(q);
    maso_search_destroy(engine);
    for (size_t t = 0; t < n_s; t++)
        maso_store_view_end(v[t]);
}

static void test_query_brute_force(void **state)
{
    fixture *f = *state;
    maso_store_identity id;
    identity(&id, 0);
    reference ref;
    reference_init(&ref, &id);
    enum { N = 400 };
    int want[N + 1];
    maso_store *s[2];
    s[0] = open_store(f->dir[0], MASO_STORE_CREATE, &id, 16);
    fill(s[0], N, want);
    compare_query(s, 1, N, &ref, 42);
    compare_query(s, 1, N, &ref, 3); /* a deleted image's neighbours */
    /* Two stores (another block size) searched together. */
    s[1] = open_store(f->dir[1], MASO_STORE_CREATE, &id, 0);
    maso_store_batch *b;
    assert_int_equal(maso_store_batch_begin(s[1], &b), 0);
    for (uint64_t i = 1; i <= 150; i++)
        put(b, i * 3 + 1000, i % 9 ? OK : FAILED); /* gets id i */
    assert_int_equal(maso_store_batch_commit(b), 0);
    compare_query(s, 2, N, &ref, 42);
    compare_query(s, 2, N, &ref, 1003);
    maso_store_destroy(s[0]);
    maso_store_destroy(s[1]);
    reference_free(&ref);
}

/* ---- snapshots ------------------------------------------------------------ */

static void test_snapshot(void **state)
{
    fixture *f = *state;
    maso_store_identity id;
    identity(&id, 0);
    reference ref;
    reference_init(&ref, &id);
    enum { N = 100 };
    int want[N + 1], before[N + 1];
    maso_store *s = open_store(f->dir[0], MASO_STORE_CREATE, &id, 0);
    fill(s, N, want);
    memcpy(before, want, sizeof want);
    maso_store_view *v;
    assert_int_equal(maso_store_view_begin(s, 1, &v), 0);
    const maso_search_segment *g;
    size_t ns = maso_store_view_segments(v, &g);
    assert_true(ns > 0);
    const uint8_t *first = g[0].base;
    uint8_t *copy = malloc(ref.bytes);
    memcpy(copy, first, ref.bytes);
    uint64_t first_id = g[0].ids[0] & ((1ull << MASO_STORE_TAG_SHIFT) - 1);
    uint64_t count = maso_store_view_count(v);
    /* The writer changes the block the view reads from, on the same
     * handle, and commits. */
    maso_store_batch *b;
    assert_int_equal(maso_store_batch_begin(s, &b), 0);
    assert_int_equal(before[first_id + 1], OK);
    assert_int_equal(before[14], FAILED);
    del(b, first_id);
    put(b, first_id + 1, FAILED);
    put(b, 14, OK);
    assert_int_equal(maso_store_batch_commit(b), 0);
    /* The old view still sees its snapshot... */
    assert_memory_equal(first, copy, ref.bytes);
    assert_int_equal(maso_store_view_count(v), count);
    assert_int_equal(maso_store_view_segments(v, &g), ns);
    assert_ptr_equal(g[0].base, first);
    maso_store_record r;
    assert_int_equal(maso_store_view_record(v, TAG(1, first_id), &r), 0);
    assert_int_equal(r.status, MASO_RECORD_OK);
    assert_int_equal(maso_store_view_record(v, TAG(1, first_id + 1), &r), 0);
    assert_int_equal(r.status, MASO_RECORD_OK);
    assert_null(maso_store_view_sketch(v, TAG(1, 14)));
    assert_int_equal(maso_store_view_record(v, TAG(1, 14), &r), 0);
    assert_string_equal(r.reason, "broken");
    /* ...while a new one sees the commit. */
    want[first_id] = ABSENT;
    want[first_id + 1] = FAILED;
    want[14] = OK;
    check_view(s, 2, want, N, &ref, 0);
    maso_store_view_end(v);
    free(copy);
    maso_store_destroy(s);
    reference_free(&ref);
}

/* ---- refusal of foreign or corrupt blocks --------------------------------- */

/* Apply @p edit to the value of @p key in table @p db, bypassing the store. */
static void raw_edit(const char *dir, const char *db, const void *key,
                     size_t klen, void (*edit)(uint8_t *, size_t))
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    assert_int_equal(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 8);
    assert_int_equal(mdb_env_open(env, dir, 0, 0666), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, db, 0, &dbi), 0);
    MDB_val k = {klen, (void *)key}, v;
    assert_int_equal(mdb_get(txn, dbi, &k, &v), 0);
    uint8_t *copy = malloc(v.mv_size);
    memcpy(copy, v.mv_data, v.mv_size);
    edit(copy, v.mv_size);
    MDB_val nv = {v.mv_size, copy};
    assert_int_equal(mdb_put(txn, dbi, &k, &nv, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    free(copy);
    mdb_env_close(env);
}

static void bump_summary_version(uint8_t *v, size_t n)
{
    assert_int_equal(n, 16 + 8);
    v[12]++;
    sums_seal_meta("blocks", v, n);
}

static void flip_summary_bit(uint8_t *v, size_t n)
{
    /* the summary of slot 8 (id 8, an OK record), after 64 slot sums */
    v[112 + 8 * 64 + 8 * 64] ^= 1;
    sums_seal_block(v, n);
}

static void set_failed_bit(uint8_t *v, size_t n)
{
    v[48] |= 1u << 7; /* id 7 failed */
    v[36]++;          /* keep the count consistent */
    sums_seal_block(v, n);
}

static void test_refusals(void **state)
{
    fixture *f = *state;
    maso_store_identity id;
    identity(&id, 0);
    maso_store *s;
    assert_int_equal(maso_store_create(&s), 0);
    assert_int_equal(maso_store_set_block_records(s, 4), MASO_EINVAL_ARG);
    assert_int_equal(maso_store_set_block_records(s, 12), MASO_EINVAL_ARG);
    assert_int_equal(maso_store_set_block_records(s, 1024), MASO_EINVAL_ARG);
    assert_int_equal(maso_store_set_block_records(s, 256), 0);
    maso_store_destroy(s);
    int want[41];
    for (int i = 0; i < 2; i++) {
        s = open_store(f->dir[i], MASO_STORE_CREATE, &id, 0);
        fill(s, 40, want);
        maso_store_destroy(s);
    }
    /* Summaries of another version: refused, naming the cause. */
    raw_edit(f->dir[0], "meta", "blocks", 6, bump_summary_version);
    assert_int_equal(maso_store_create(&s), 0);
    assert_int_equal(maso_store_open(s, f->dir[0], MASO_STORE_RDONLY, &id),
                     MASO_EMISMATCH);
    assert_non_null(strstr(maso_store_errmsg(s), "rebuild"));
    maso_store_destroy(s);
    /* A summary that does not match its sketch; a presence bit without an
     * OK record: check finds both. */
    uint8_t key[8] = {0};
    raw_edit(f->dir[1], "blocks", key, 8, flip_summary_bit);
    s = open_store(f->dir[1], MASO_STORE_RDONLY, &id, 0);
    assert_int_equal(maso_store_check(s), MASO_EDATA);
    assert_non_null(strstr(maso_store_errmsg(s), "first: 8 ("));
    assert_non_null(strstr(maso_store_errmsg(s), ", sketch)"));
    maso_store_destroy(s);
    raw_edit(f->dir[1], "blocks", key, 8, flip_summary_bit);
    raw_edit(f->dir[1], "blocks", key, 8, set_failed_bit);
    s = open_store(f->dir[1], MASO_STORE_RDONLY, &id, 0);
    assert_int_equal(maso_store_check(s), MASO_EDATA);
    assert_non_null(strstr(maso_store_errmsg(s), "first: 7 ("));
    assert_non_null(strstr(maso_store_errmsg(s), ", sketch)"));
    maso_store_view *v;
    assert_int_equal(maso_store_view_begin(s, 0, &v), MASO_EDATA);
    maso_store_destroy(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_segments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_query_brute_force, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_snapshot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
