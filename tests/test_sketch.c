/*
 * test_sketch.c -- sampled codes: determinism, layout, gathering, and the
 * statistics the store relies on (unbiased layer distance, sd <= 0.5/sqrt(m)).
 * Distances here are counted naively, unit by unit, independently of the
 * popcount kernels.
 */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "maso.h"
#include "layout_testutil.h"
#include "code/sketch_internal.h"

/* Test-local generator (xorshift64*), unrelated to the sketch's. */
static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

/* Build a layout table with 64-byte aligned sections. */
static size_t layout(maso_code_layer *t, size_t n)
{
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        t[i].units = (size_t)t[i].channels * t[i].height * t[i].width;
        t[i].offset = off;
        t[i].bytes = ((t[i].units * t[i].bits_per_unit + 7) / 8 + 63) / 64 * 64;
        off += t[i].bytes;
    }
    return off;
}

static maso_code_layer relu(const char *name, int c, int h, int w)
{
    maso_code_layer l = {name, MASO_LAYER_RELU, c, h, w, 0, 1, 0, 0, 0, NULL};
    return l;
}

static maso_code_layer pool(const char *name, int c, int h, int w, int bits)
{
    maso_code_layer l = {name, MASO_LAYER_MAXPOOL, c, h, w, 9, bits, 0, 0, 0, NULL};
    return l;
}

/* Unit value read the slow way: bit-by-bit offsets from the start. */
static unsigned unit_at(const maso_code_layer *l, const uint8_t *code, size_t i)
{
    size_t bit = l->offset * 8 + i * (size_t)l->bits_per_unit;
    unsigned v = 0;
    for (int b = 0; b < l->bits_per_unit; b++, bit++)
        v |= (unsigned)((code[bit / 8] >> (bit % 8)) & 1) << b;
    return v;
}

static size_t naive_diff(const maso_code_layer *l, const uint8_t *a,
                         const uint8_t *b)
{
    size_t d = 0;
    for (size_t i = 0; i < l->units; i++)
        d += unit_at(l, a, i) != unit_at(l, b, i);
    return d;
}

/* A random code: maxpool units get values < window. */
static void random_code(const maso_code_layer *t, size_t n, uint8_t *code,
                        size_t bytes, uint64_t *s)
{
    memset(code, 0, bytes);
    for (size_t i = 0; i < n; i++)
        for (size_t u = 0; u < t[i].units; u++) {
            unsigned v = (unsigned)(rng_next(s) >> 40);
            v = t[i].kind == MASO_LAYER_RELU ? v & 1 : v % 9;
            size_t bit = t[i].offset * 8 + u * (size_t)t[i].bits_per_unit;
            for (int b = 0; b < t[i].bits_per_unit; b++, bit++)
                code[bit / 8] |= (uint8_t)(((v >> b) & 1) << (bit % 8));
        }
}

/* Copy of a with a fraction ~p of units changed. */
static void perturb(const maso_code_layer *t, size_t n, const uint8_t *a,
                    uint8_t *b, size_t bytes, double p, uint64_t *s)
{
    memcpy(b, a, bytes);
    for (size_t i = 0; i < n; i++)
        for (size_t u = 0; u < t[i].units; u++) {
            if ((double)(rng_next(s) >> 11) * 0x1p-53 >= p)
                continue;
            size_t bit = t[i].offset * 8 + u * (size_t)t[i].bits_per_unit;
            unsigned v = unit_at(&t[i], a, u);
            unsigned w = t[i].kind == MASO_LAYER_RELU ? v ^ 1 : (v + 1) % 9;
            for (int k = 0; k < t[i].bits_per_unit; k++, bit++) {
                b[bit / 8] &= (uint8_t)~(1u << (bit % 8));
                b[bit / 8] |= (uint8_t)(((w >> k) & 1) << (bit % 8));
            }
        }
}

static maso_sketch *make(const maso_code_layer *t, size_t n, uint64_t seed,
                         size_t mr, size_t mp)
{
    maso_sketch_params p;
    maso_sketch_params_init(&p);
    p.seed = seed;
    p.relu_samples = mr;
    p.maxpool_samples = mp;
    maso_sketch *s = NULL;
    assert_int_equal(maso_sketch_create(t, n, &p, &s), 0);
    assert_non_null(s);
    return s;
}

static void test_defaults(void **state)
{
    (void)state;
    maso_sketch_params p;
    maso_sketch_params_init(&p);
    assert_int_equal(p.seed, 0);
    assert_int_equal(p.relu_samples, 2048);
    assert_int_equal(p.maxpool_samples, 640);
}

/* Default sketch of SqueezeNet: 26 relu * 128 + 3 maxpool * 192 bytes. */
static void test_squeezenet_size(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path,
             "%s/reference/squeezenet_v1.1/bird/codes.tsv", MASO_SHARED_DIR);
    golden_layout golden;
    size_t n = golden_layout_read(path, &golden);
    const maso_code_layer *t = golden.layers;
    assert_int_equal(n, 29);
    maso_sketch_params p;
    maso_sketch_params_init(&p);
    maso_sketch *s = NULL;
    assert_int_equal(maso_sketch_create(t, n, &p, &s), 0);
    size_t relus = 0, pools = 0;
    for (size_t i = 0; i < n; i++) {
        if (t[i].kind == MASO_LAYER_RELU)
            relus++;
        else
            pools++;
    }
    assert_int_equal(relus, 26);
    assert_int_equal(pools, 3);
    /* 2048 bits = 256 bytes per ReLU layer, 640 nibbles = 320 bytes per
     * max-pool layer: multiples of 64, so no padding. */
    assert_int_equal(maso_sketch_bytes(s), 26 * 2048 / 8 + 3 * 640 / 2);
    assert_true(maso_sketch_bytes(s) <= 8192 - 512); /* room for the rest */
    assert_int_equal(maso_sketch_code_bytes(s),
                     t[n - 1].offset + t[n - 1].bytes);
    const maso_code_layer *sl;
    assert_int_equal(maso_sketch_layers(s, &sl), n);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(sl[i].name, t[i].name);
        assert_ptr_not_equal(sl[i].name, t[i].name); /* copied */
        assert_string_equal(sl[i].blob, t[i].blob);
        assert_ptr_not_equal(sl[i].blob, t[i].blob); /* copied too */
    }
    maso_sketch_destroy(s);
}

/* Sections: 64-byte aligned, multiples of 64, contiguous, big enough. */
static void test_layout(void **state)
{
    (void)state;
    maso_code_layer t[4] = {relu("a", 3, 10, 10), pool("p", 2, 7, 7, 4),
                            relu("b", 1000, 16, 16), pool("q", 5, 5, 5, 8)};
    layout(t, 4);
    maso_sketch *s = make(t, 4, 7, 100, 40);
    const maso_code_layer *sl;
    assert_int_equal(maso_sketch_layers(s, &sl), 4);
    size_t expect_units[4] = {100, 40, 100, 40};
    size_t off = 0;
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(sl[i].units, expect_units[i]);
        assert_int_equal(sl[i].kind, t[i].kind);
        assert_int_equal(sl[i].bits_per_unit, t[i].bits_per_unit);
        assert_int_equal(sl[i].window, t[i].window);
        assert_null(sl[i].blob); /* the source table had no blobs */
        assert_int_equal(sl[i].offset, off);
        assert_int_equal(sl[i].offset % 64, 0);
        assert_int_equal(sl[i].bytes % 64, 0);
        assert_true(sl[i].bytes * 8 >= sl[i].units * sl[i].bits_per_unit);
        assert_true(sl[i].bytes * 8 < sl[i].units * sl[i].bits_per_unit + 512);
        off += sl[i].bytes;
    }
    assert_int_equal(maso_sketch_bytes(s), off);
    maso_sketch_destroy(s);
}

/* Positions: sorted, distinct, in range; a small layer is kept whole. */
static void test_positions(void **state)
{
    (void)state;
    maso_code_layer t[2] = {relu("big", 64, 20, 20), pool("small", 1, 4, 4, 4)};
    layout(t, 2);
    maso_sketch *s = make(t, 2, 42, 500, 500);
    size_t m;
    const uint32_t *pos = maso_sketch_positions(s, 0, &m);
    assert_int_equal(m, 500);
    for (size_t j = 0; j < m; j++) {
        assert_true(pos[j] < t[0].units);
        if (j)
            assert_true(pos[j] > pos[j - 1]);
    }
    pos = maso_sketch_positions(s, 1, &m);
    assert_int_equal(m, 16);
    for (size_t j = 0; j < m; j++)
        assert_int_equal(pos[j], j);
    assert_null(maso_sketch_positions(s, 2, &m));
    assert_int_equal(m, 0);
    maso_sketch_destroy(s);
}

static void test_determinism(void **state)
{
    (void)state;
    maso_code_layer t[2] = {relu("r", 64, 30, 30), pool("p", 32, 15, 15, 4)};
    layout(t, 2);
    maso_sketch *a = make(t, 2, 1234, 256, 128);
    maso_sketch *b = make(t, 2, 1234, 256, 128);
    maso_sketch *c = make(t, 2, 1235, 256, 128);
    for (size_t i = 0; i < 2; i++) {
        size_t ma, mb, mc;
        const uint32_t *pa = maso_sketch_positions(a, i, &ma);
        const uint32_t *pb = maso_sketch_positions(b, i, &mb);
        const uint32_t *pc = maso_sketch_positions(c, i, &mc);
        assert_int_equal(ma, mb);
        assert_int_equal(ma, mc);
        assert_memory_equal(pa, pb, ma * sizeof *pa);
        /* Another seed: most positions differ (two random 256-subsets of
         * 57600 share ~1 element). */
        size_t same = 0;
        for (size_t j = 0; j < ma; j++)
            same += pa[j] == pc[j];
        assert_true(same < ma / 4);
    }
    /* The two layers of one sketch do not reuse one draw. */
    size_t m0, m1;
    const uint32_t *p0 = maso_sketch_positions(a, 0, &m0);
    const uint32_t *p1 = maso_sketch_positions(a, 1, &m1);
    size_t same = 0;
    for (size_t j = 0; j < m1; j++)
        same += p0[j] == p1[j];
    assert_true(same < m1 / 4);
    maso_sketch_destroy(a);
    maso_sketch_destroy(b);
    maso_sketch_destroy(c);
}

/* The positions are a stored format (a store keeps only the seed): the
 * documented algorithm written out plainly here (splitmix64 seeded per
 * layer, uniform draws by rejection and %, Knuth's Algorithm S) must give
 * the same positions for SqueezeNet's layout and for layers whose sizes
 * span the ranges of the library's faster remainder. */
static uint64_t ref_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void ref_positions(uint64_t seed, size_t layer, size_t units, size_t m,
                          uint32_t *out, size_t *count)
{
    uint64_t mix = seed ^ (0xD1B54A32D192ED03ull * (uint64_t)(layer + 1));
    uint64_t state = ref_splitmix64(&mix);
    size_t chosen = 0;
    for (size_t t = 0; t < units && chosen < m; t++) {
        uint64_t range = units - t, threshold = (0 - range) % range, r;
        do
            r = ref_splitmix64(&state);
        while (r < threshold);
        if (r % range < m - chosen)
            out[chosen++] = (uint32_t)t;
    }
    *count = chosen;
}

static void expect_reference_positions(const maso_code_layer *t, size_t n,
                                       uint64_t seed)
{
    maso_sketch_params p;
    maso_sketch_params_init(&p);
    p.seed = seed;
    maso_sketch *s = NULL;
    assert_int_equal(maso_sketch_create(t, n, &p, &s), 0);
    uint32_t *want = malloc(sizeof *want * 4096);
    uint32_t *path_out = malloc(sizeof *path_out * 4096);
    assert_non_null(want);
    assert_non_null(path_out);
    for (size_t i = 0; i < n; i++) {
        size_t m = t[i].kind == MASO_LAYER_RELU ? p.relu_samples
                                                : p.maxpool_samples, count;
        assert_true(m <= 4096);
        ref_positions(seed, i, t[i].units, m, want, &count);
        size_t got_count;
        const uint32_t *got = maso_sketch_positions(s, i, &got_count);
        assert_int_equal(got_count, count);
        if (memcmp(got, want, count * sizeof *want) != 0)
            fail_msg("seed %llu layer %zu (%zu units): positions differ from "
                     "the reference", (unsigned long long)seed, i, t[i].units);
        /* every path this CPU runs, not only the best */
        for (int path = CORE_SKETCH_PATH_SCALAR; path <= CORE_SKETCH_PATH_AVX512;
             path++) {
            if (path == CORE_SKETCH_PATH_AVX512 && !core_sketch_avx512_usable())
                continue;
            memset(path_out, 0xff, sizeof *path_out * 4096);
            core_sketch_select(seed, i, t[i].units, m, path_out,
                               (core_sketch_path)path);
            if (memcmp(path_out, want, count * sizeof *want) != 0)
                fail_msg("seed %llu layer %zu, path %d: positions differ from "
                         "the reference", (unsigned long long)seed, i, path);
        }
    }
    free(path_out);
    free(want);
    maso_sketch_destroy(s);
}

/* SqueezeNet's 29 coded layers, from the golden outputs' table. */
static size_t read_squeezenet_layout(golden_layout *golden)
{
    char path[512];
    snprintf(path, sizeof path,
             "%s/reference/squeezenet_v1.1/bird/codes.tsv", MASO_SHARED_DIR);
    size_t n = golden_layout_read(path, golden);
    assert_int_equal(n, 29);
    return n;
}

static void test_positions_reference(void **state)
{
    (void)state;
    golden_layout golden;
    size_t n = read_squeezenet_layout(&golden);
    expect_reference_positions(golden.layers, n, 0);
    expect_reference_positions(golden.layers, n, 0x123456789abcdefull);
    /* below, at and above the 4096 (+ 8) units where the vector path
     * stops, and a layer of 2^24 units */
    maso_code_layer t[6] = {relu("a", 1, 1, 3000), relu("b", 1, 1, 4104),
                            relu("c", 1, 1, 4105), relu("e", 1, 1, 4113),
                            pool("p", 1, 100, 100, 4),
                            relu("d", 256, 256, 256)};
    layout(t, 6);
    expect_reference_positions(t, 6, 7);
}

/* The positions are drawn at their first use, by whichever thread comes
 * first: threads that all ask a fresh sketch at once (positions and
 * apply) see what a sketch drawn by one thread holds. */
struct racer {
    const maso_sketch *sketch;
    const maso_code_layer *layers;
    size_t n;
    uint8_t *code, *out;
    uint32_t *copy; /* every layer's positions, one after the other */
};

static void *race(void *opaque)
{
    struct racer *r = opaque;
    size_t at = 0;
    if (r->out != NULL)
        maso_sketch_apply(r->sketch, r->code, r->out);
    for (size_t i = 0; i < r->n; i++) {
        size_t count;
        const uint32_t *pos = maso_sketch_positions(r->sketch, i, &count);
        memcpy(r->copy + at, pos, count * sizeof *pos);
        at += count;
    }
    return NULL;
}

static void test_drawn_once_by_any_thread(void **state)
{
    (void)state;
    golden_layout golden;
    size_t n = read_squeezenet_layout(&golden);
    size_t total = 0, code_bytes = 0;
    for (size_t i = 0; i < n; i++) {
        total += MASO_SKETCH_RELU_SAMPLES;
        if (golden.layers[i].offset + golden.layers[i].bytes > code_bytes)
            code_bytes = golden.layers[i].offset + golden.layers[i].bytes;
    }
    /* one thread draws the reference sketch */
    maso_sketch *alone = make(golden.layers, n, 5, MASO_SKETCH_RELU_SAMPLES,
                              MASO_SKETCH_MAXPOOL_SAMPLES);
    uint8_t *code = malloc(code_bytes);
    assert_non_null(code);
    uint64_t rs = 99;
    for (size_t i = 0; i < code_bytes; i++)
        code[i] = (uint8_t)(rng_next(&rs) >> 56);
    size_t bytes = maso_sketch_bytes(alone);
    uint8_t *want_out = malloc(bytes);
    uint32_t *want = calloc(total, sizeof *want);
    assert_non_null(want_out);
    assert_non_null(want);
    struct racer ref = {alone, golden.layers, n, code, want_out, want};
    race(&ref);

    enum { THREADS = 4 };
    maso_sketch *shared = make(golden.layers, n, 5, MASO_SKETCH_RELU_SAMPLES,
                               MASO_SKETCH_MAXPOOL_SAMPLES);
    pthread_t th[THREADS];
    struct racer r[THREADS];
    for (int k = 0; k < THREADS; k++) {
        r[k] = (struct racer){shared, golden.layers, n, code,
                              k % 2 ? malloc(bytes) : NULL,
                              calloc(total, sizeof(uint32_t))};
        assert_non_null(r[k].copy);
        assert_int_equal(pthread_create(&th[k], NULL, race, &r[k]), 0);
    }
    for (int k = 0; k < THREADS; k++) {
        assert_int_equal(pthread_join(th[k], NULL), 0);
        assert_memory_equal(r[k].copy, want, total * sizeof *want);
        if (r[k].out != NULL)
            assert_memory_equal(r[k].out, want_out, bytes);
        free(r[k].out);
        free(r[k].copy);
    }
    maso_sketch_destroy(shared);
    maso_sketch_destroy(alone);
    free(want);
    free(want_out);
    free(code);
}

/* Every unit is chosen with probability m/N (selection is uniform). */
static void test_uniform_inclusion(void **state)
{
    (void)state;
    maso_code_layer t[1] = {relu("r", 1, 8, 8)};
    layout(t, 1);
    enum { SEEDS = 4000, N = 64, M = 16 };
    unsigned count[N] = {0};
    for (uint64_t seed = 0; seed < SEEDS; seed++) {
        maso_sketch *s = make(t, 1, seed * 7919 + 3, M, M);
        size_t m;
        const uint32_t *pos = maso_sketch_positions(s, 0, &m);
        assert_int_equal(m, M);
        for (size_t j = 0; j < m; j++)
            count[pos[j]]++;
        maso_sketch_destroy(s);
    }
    double expect = (double)SEEDS * M / N;          /* 1000 */
    double sd = sqrt(expect * (1.0 - (double)M / N)); /* ~27 */
    for (int u = 0; u < N; u++)
        assert_true(fabs(count[u] - expect) < 5 * sd);
}

/* Gathered sketch units are the code's units at the sampled positions. */
static void test_gather(void **state)
{
    (void)state;
    maso_code_layer t[3] = {relu("r", 16, 13, 13), pool("p4", 8, 9, 9, 4),
                            pool("p8", 4, 9, 9, 8)};
    size_t bytes = layout(t, 3);
    maso_sketch *s = make(t, 3, 99, 300, 111);
    assert_int_equal(maso_sketch_code_bytes(s), bytes);
    uint8_t *code = malloc(bytes);
    uint8_t *out = malloc(maso_sketch_bytes(s));
    uint64_t rs = 0x1234567;
    random_code(t, 3, code, bytes, &rs);
    memset(out, 0xAA, maso_sketch_bytes(s)); /* padding must be zeroed */
    maso_sketch_apply(s, code, out);
    const maso_code_layer *sl;
    maso_sketch_layers(s, &sl);
    for (size_t i = 0; i < 3; i++) {
        size_t m;
        const uint32_t *pos = maso_sketch_positions(s, i, &m);
        for (size_t j = 0; j < m; j++)
            assert_int_equal(unit_at(&sl[i], out, j),
                             unit_at(&t[i], code, pos[j]));
        /* padding after the last unit is zero */
        size_t used_bits = m * (size_t)sl[i].bits_per_unit;
        for (size_t bit = used_bits; bit < sl[i].bytes * 8; bit++)
            assert_int_equal((out[sl[i].offset + bit / 8] >> (bit % 8)) & 1, 0);
    }
    free(code);
    free(out);
    maso_sketch_destroy(s);
}

/*
 * The sampled distance over many seeds: its mean is the exact distance
 * (within 4.5 standard errors) and its spread matches the hypergeometric
 * sd sqrt(p(1-p)/m (N-m)/(N-1)) (within 15%) which is <= 0.5/sqrt(m).
 */
static void check_unbiased(const maso_code_layer *t, size_t n, double p,
                           size_t mr, size_t mp, int seeds)
{
    size_t bytes = t[n - 1].offset + t[n - 1].bytes;
    uint8_t *a = malloc(bytes), *b = malloc(bytes);
    uint64_t rs = 0xC0FFEE ^ (uint64_t)(p * 1000);
    random_code(t, n, a, bytes, &rs);
    perturb(t, n, a, b, bytes, p, &rs);
    double *sum = calloc(n, sizeof *sum), *sum2 = calloc(n, sizeof *sum2);
    uint8_t *sa = NULL, *sb = NULL;
    size_t ms[8];
    for (int k = 0; k < seeds; k++) {
        maso_sketch *s = make(t, n, 0x5EED0000u + (uint64_t)k * 104729u, mr, mp);
        if (!sa) {
            sa = malloc(maso_sketch_bytes(s));
            sb = malloc(maso_sketch_bytes(s));
        }
        maso_sketch_apply(s, a, sa);
        maso_sketch_apply(s, b, sb);
        const maso_code_layer *sl;
        maso_sketch_layers(s, &sl);
        for (size_t i = 0; i < n; i++) {
            double d = (double)naive_diff(&sl[i], sa, sb) / (double)sl[i].units;
            ms[i] = sl[i].units;
            sum[i] += d;
            sum2[i] += d * d;
        }
        maso_sketch_destroy(s);
    }
    for (size_t i = 0; i < n; i++) {
        double exact = (double)naive_diff(&t[i], a, b) / (double)t[i].units;
        double mean = sum[i] / seeds;
        double var = (sum2[i] - seeds * mean * mean) / (seeds - 1);
        double sd = sqrt(var > 0 ? var : 0);
        double m = (double)ms[i], N = (double)t[i].units;
        double sd_theory = sqrt(exact * (1 - exact) / m * (N - m) / (N - 1));
        assert_true(exact > 0.5 * p && exact < 1.5 * p);
        assert_true(fabs(mean - exact) < 4.5 * sd_theory / sqrt(seeds) + 1e-12);
        /* the bound holds exactly for the theory, and for the measured sd
         * up to its sampling error (~2% at 1500 seeds) */
        assert_true(sd_theory <= 0.5 / sqrt(m));
        assert_true(sd <= 1.08 * 0.5 / sqrt(m));
        assert_true(fabs(sd - sd_theory) < 0.15 * sd_theory);
    }
    free(sum);
    free(sum2);
    free(a);
    free(b);
    free(sa);
    free(sb);
}

static void test_unbiased_half(void **state)
{
    (void)state;
    maso_code_layer t[2] = {relu("r", 32, 24, 24), pool("p", 16, 12, 12, 4)};
    layout(t, 2);
    check_unbiased(t, 2, 0.5, 256, 128, 1500);
}

static void test_unbiased_small_p(void **state)
{
    (void)state;
    maso_code_layer t[2] = {relu("r", 32, 24, 24), pool("p", 16, 12, 12, 8)};
    layout(t, 2);
    check_unbiased(t, 2, 0.05, 512, 200, 1500);
}

static void test_invalid(void **state)
{
    (void)state;
    maso_code_layer t[1] = {relu("r", 2, 2, 2)};
    layout(t, 1);
    maso_sketch_params p;
    maso_sketch_params_init(&p);
    maso_sketch *s = (maso_sketch *)&p; /* must be reset to NULL on failure */
    assert_int_equal(maso_sketch_create(NULL, 1, &p, &s), MASO_EINVAL_ARG);
    assert_null(s);
    assert_int_equal(maso_sketch_create(t, 0, &p, &s), MASO_EINVAL_ARG);
    assert_int_equal(maso_sketch_create(t, 1, NULL, &s), MASO_EINVAL_ARG);
    assert_int_equal(maso_sketch_create(t, 1, &p, NULL), MASO_EINVAL_ARG);
    p.relu_samples = 0;
    assert_int_equal(maso_sketch_create(t, 1, &p, &s), MASO_EINVAL_ARG);
    maso_sketch_params_init(&p);
    maso_code_layer bad = t[0];
    bad.bits_per_unit = 4; /* relu must be 1 bit */
    assert_int_equal(maso_sketch_create(&bad, 1, &p, &s), MASO_EINVAL_ARG);
    bad = t[0];
    bad.units = 0;
    assert_int_equal(maso_sketch_create(&bad, 1, &p, &s), MASO_EINVAL_ARG);
    bad = t[0];
    bad.units = 1000; /* section of 64 bytes too small for 1000 bits */
    assert_int_equal(maso_sketch_create(&bad, 1, &p, &s), MASO_EINVAL_ARG);
    bad = pool("p", 1, 2, 2, 2);
    layout(&bad, 1);
    assert_int_equal(maso_sketch_create(&bad, 1, &p, &s), MASO_EINVAL_ARG);
    assert_null(s);
    maso_sketch_destroy(NULL);
    /* accessors on no sketch: nothing, not a crash */
    const maso_code_layer *sl = t;
    size_t count = 7;
    assert_null(maso_sketch_get_params(NULL));
    assert_int_equal(maso_sketch_layers(NULL, &sl), 0);
    assert_null(sl);
    assert_int_equal(maso_sketch_bytes(NULL), 0);
    assert_int_equal(maso_sketch_code_bytes(NULL), 0);
    assert_null(maso_sketch_positions(NULL, 0, &count));
    assert_int_equal(count, 0);
    uint8_t out[64];
    memset(out, 0xAB, sizeof out);
    maso_sketch_apply(NULL, out, out);
    assert_int_equal(out[0], 0xAB);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_squeezenet_size),
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_positions),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_uniform_inclusion),
        cmocka_unit_test(test_positions_reference),
        cmocka_unit_test(test_drawn_once_by_any_thread),
        cmocka_unit_test(test_gather),
        cmocka_unit_test(test_unbiased_half),
        cmocka_unit_test(test_unbiased_small_p),
        cmocka_unit_test(test_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
