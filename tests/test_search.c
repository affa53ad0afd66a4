/* test_search.c -- libmaso_search against brute-force references.
 *
 * The reference distance reads every unit one at a time (bit, nibble or
 * byte) and is written independently of the library's word kernels; the
 * reference ranking sorts all distances.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "maso_search.h"

/* ---- data ---------------------------------------------------------------- */

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static double rng_unit(uint64_t *s)
{
    return (double)(rng_next(s) >> 11) / 9007199254740992.0;
}

/* A small layout with every kind of section: relu, 4-bit and 8-bit
 * maxpool, sizes that are not multiples of 8 units. */
static maso_code_layer small_layout[5];
static size_t small_bytes;

static void layout_make(maso_code_layer *L, const size_t *units,
                        const int *bpu, size_t n, size_t *total)
{
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        memset(&L[i], 0, sizeof L[i]);
        L[i].name = "layer";
        L[i].kind = bpu[i] == 1 ? MASO_LAYER_RELU : MASO_LAYER_MAXPOOL;
        L[i].window = bpu[i] == 1 ? 0 : 9;
        L[i].bits_per_unit = bpu[i];
        L[i].units = units[i];
        L[i].offset = off;
        L[i].bytes = (units[i] * (size_t)bpu[i] + 511) / 512 * 64;
        off += L[i].bytes;
    }
    *total = off;
}

static void small_layout_init(void)
{
    static const size_t units[5] = { 100, 700, 37, 150, 70 };
    static const int bpu[5] = { 1, 1, 1, 4, 8 };
    layout_make(small_layout, units, bpu, 5, &small_bytes);
}

static unsigned unit_get(const maso_code_layer *L, const uint8_t *c, size_t u)
{
    const uint8_t *p = c + L->offset;
    if (L->bits_per_unit == 1)
        return (p[u / 8] >> (u % 8)) & 1u;
    if (L->bits_per_unit == 4)
        return (p[u / 2] >> (4 * (u % 2))) & 15u;
    return p[u];
}

static void unit_set(const maso_code_layer *L, uint8_t *c, size_t u,
                     unsigned v)
{
    uint8_t *p = c + L->offset;
    if (L->bits_per_unit == 1) {
        p[u / 8] = (uint8_t)((p[u / 8] & ~(1u << (u % 8))) | (v << (u % 8)));
    } else if (L->bits_per_unit == 4) {
        unsigned sh = 4 * (u % 2);
        p[u / 2] = (uint8_t)((p[u / 2] & ~(15u << sh)) | (v << sh));
    } else {
        p[u] = (uint8_t)v;
    }
}

static unsigned unit_random(const maso_code_layer *L, uint64_t *rng)
{
    unsigned r = (unsigned)(rng_next(rng) >> 20);
    return L->bits_per_unit == 1 ? r & 1 : r % (unsigned)L->window;
}

/* A random code, padding zero. */
static void code_random(const maso_code_layer *L, size_t n, uint8_t *c,
                        size_t bytes, uint64_t *rng)
{
    memset(c, 0, bytes);
    for (size_t l = 0; l < n; l++)
        for (size_t u = 0; u < L[l].units; u++)
            unit_set(&L[l], c, u, unit_random(&L[l], rng));
}

/* Replace each unit by a fresh random value with probability `rate`. */
static void code_perturb(const maso_code_layer *L, size_t n, uint8_t *c,
                         double rate, uint64_t *rng)
{
    for (size_t l = 0; l < n; l++)
        for (size_t u = 0; u < L[l].units; u++)
            if (rng_unit(rng) < rate)
                unit_set(&L[l], c, u, unit_random(&L[l], rng));
}

static double ref_distance(const maso_code_layer *L, size_t n,
                           const double *w, const uint8_t *a,
                           const uint8_t *b)
{
    double num = 0, den = 0;
    for (size_t l = 0; l < n; l++) {
        double wl = w ? w[l] : 1.0;
        size_t diff = 0;
        for (size_t u = 0; u < L[l].units; u++)
            diff += unit_get(&L[l], a, u) != unit_get(&L[l], b, u);
        num += wl * (double)diff / (double)L[l].units;
        den += wl;
    }
    return num / den;
}

/* Records in one buffer, cut into segments; base offset by 8 bytes so that
 * records are 8- but not 64-byte aligned. */
typedef struct store {
    uint8_t *raw;
    uint8_t *base;
    size_t stride, n;
    uint64_t *ids;
    uint8_t *summaries;
    maso_search_segment seg[8];
    size_t n_seg;
} store;

static void store_init(store *st, size_t n, size_t bytes, uint64_t *rng)
{
    st->n = n;
    st->stride = (bytes + 63) / 64 * 64 + 64;
    st->raw = calloc(n * st->stride + 64, 1);
    assert_non_null(st->raw);
    st->base = st->raw + 8;
    st->ids = malloc(n * sizeof *st->ids);
    assert_non_null(st->ids);
    /* distinct ids in a shuffled order so that id order != storage order */
    for (size_t i = 0; i < n; i++)
        st->ids[i] = 1000 + 7 * i;
    for (size_t i = n; i > 1; i--) {
        size_t j = rng_next(rng) % i;
        uint64_t t = st->ids[i - 1];
        st->ids[i - 1] = st->ids[j];
        st->ids[j] = t;
    }
    st->summaries = NULL;
}

static uint8_t *store_rec(store *st, size_t i)
{
    return st->base + i * st->stride;
}

/* Cut into segments at the given sizes (the last takes the rest); sizes may
 * be 0 (empty segments). */
static void store_cut(store *st, const size_t *sizes, size_t n_sizes,
                      size_t sum_bytes)
{
    size_t at = 0;
    st->n_seg = 0;
    for (size_t k = 0; k <= n_sizes; k++) {
        size_t c = k < n_sizes ? sizes[k] : st->n - at;
        maso_search_segment *g = &st->seg[st->n_seg++];
        g->base = store_rec(st, at);
        g->stride = st->stride;
        g->count = c;
        g->ids = st->ids + at;
        g->summaries = st->summaries ? st->summaries + at * sum_bytes : NULL;
        at += c;
    }
}

static void store_summarize(store *st, maso_search *s)
{
    size_t sb = maso_search_summary_bytes(s);
    free(st->summaries);
    st->summaries = malloc(st->n * sb);
    assert_non_null(st->summaries);
    for (size_t i = 0; i < st->n; i++)
        assert_int_equal(maso_search_summarize(s, store_rec(st, i),
                                               st->summaries + i * sb), 0);
}

static void store_free(store *st)
{
    free(st->raw);
    free(st->ids);
    free(st->summaries);
}

/* ---- reference ranking --------------------------------------------------- */

static int hit_cmp(const void *a, const void *b)
{
    const maso_search_hit *x = a, *y = b;
    if (x->distance != y->distance)
        return x->distance < y->distance ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

/* All records with distance <= thr (thr < 0: all), sorted. */
static size_t ref_rank(store *st, const maso_code_layer *L, size_t nl,
                       const double *w, const uint8_t *q, double thr,
                       maso_search_hit *out)
{
    size_t m = 0;
    for (size_t i = 0; i < st->n; i++) {
        double d = ref_distance(L, nl, w, q, store_rec(st, i));
        if (thr >= 0 && d > thr)
            continue;
        out[m].id = st->ids[i];
        out[m].distance = d;
        m++;
    }
    qsort(out, m, sizeof *out, hit_cmp);
    return m;
}

/* Our hits must be the reference's first hits: same distances position by
 * position, each id at its reference distance, sorted by (distance, id). */
static void check_hits(const maso_search_hit *hits, size_t n_hits,
                       const maso_search_hit *ref, size_t n_ref, size_t k)
{
    assert_int_equal(n_hits, n_ref < k ? n_ref : k);
    for (size_t i = 0; i < n_hits; i++) {
        assert_true(fabs(hits[i].distance - ref[i].distance) < 1e-12);
        if (i > 0)
            assert_true(hits[i - 1].distance < hits[i].distance ||
                        (hits[i - 1].distance == hits[i].distance &&
                         hits[i - 1].id < hits[i].id));
        size_t j = 0;
        while (j < n_ref && ref[j].id != hits[i].id)
            j++;
        assert_true(j < n_ref);
        assert_true(fabs(ref[j].distance - hits[i].distance) < 1e-12);
    }
}

/* ---- tests ---------------------------------------------------------------- */

static void test_exact_matches_bruteforce(void **state)
{
    (void)state;
    small_layout_init();
    uint64_t rng = 0x1234567;
    store st;
    store_init(&st, 900, small_bytes, &rng);
    for (size_t i = 0; i < st.n; i++)
        code_random(small_layout, 5, store_rec(&st, i), small_bytes, &rng);
    /* a few near copies so that small distances exist */
    for (size_t i = 0; i < 40; i++) {
        memcpy(store_rec(&st, i + 100), store_rec(&st, i), small_bytes);
        code_perturb(small_layout, 5, store_rec(&st, i + 100), 0.05, &rng);
    }
    static const size_t cuts[4] = { 0, 333, 0, 100 };
    store_cut(&st, cuts, 4, 0);

    maso_search *s;
    assert_int_equal(maso_search_create(small_layout, 5, &s), 0);
    assert_int_equal(maso_search_record_bytes(s), small_bytes);
    uint8_t *q = calloc(small_bytes, 1);
    maso_search_hit *ref = malloc(st.n * sizeof *ref);
    maso_search_hit *hits = malloc((st.n + 50) * sizeof *hits);
    assert_non_null(q);
    assert_non_null(ref);
    assert_non_null(hits);
    static const double weights[5] = { 1.0, 0.0, 2.5, 0.5, 1.0 };
    static const size_t ks[4] = { 1, 7, 64, 950 };
    const char *kernels[5] = { "fused", "avx512-vpopcntdq", "avx512bw",
                               "avx2", "scalar" };
    for (int kern = 0; kern < 5; kern++) {
        if (maso_search_set_kernels(s, kernels[kern]) != 0) {
            /* a CPU may lack a SIMD set, never the scalar one */
            assert_int_not_equal(kern, 4);
            continue;
        }
        assert_string_equal(maso_search_kernels(s), kernels[kern]);
        for (int qi = 0; qi < 3; qi++) {
            memcpy(q, store_rec(&st, (size_t)qi * 5), small_bytes);
            code_perturb(small_layout, 5, q, 0.1, &rng);
            for (int wi = 0; wi < 2; wi++) {
                const double *w = wi ? weights : NULL;
                assert_int_equal(maso_search_set_weights(s, w), 0);
                size_t all = ref_rank(&st, small_layout, 5, w, q, -1, ref);
                /* threshold between two distinct distances near rank 50 */
                size_t r = 50;
                while (ref[r + 1].distance - ref[r].distance < 1e-9)
                    r++;
                double thr_mid = (ref[r].distance + ref[r + 1].distance) / 2;
                for (int ti = 0; ti < 2; ti++) {
                    double thr = ti ? thr_mid : -1;
                    size_t n_ref = ti ? r + 1 : all;
                    for (int th = 1; th <= 3; th++) {
                        assert_int_equal(maso_search_set_threads(s, th), 0);
                        for (size_t ki = 0; ki < 4; ki++) {
                            maso_search_params p;
                            maso_search_params_init(&p);
                            p.k = ks[ki];
                            p.threshold = thr;
                            size_t n_hits = 99999;
                            assert_int_equal(
                                maso_search_query(s, st.seg, st.n_seg, q,
                                                  NULL, &p, hits, &n_hits),
                                0);
                            check_hits(hits, n_hits, ref, n_ref, p.k);
                        }
                    }
                }
                /* maso_search_distance agrees with the reference */
                double d = maso_search_distance(s, q, store_rec(&st, 3));
                assert_true(fabs(d - ref_distance(small_layout, 5, w, q,
                                                  store_rec(&st, 3))) < 1e-12);
            }
        }
    }
    free(q);
    free(ref);
    free(hits);
    maso_search_destroy(s);
    store_free(&st);
}

static void test_ties_by_id(void **state)
{
    (void)state;
    small_layout_init();
    uint64_t rng = 99;
    store st;
    store_init(&st, 300, small_bytes, &rng);
    uint8_t *pat = malloc(3 * small_bytes);
    assert_non_null(pat);
    for (int p = 0; p < 3; p++)
        code_random(small_layout, 5, pat + (size_t)p * small_bytes,
                    small_bytes, &rng);
    for (size_t i = 0; i < st.n; i++)
        memcpy(store_rec(&st, i), pat + (i % 3) * small_bytes, small_bytes);
    static const size_t cuts[2] = { 77, 150 };
    store_cut(&st, cuts, 2, 0);
    maso_search *s;
    assert_int_equal(maso_search_create(small_layout, 5, &s), 0);
    maso_search_hit hits[120];
    for (int th = 1; th <= 2; th++) {
        assert_int_equal(maso_search_set_threads(s, th), 0);
        maso_search_params p;
        maso_search_params_init(&p);
        p.k = 120; /* all 100 copies of pattern 1, then 20 others */
        size_t n = 0;
        assert_int_equal(maso_search_query(s, st.seg, st.n_seg, pat +
                                           small_bytes, NULL, &p, hits, &n),
                         0);
        assert_int_equal(n, 120);
        /* expected: ids of the copies of pattern 1, ascending */
        uint64_t want[100];
        size_t m = 0;
        for (size_t i = 1; i < st.n; i += 3)
            want[m++] = st.ids[i];
        for (size_t a = 0; a < m; a++)
            for (size_t b = a + 1; b < m; b++)
                if (want[b] < want[a]) {
                    uint64_t t = want[a];
                    want[a] = want[b];
                    want[b] = t;
                }
        for (size_t i = 0; i < 100; i++) {
            assert_true(hits[i].distance == 0.0);
            assert_int_equal(hits[i].id, want[i]);
        }
        for (size_t i = 101; i < 120; i++) {
            assert_true(hits[i].distance > 0.0);
            assert_true(hits[i - 1].distance < hits[i].distance ||
                        hits[i - 1].id < hits[i].id);
        }
    }
    free(pat);
    maso_search_destroy(s);
    store_free(&st);
}

/* Clustered data: prototypes, records = prototype with per-record noise. */
static maso_code_layer big_layout[9];
static size_t big_bytes;

static void big_layout_init(void)
{
    static const size_t units[9] = { 1024, 1024, 1024, 1024, 1024,
                                     1024, 1024, 1024, 1024 };
    static const int bpu[9] = { 1, 1, 1, 1, 4, 1, 1, 1, 1 };
    layout_make(big_layout, units, bpu, 9, &big_bytes);
}

static void clustered(store *st, size_t n_proto, uint64_t *rng,
                      uint8_t *protos)
{
    for (size_t p = 0; p < n_proto; p++)
        code_random(big_layout, 9, protos + p * big_bytes, big_bytes, rng);
    for (size_t i = 0; i < st->n; i++) {
        /* skewed cluster sizes: a few big clusters */
        double u = rng_unit(rng);
        size_t p = (size_t)((double)n_proto * u * u * u);
        memcpy(store_rec(st, i), protos + p * big_bytes, big_bytes);
        code_perturb(big_layout, 9, store_rec(st, i),
                     0.02 + 0.3 * rng_unit(rng), rng);
    }
}

static void test_coarse_recall(void **state)
{
    (void)state;
    big_layout_init();
    uint64_t rng = 4242;
    store st;
    store_init(&st, 6000, big_bytes, &rng);
    uint8_t *protos = malloc(100 * big_bytes);
    uint8_t *q = malloc(big_bytes);
    assert_non_null(protos);
    assert_non_null(q);
    clustered(&st, 100, &rng, protos);
    maso_search *s;
    assert_int_equal(maso_search_create(big_layout, 9, &s), 0);
    assert_int_equal(maso_search_set_threads(s, 2), 0);
    maso_search *generic;
    assert_int_equal(maso_search_create(big_layout, 9, &generic), 0);
    assert_int_equal(maso_search_set_kernels(generic, "scalar"), 0);
    store_summarize(&st, s);
    static const size_t cuts[2] = { 1000, 0 };
    store_cut(&st, cuts, 2, maso_search_summary_bytes(s));
    size_t found = 0, total = 0;
    for (int qi = 0; qi < 20; qi++) {
        size_t p = (size_t)qi * 5;
        memcpy(q, protos + p * big_bytes, big_bytes);
        code_perturb(big_layout, 9, q, 0.05, &rng);
        maso_search_params p_exact, p_coarse;
        maso_search_params_init(&p_exact);
        maso_search_params_init(&p_coarse);
        p_coarse.candidates = 300;
        maso_search_hit ex[10], co[10];
        size_t ne = 0, nc = 0;
        assert_int_equal(maso_search_query(s, st.seg, st.n_seg, q, NULL,
                                           &p_exact, ex, &ne), 0);
        assert_int_equal(maso_search_query(s, st.seg, st.n_seg, q, NULL,
                                           &p_coarse, co, &nc), 0);
        assert_int_equal(ne, 10);
        assert_int_equal(nc, 10);
        for (size_t i = 0; i < 10; i++)
            for (size_t j = 0; j < 10; j++)
                found += ex[i].id == co[j].id;
        total += 10;
        /* the generic kernels (libmaso's, per layer) agree */
        maso_search_hit co2[10];
        size_t nc2 = 0;
        assert_int_equal(maso_search_query(generic, st.seg, st.n_seg, q, NULL,
                                           &p_coarse, co2, &nc2), 0);
        /* same distances; the ids too, except that distances equal in
         * exact arithmetic (same total of differing units here, since all
         * layers have 1024 units) may round apart differently per kernel
         * and swap */
        assert_int_equal(nc2, nc);
        for (size_t i = 0; i < nc; i++) {
            assert_true(fabs(co2[i].distance - co[i].distance) < 1e-12);
            size_t j = 0;
            while (j < nc && co[j].id != co2[i].id)
                j++;
            assert_true(j < nc ||
                        fabs(co2[i].distance - co[nc - 1].distance) < 1e-12);
            if (j < nc)
                assert_true(fabs(co[j].distance - co2[i].distance) < 1e-12);
        }
        /* candidates covering everything: the coarse result is exact */
        p_coarse.candidates = st.n + 5;
        assert_int_equal(maso_search_query(s, st.seg, st.n_seg, q, NULL,
                                           &p_coarse, co, &nc), 0);
        for (size_t i = 0; i < 10; i++) {
            assert_int_equal(co[i].id, ex[i].id);
            assert_true(co[i].distance == ex[i].distance);
        }
    }
    /* 300 candidates of 6000 records (5%) */
    assert_true((double)found / (double)total >= 0.95);
    free(protos);
    free(q);
    maso_search_destroy(generic);
    maso_search_destroy(s);
    store_free(&st);
}

static void test_duplicates_planted(void **state)
{
    (void)state;
    small_layout_init();
    uint64_t rng = 777;
    const size_t n = 3000;
    store st;
    store_init(&st, n, small_bytes, &rng);
    for (size_t i = 0; i < n; i++)
        code_random(small_layout, 5, store_rec(&st, i), small_bytes, &rng);
    /* planted groups: group g = records whose group[] is g (0: none) */
    int *group = calloc(n, sizeof *group);
    assert_non_null(group);
    int n_groups = 0;
    for (size_t i = 0; i + 6 < n; i += 97) {
        size_t size = 2 + (i / 97) % 4;
        n_groups++;
        group[i] = n_groups;
        for (size_t m = 1; m < size; m++) {
            size_t j = (i + 13 * m + 5) % n;
            assert_int_equal(group[j], 0);
            memcpy(store_rec(&st, j), store_rec(&st, i), small_bytes);
            /* 1..6 distinct bits of the 700-unit layer and one winner of
             * the nibble layer: d(i, j) <= 6/3500 + 1/750 < 0.0031 */
            uint8_t *r = store_rec(&st, j);
            size_t f = 1 + rng_next(&rng) % 6, at = rng_next(&rng) % 700;
            for (size_t t = 0; t < f; t++) {
                size_t u = (at + t * 37) % 700;
                unit_set(&small_layout[1], r, u,
                         1 - unit_get(&small_layout[1], r, u));
            }
            size_t w = rng_next(&rng) % 150;
            unit_set(&small_layout[3], r, w,
                     (unit_get(&small_layout[3], r, w) + 1) % 9);
            group[j] = n_groups;
        }
    }
    /* a chain a - b - c: a and c too far apart, joined through b */
    size_t ca = 50, cb = 51, cc = 52;
    assert_int_equal(group[ca] | group[cb] | group[cc], 0);
    memcpy(store_rec(&st, cb), store_rec(&st, ca), small_bytes);
    memcpy(store_rec(&st, cc), store_rec(&st, ca), small_bytes);
    for (size_t u = 0; u < 14; u++) { /* 14 bits of the 700-unit layer */
        uint8_t *b = store_rec(&st, cb) + small_layout[1].offset;
        uint8_t *c = store_rec(&st, cc) + small_layout[1].offset;
        b[u / 8] ^= (uint8_t)(1u << (u % 8));
        c[u / 8] ^= (uint8_t)(1u << (u % 8));
        c[(u + 40) / 8] ^= (uint8_t)(1u << ((u + 40) % 8));
    }
    n_groups++;
    group[ca] = group[cb] = group[cc] = n_groups;
    const double D = 0.005; /* d(a,b) = d(b,c) = 14/700/5 = 0.004, d(a,c) 0.008 */

    maso_search *s;
    assert_int_equal(maso_search_create(small_layout, 5, &s), 0);
    store_summarize(&st, s);
    static const size_t cuts[3] = { 1200, 0, 7 };
    store_cut(&st, cuts, 3, maso_search_summary_bytes(s));
    /* reference: union-find over all pairs within D among planted members
     * (others are random codes at distance ~0.5 from everything) */
    maso_search_groups g;
    assert_int_equal(maso_search_duplicates(s, st.seg, st.n_seg, D, 0, &g),
                     0);
    assert_int_equal(g.n_groups, (size_t)n_groups);
    for (size_t k = 0; k < g.n_groups; k++) {
        /* members: the planted group of the first member, in storage
         * order; find them by id */
        size_t first = 0;
        while (st.ids[first] != g.ids[g.offsets[k]])
            first++;
        int gid = group[first];
        assert_true(gid > 0);
        size_t at = g.offsets[k];
        double mx = 0;
        for (size_t i = 0; i < n; i++) {
            if (group[i] != gid)
                continue;
            assert_true(at < g.offsets[k + 1]);
            assert_int_equal(g.ids[at], st.ids[i]);
            at++;
            for (size_t j = i + 1; j < n; j++)
                if (group[j] == gid) {
                    double d = ref_distance(small_layout, 5, NULL,
                                            store_rec(&st, i),
                                            store_rec(&st, j));
                    mx = d > mx ? d : mx;
                }
        }
        assert_int_equal(at, g.offsets[k + 1]);
        assert_true(fabs(g.max_distance[k] - mx) < 1e-12);
        if (gid == n_groups)
            assert_true(mx > D); /* the chain: a and c not within D */
    }
    maso_search_groups_free(&g);
    /* explicit bands: 16 chunks of 32 bits find the same groups */
    assert_int_equal(maso_search_duplicates(s, st.seg, st.n_seg, D, 16, &g),
                     0);
    assert_int_equal(g.n_groups, (size_t)n_groups);
    maso_search_groups_free(&g);
    /* D = 0: only exact copies (none planted) */
    assert_int_equal(maso_search_duplicates(s, st.seg, st.n_seg, 0, 0, &g),
                     0);
    assert_int_equal(g.n_groups, 0);
    maso_search_groups_free(&g);
    free(group);
    maso_search_destroy(s);
    store_free(&st);
}

static void test_errors_and_edges(void **state)
{
    (void)state;
    small_layout_init();
    maso_search *s = (maso_search *)1;
    /* bad layouts */
    maso_code_layer bad[5];
    memcpy(bad, small_layout, sizeof bad);
    bad[1].offset += 8; /* not 64-byte aligned */
    assert_int_equal(maso_search_create(bad, 5, &s), MASO_EINVAL_ARG);
    assert_null(s);
    memcpy(bad, small_layout, sizeof bad);
    bad[3].bits_per_unit = 2;
    assert_int_equal(maso_search_create(bad, 5, &s), MASO_EINVAL_ARG);
    memcpy(bad, small_layout, sizeof bad);
    bad[0].units = 513; /* more units than its 64 bytes hold */
    assert_int_equal(maso_search_create(bad, 5, &s), MASO_EINVAL_ARG);
    assert_int_equal(maso_search_create(small_layout, 0, &s), MASO_EINVAL_ARG);

    assert_int_equal(maso_search_create(small_layout, 5, &s), 0);
    uint64_t rng = 5;
    store st;
    store_init(&st, 20, small_bytes, &rng);
    for (size_t i = 0; i < st.n; i++)
        code_random(small_layout, 5, store_rec(&st, i), small_bytes, &rng);
    store_cut(&st, NULL, 0, 0);
    maso_search_params p;
    maso_search_params_init(&p);
    maso_search_hit hits[64];
    size_t n = 0;
    const uint8_t *q = store_rec(&st, 4);

    p.k = 0;
    assert_int_equal(maso_search_query(s, st.seg, 1, q, NULL, &p, hits, &n),
                     MASO_EINVAL_ARG);
    assert_true(strstr(maso_search_errmsg(s), "k must be") != NULL);
    p.k = 10;
    p.candidates = 5; /* fewer than k */
    assert_int_equal(maso_search_query(s, st.seg, 1, q, NULL, &p, hits, &n),
                     MASO_EINVAL_ARG);
    p.candidates = 15; /* no summaries */
    assert_int_equal(maso_search_query(s, st.seg, 1, q, NULL, &p, hits, &n),
                     MASO_EINVAL_ARG);
    assert_true(strstr(maso_search_errmsg(s), "summaries") != NULL);
    p.candidates = 0;
    p.threshold = NAN;
    assert_int_equal(maso_search_query(s, st.seg, 1, q, NULL, &p, hits, &n),
                     MASO_EINVAL_ARG);
    p.threshold = -1;
    maso_search_segment seg = st.seg[0];
    seg.stride = st.stride - 64 * ((st.stride - small_bytes) / 64 + 1);
    assert_int_equal(maso_search_query(s, &seg, 1, q, NULL, &p, hits, &n),
                     MASO_EINVAL_ARG); /* stride smaller than a record */
    seg = st.seg[0];
    seg.stride += 8;
    assert_int_equal(maso_search_query(s, &seg, 1, q, NULL, &p, hits, &n),
                     MASO_EINVAL_ARG);
    seg = st.seg[0];
    seg.base += 4;
    assert_int_equal(maso_search_query(s, &seg, 1, q, NULL, &p, hits, &n),
                     MASO_EINVAL_ARG);
    assert_true(strstr(maso_search_errmsg(s), "aligned") != NULL);

    /* the query itself is found at distance 0; k > count returns count */
    p.k = 64;
    assert_int_equal(maso_search_query(s, st.seg, 1, q, NULL, &p, hits, &n),
                     0);
    assert_int_equal(n, 20);
    assert_int_equal(hits[0].id, st.ids[4]);
    assert_true(hits[0].distance == 0.0);
    assert_string_equal(maso_search_errmsg(s), "");
    /* empty segments, no segments */
    maso_search_segment empty[2] = { { NULL, 0, 0, NULL, NULL },
                                     { NULL, 0, 0, NULL, NULL } };
    n = 7;
    assert_int_equal(maso_search_query(s, empty, 2, q, NULL, &p, hits, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(maso_search_query(s, NULL, 0, q, NULL, &p, hits, &n), 0);
    assert_int_equal(n, 0);
    /* ids NULL: records are named by their position over all segments */
    maso_search_segment two[2] = { st.seg[0], st.seg[0] };
    two[0].ids = two[1].ids = NULL;
    two[0].count = 5;
    two[1].base = store_rec(&st, 5);
    two[1].count = 15;
    p.k = 1;
    assert_int_equal(maso_search_query(s, two, 2, store_rec(&st, 12), NULL,
                                       &p, hits, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(hits[0].id, 12);

    /* configuration errors */
    double zero[5] = { 0, 0, 0, 0, 0 };
    assert_int_equal(maso_search_set_weights(s, zero), MASO_EINVAL_ARG);
    zero[2] = -1;
    assert_int_equal(maso_search_set_weights(s, zero), MASO_EINVAL_ARG);
    zero[2] = INFINITY;
    assert_int_equal(maso_search_set_weights(s, zero), MASO_EINVAL_ARG);
    assert_int_equal(maso_search_set_threads(s, 0), MASO_EINVAL_ARG);
    assert_int_equal(maso_search_set_threads(s, 257), MASO_EINVAL_ARG);
    assert_int_equal(maso_search_set_summary_bits(s, 100), MASO_EINVAL_ARG);
    assert_int_equal(maso_search_set_summary_bits(s, 8192), MASO_EINVAL_ARG);
    assert_int_equal(maso_search_summary_bytes(s), 64);
    assert_int_equal(maso_search_set_summary_bits(s, 256), 0);
    assert_int_equal(maso_search_summary_bytes(s), 32);
    assert_int_equal(maso_search_set_kernels(s, "sse9"), MASO_ENOTFOUND);
    maso_search_groups g;
    assert_int_equal(maso_search_duplicates(s, st.seg, 1, 0.1, 0, &g),
                     MASO_EINVAL_ARG); /* no summaries */
    assert_int_equal(maso_search_duplicates(s, st.seg, 1, 1.5, 0, &g),
                     MASO_EINVAL_ARG);
    store_summarize(&st, s);
    store_cut(&st, NULL, 0, 32);
    assert_int_equal(maso_search_duplicates(s, st.seg, 1, 0.1, 3, &g),
                     MASO_EINVAL_ARG); /* 256 bits do not cut in 3 */
    assert_int_equal(maso_search_duplicates(s, st.seg, 1, 0.1, 2, &g),
                     MASO_EINVAL_ARG); /* 128-bit chunks */
    assert_int_equal(maso_search_duplicates(s, empty, 2, 0.1, 0, &g), 0);
    assert_int_equal(g.n_groups, 0);
    maso_search_groups_free(&g);
    maso_search_groups_free(NULL);
    maso_search_destroy(s);
    maso_search_destroy(NULL);
    store_free(&st);
}

/* The summary is the documented sample: bit j of layer j mod n. */
static void test_summary_sample(void **state)
{
    (void)state;
    small_layout_init();
    maso_search *s;
    assert_int_equal(maso_search_create(small_layout, 5, &s), 0);
    uint8_t *c = calloc(small_bytes, 1);
    uint8_t sum[64], sum2[64];
    assert_non_null(c);
    /* all-zero code: zero summary.  Setting every unit of layer 1 sets
     * exactly the bits j with j % 5 == 1. */
    assert_int_equal(maso_search_summarize(s, c, sum), 0);
    for (int i = 0; i < 64; i++)
        assert_int_equal(sum[i], 0);
    for (size_t u = 0; u < small_layout[1].units; u++)
        unit_set(&small_layout[1], c, u, 1);
    assert_int_equal(maso_search_summarize(s, c, sum), 0);
    for (size_t j = 0; j < 512; j++)
        assert_int_equal((sum[j / 8] >> (j % 8)) & 1, j % 5 == 1);
    /* maxpool bits are the parity of the winner: winners 3 (parity 0) and
     * 7 (parity 1) everywhere in layer 3 */
    memset(c, 0, small_bytes);
    for (size_t u = 0; u < small_layout[3].units; u++)
        unit_set(&small_layout[3], c, u, 3);
    assert_int_equal(maso_search_summarize(s, c, sum), 0);
    for (size_t u = 0; u < small_layout[3].units; u++)
        unit_set(&small_layout[3], c, u, 7);
    assert_int_equal(maso_search_summarize(s, c, sum2), 0);
    for (size_t j = 0; j < 512; j++) {
        assert_int_equal((sum[j / 8] >> (j % 8)) & 1, 0);
        assert_int_equal((sum2[j / 8] >> (j % 8)) & 1, j % 5 == 3);
    }
    free(c);
    maso_search_destroy(s);
}

/* Layers that share a factor share an accumulator (grouping): every
 * weighting must still give the brute-force distance and ranking, and
 * every kernel set the very same double (one order of summation).  The
 * layout repeats unit counts across kinds (a RELU and a MAXPOOL layer of
 * 512 units share a factor under equal weights) and puts sections of one
 * group apart from each other. */
static void test_grouped_weights(void **state)
{
    (void)state;
    enum { NL = 9, NREC = 300, NKERN = 5 };
    static const size_t units[NL] = { 512, 512, 512, 300, 512,
                                      512, 512, 300, 700 };
    static const int bpu[NL] = { 1, 1, 4, 1, 1, 8, 4, 1, 1 };
    maso_code_layer L[NL];
    size_t bytes;
    layout_make(L, units, bpu, NL, &bytes);
    /* equal; repeated values (3 groups); zeros cutting runs; all distinct
     * (9 groups: more than the accumulators); exactly 4 and 5 groups */
    static const double weights[6][NL] = {
        { 1, 1, 1, 1, 1, 1, 1, 1, 1 },
        { 2, 2, 1, 0.5, 2, 1, 1, 0.5, 2 },
        { 1, 0, 1, 1, 1, 0, 0, 1, 0 },
        { 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9 },
        { 1, 1, 3, 1, 1, 3, 3, 1, 1 },
        { 1, 1, 3, 1, 1, 3, 5, 1, 1 },
    };
    uint64_t rng = 0xfeed;
    store st;
    store_init(&st, NREC, bytes, &rng);
    for (size_t i = 0; i < st.n; i++) {
        code_random(L, NL, store_rec(&st, i), bytes, &rng);
        if (i >= 10) { /* near copies: small distances, and many ties */
            memcpy(store_rec(&st, i), store_rec(&st, i % 10), bytes);
            code_perturb(L, NL, store_rec(&st, i), 0.002 * (double)(i % 7),
                         &rng);
        }
    }
    store_cut(&st, NULL, 0, 0);
    uint8_t *q = calloc(bytes, 1);
    double *dist = malloc(NKERN * NREC * sizeof *dist);
    maso_search_hit *ref = malloc(NREC * sizeof *ref);
    assert_non_null(q);
    assert_non_null(dist);
    assert_non_null(ref);
    memcpy(q, store_rec(&st, 3), bytes);
    code_perturb(L, NL, q, 0.05, &rng);
    const char *kernels[NKERN] = { "fused", "avx512-vpopcntdq", "avx512bw",
                                   "avx2", "scalar" };
    maso_search *s;
    assert_int_equal(maso_search_create(L, NL, &s), 0);
    for (int wi = 0; wi < 7; wi++) {
        const double *w = wi < 6 ? weights[wi] : NULL; /* NULL = equal */
        assert_int_equal(maso_search_set_weights(s, w), 0);
        size_t all = ref_rank(&st, L, NL, w, q, -1, ref);
        int have[NKERN] = { 0 };
        for (int kern = 0; kern < NKERN; kern++) {
            if (maso_search_set_kernels(s, kernels[kern]) != 0) {
                assert_int_not_equal(kern, NKERN - 1);
                continue;
            }
            have[kern] = 1;
            for (size_t i = 0; i < NREC; i++) {
                double d = maso_search_distance(s, q, store_rec(&st, i));
                assert_true(fabs(d - ref_distance(L, NL, w, q,
                                                  store_rec(&st, i))) < 1e-12);
                dist[kern * NREC + i] = d;
            }
            for (int th = 1; th <= 2; th++) {
                assert_int_equal(maso_search_set_threads(s, th), 0);
                maso_search_params p;
                maso_search_params_init(&p);
                p.k = 25;
                maso_search_hit hits[25];
                size_t n_hits = 0;
                assert_int_equal(maso_search_query(s, st.seg, st.n_seg, q,
                                                   NULL, &p, hits, &n_hits),
                                 0);
                check_hits(hits, n_hits, ref, all, p.k);
            }
        }
        /* bit-identical across kernel sets (scalar always exists) */
        for (int kern = 0; kern < NKERN - 1; kern++)
            for (size_t i = 0; have[kern] && i < NREC; i++)
                assert_true(dist[kern * NREC + i] ==
                            dist[(NKERN - 1) * NREC + i]);
    }
    /* equal weights: records differing from q by the same number of units
     * in each group are exact ties (one multiply per group) */
    assert_int_equal(maso_search_set_weights(s, NULL), 0);
    uint8_t *a = calloc(bytes, 1), *b = calloc(bytes, 1), *z = calloc(bytes, 1);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(z);
    unit_set(&L[0], a, 3, 1); /* 512-unit layers: 0 here, 4 below */
    unit_set(&L[4], b, 100, 1);
    unit_set(&L[2], a, 7, 5); /* 512-unit nibble, byte layers */
    unit_set(&L[5], b, 9, 2);
    for (int kern = 0; kern < NKERN; kern++) {
        if (maso_search_set_kernels(s, kernels[kern]) != 0)
            continue;
        double da = maso_search_distance(s, z, a);
        assert_true(da == maso_search_distance(s, z, b));
        assert_true(fabs(da - 2.0 / (9 * 512.0)) < 1e-15);
    }
    free(a);
    free(b);
    free(z);
    free(q);
    free(dist);
    free(ref);
    maso_search_destroy(s);
    store_free(&st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_matches_bruteforce),
        cmocka_unit_test(test_ties_by_id),
        cmocka_unit_test(test_coarse_recall),
        cmocka_unit_test(test_duplicates_planted),
        cmocka_unit_test(test_errors_and_edges),
        cmocka_unit_test(test_summary_sample),
        cmocka_unit_test(test_grouped_weights),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
