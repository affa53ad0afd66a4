/*
 * test_distance.c -- the popcount kernel sets and the code distances.
 *
 * Kernels: every set this CPU runs is compared with a naive reference that
 * walks the bytes bit by bit / field by field (no 64-bit words, no tricks)
 * on random data of 0..300 words at random byte offsets, and on saturated
 * data long enough to overflow any 8-bit accumulator that is not widened.
 * Distances: a small hand-made layout table with hand-built codes whose
 * differences are known by construction.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "maso.h"

static const char *const set_names[] = {"avx512-vpopcntdq", "avx512bw",
                                        "avx2", "scalar"};
#define N_SETS (sizeof set_names / sizeof set_names[0])

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rnd(void)
{
    /* xorshift64*: reproducible, good enough to mix bits */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1du;
}

/* --- naive references over bytes ------------------------------------- */

static uint64_t ref_bits(const uint8_t *a, const uint8_t *b, size_t n)
{
    uint64_t c = 0;
    for (size_t i = 0; i < n; i++)
        for (int bit = 0; bit < 8; bit++)
            c += ((a[i] >> bit) & 1) != ((b[i] >> bit) & 1);
    return c;
}

static uint64_t ref_nibbles(const uint8_t *a, const uint8_t *b, size_t n)
{
    uint64_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += (a[i] % 16 != b[i] % 16) + (a[i] / 16 != b[i] / 16);
    return c;
}

static uint64_t ref_bytes(const uint8_t *a, const uint8_t *b, size_t n)
{
    uint64_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += a[i] != b[i];
    return c;
}

/* --- kernel selection ------------------------------------------------- */

static int cpu_has(const char *name)
{
    __builtin_cpu_init();
    if (strcmp(name, "avx512-vpopcntdq") == 0)
        return __builtin_cpu_supports("avx512vpopcntdq") &&
               __builtin_cpu_supports("avx512bw");
    if (strcmp(name, "avx512bw") == 0)
        return __builtin_cpu_supports("avx512bw");
    if (strcmp(name, "avx2") == 0)
        return __builtin_cpu_supports("avx2");
    return 1;
}

static void test_kernel_selection(void **state)
{
    (void)state;
    const maso_kernels *best = maso_kernels_best();
    assert_non_null(best);
    /* best = the first set of the preference order that the CPU has */
    for (size_t i = 0; i < N_SETS; i++) {
        const maso_kernels *k = maso_kernels_get(set_names[i]);
        if (cpu_has(set_names[i])) {
            assert_non_null(k);
            assert_string_equal(k->name, set_names[i]);
            assert_non_null(k->xor_popcount);
            assert_non_null(k->nibble_diff);
            assert_non_null(k->byte_diff);
        } else {
            assert_null(k);
        }
    }
    for (size_t i = 0; i < N_SETS; i++)
        if (cpu_has(set_names[i])) {
            assert_string_equal(best->name, set_names[i]);
            break;
        }
    assert_ptr_equal(maso_kernels_best(), best); /* static, stable */
    assert_null(maso_kernels_get("sse9"));
    assert_null(maso_kernels_get(""));
    assert_null(maso_kernels_get(NULL));
}

/* --- kernels against the references ---------------------------------- */

/* b = a with a random pattern of changes whose density varies per call:
 * from single flipped bits (a nibble that differs in one bit only) to
 * completely random bytes. */
static void fill_pair(uint8_t *a, uint8_t *b, size_t n)
{
    unsigned mode = (unsigned)(rnd() % 5);
    for (size_t i = 0; i < n; i++) {
        uint8_t x = (uint8_t)rnd(), flip;
        switch (mode) {
        case 0: flip = 0; break;
        case 1: flip = (rnd() % 97 == 0) ? (uint8_t)(1u << (rnd() % 8)) : 0; break;
        case 2: flip = (uint8_t)(rnd() & rnd() & rnd()); break;
        case 3: flip = (uint8_t)rnd(); break;
        default: flip = 0xff; break;
        }
        a[i] = x;
        b[i] = x ^ flip;
    }
}

static void test_kernels_random(void **state)
{
    (void)state;
    const maso_kernels *scalar = maso_kernels_get("scalar");
    assert_non_null(scalar);
    for (int round = 0; round < 3000; round++) {
        size_t words = round < 301 ? (size_t)round : (size_t)(rnd() % 301);
        size_t off_a = rnd() % 64, off_b = rnd() % 64;
        size_t n = 8 * words;
        /* exact-size blocks: a read past the end shows under ASan */
        uint8_t *ba = malloc(off_a + n + 1), *bb = malloc(off_b + n + 1);
        assert_non_null(ba);
        assert_non_null(bb);
        uint8_t *a = ba + off_a, *b = bb + off_b;
        fill_pair(a, b, n);
        const uint64_t *wa = (const uint64_t *)(const void *)a;
        const uint64_t *wb = (const uint64_t *)(const void *)b;
        uint64_t rb = ref_bits(a, b, n), rn = ref_nibbles(a, b, n),
                 ry = ref_bytes(a, b, n);
        for (size_t s = 0; s < N_SETS; s++) {
            const maso_kernels *k = maso_kernels_get(set_names[s]);
            if (k == NULL)
                continue; /* checked in test_kernel_selection */
            assert_int_equal(k->xor_popcount(wa, wb, words), rb);
            assert_int_equal(k->nibble_diff(wa, wb, words), rn);
            assert_int_equal(k->byte_diff(wa, wb, words), ry);
            assert_int_equal(k->xor_popcount(wa, wb, words),
                             scalar->xor_popcount(wa, wb, words));
        }
        free(ba);
        free(bb);
    }
}

static void test_kernels_saturated(void **state)
{
    (void)state;
    /* Every bit differs: per-byte counts are at their maximum, so lengths
     * beyond 31 / 127 / 255 vectors catch a missing widening step. */
    static const size_t lengths[] = {1, 7, 8, 9, 124, 125, 248, 1019, 1020,
                                     1021, 2040, 2047, 4096, 9001};
    size_t max = 9001 * 8;
    uint8_t *a = malloc(max), *b = malloc(max);
    assert_non_null(a);
    assert_non_null(b);
    memset(a, 0x5a, max);
    memset(b, 0xa5, max);
    for (size_t s = 0; s < N_SETS; s++) {
        const maso_kernels *k = maso_kernels_get(set_names[s]);
        if (k == NULL)
            continue;
        for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++) {
            size_t w = lengths[i];
            const uint64_t *wa = (const uint64_t *)(const void *)a;
            const uint64_t *wb = (const uint64_t *)(const void *)b;
            assert_int_equal(k->xor_popcount(wa, wb, w), 64 * w);
            assert_int_equal(k->nibble_diff(wa, wb, w), 16 * w);
            assert_int_equal(k->byte_diff(wa, wb, w), 8 * w);
            assert_int_equal(k->xor_popcount(wa, wa, w), 0);
            assert_int_equal(k->nibble_diff(wa, wa, w), 0);
            assert_int_equal(k->byte_diff(wa, wa, w), 0);
        }
    }
    free(a);
    free(b);
}

/* --- distances on a hand-made layout ---------------------------------- */

enum { L_RELU100, L_POOL4, L_POOL8, L_RELU1000, N_LAYERS, CODE_BYTES = 384 };

static const maso_code_layer layout[N_LAYERS] = {
    /* 100 bits -> 13 bytes, padded to 64 */
    {"r100", MASO_LAYER_RELU, 1, 10, 10, 0, 1, 100, 0, 64, NULL},
    /* 3x3 windows: 4-bit winners, 50 units -> 25 bytes -> 64 */
    {"p4", MASO_LAYER_MAXPOOL, 2, 5, 5, 9, 4, 50, 64, 64, NULL},
    /* 5x5 windows: byte winners, 75 units -> 128 */
    {"p8", MASO_LAYER_MAXPOOL, 3, 5, 5, 25, 8, 75, 128, 128, NULL},
    /* 1000 bits -> 125 bytes -> 128 (more than one 512-bit word) */
    {"r1000", MASO_LAYER_RELU, 10, 10, 10, 0, 1, 1000, 256, 128, NULL},
};

/* Written from the packing rule in maso.h, unit by unit. */
static void set_unit(uint8_t *code, const maso_code_layer *l, size_t i,
                     unsigned v)
{
    uint8_t *s = code + l->offset;
    if (l->bits_per_unit == 1) {
        if (v)
            s[i / 8] |= (uint8_t)(1u << (i % 8));
        else
            s[i / 8] &= (uint8_t)~(1u << (i % 8));
    } else if (l->bits_per_unit == 4) {
        if (i % 2 == 0)
            s[i / 2] = (uint8_t)((s[i / 2] & 0xf0) | (v & 15));
        else
            s[i / 2] = (uint8_t)((s[i / 2] & 0x0f) | (v & 15) << 4);
    } else {
        s[i] = (uint8_t)v;
    }
}

static unsigned get_unit(const uint8_t *code, const maso_code_layer *l,
                         size_t i)
{
    const uint8_t *s = code + l->offset;
    if (l->bits_per_unit == 1)
        return (s[i / 8] >> (i % 8)) & 1;
    if (l->bits_per_unit == 4)
        return i % 2 ? s[i / 2] >> 4 : s[i / 2] & 15u;
    return s[i];
}

/* A random valid code: bits, and winners below the window size. */
static void random_code(uint8_t *code)
{
    memset(code, 0, CODE_BYTES);
    for (int l = 0; l < N_LAYERS; l++)
        for (size_t i = 0; i < layout[l].units; i++)
            set_unit(code, &layout[l], i,
                     layout[l].window ? (unsigned)(rnd() % (uint64_t)layout[l].window)
                                      : (unsigned)(rnd() & 1));
}

/* Change exactly @p k distinct units of layer @p l in @p code (the first k
 * of a random permutation), each to a different valid value. */
static void change_units(uint8_t *code, const maso_code_layer *l, size_t k)
{
    size_t perm[1000];
    for (size_t i = 0; i < l->units; i++)
        perm[i] = i;
    for (size_t i = l->units - 1; i > 0; i--) {
        size_t j = (size_t)(rnd() % (i + 1)), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    unsigned range = l->window ? (unsigned)l->window : 2;
    for (size_t n = 0; n < k; n++) {
        unsigned old = get_unit(code, l, perm[n]);
        unsigned v = (old + 1 + (unsigned)(rnd() % (range - 1))) % range;
        set_unit(code, l, perm[n], v);
    }
}

static void test_layer_known_values(void **state)
{
    (void)state;
    uint8_t a[CODE_BYTES], b[CODE_BYTES];
    for (int trial = 0; trial < 50; trial++) {
        random_code(a);
        memcpy(b, a, sizeof a);
        /* relu, 100 units, 25 differ -> 0.25 */
        change_units(b, &layout[L_RELU100], 25);
        size_t k4 = (size_t)(rnd() % 51), k8 = (size_t)(rnd() % 76),
               k1000 = (size_t)(rnd() % 1001);
        change_units(b, &layout[L_POOL4], k4);
        change_units(b, &layout[L_POOL8], k8);
        change_units(b, &layout[L_RELU1000], k1000);

        assert_int_equal(maso_layer_diff(&layout[L_RELU100], a, b), 25);
        assert_true(maso_layer_distance(&layout[L_RELU100], a, b) == 0.25);
        assert_int_equal(maso_layer_diff(&layout[L_POOL4], a, b), k4);
        assert_true(maso_layer_distance(&layout[L_POOL4], a, b) ==
                    (double)k4 / 50);
        assert_int_equal(maso_layer_diff(&layout[L_POOL8], a, b), k8);
        assert_int_equal(maso_layer_diff(&layout[L_RELU1000], a, b), k1000);

        double per[N_LAYERS];
        double expect[N_LAYERS] = {0.25, (double)k4 / 50, (double)k8 / 75,
                                   (double)k1000 / 1000};
        double d = maso_code_distance(layout, N_LAYERS, NULL, a, b, per);
        for (int l = 0; l < N_LAYERS; l++)
            assert_true(per[l] == expect[l]);
        double mean = (expect[0] + expect[1] + expect[2] + expect[3]) / 4;
        assert_true(d > mean - 1e-12 && d < mean + 1e-12);

        /* weights select subsets; zero excludes */
        double w1[N_LAYERS] = {0, 1, 0, 0};
        assert_true(maso_code_distance(layout, N_LAYERS, w1, a, b, NULL) ==
                    expect[1]);
        double w2[N_LAYERS] = {2, 0, 0, 1};
        double want = (2 * expect[0] + expect[3]) / 3;
        d = maso_code_distance(layout, N_LAYERS, w2, a, b, per);
        assert_true(d > want - 1e-12 && d < want + 1e-12);
        /* per_layer still reports the excluded layers */
        for (int l = 0; l < N_LAYERS; l++)
            assert_true(per[l] == expect[l]);
        double w0[N_LAYERS] = {0, 0, 0, 0};
        assert_true(maso_code_distance(layout, N_LAYERS, w0, a, b, NULL) == 0);
        /* a subset of the table = the same weights restricted */
        d = maso_code_distance(layout + 1, 2, NULL, a, b, NULL);
        want = (expect[1] + expect[2]) / 2;
        assert_true(d > want - 1e-12 && d < want + 1e-12);
    }
}

static void test_maxpool_windows(void **state)
{
    (void)state;
    /* Winners differing in one bit of one nibble, in the high or low
     * nibble of a byte, or in both nibbles of a byte. */
    uint8_t a[CODE_BYTES] = {0}, b[CODE_BYTES] = {0};
    const maso_code_layer *p = &layout[L_POOL4];
    set_unit(b, p, 0, 8);  /* top bit only, low nibble */
    set_unit(b, p, 3, 1);  /* low bit only, high nibble */
    set_unit(b, p, 10, 4);
    set_unit(b, p, 11, 2); /* both nibbles of byte 5 */
    set_unit(b, p, 49, 8); /* the last unit */
    assert_int_equal(maso_layer_diff(p, a, b), 5);
    assert_true(maso_layer_distance(p, a, b) == 5.0 / 50);
    /* byte-wide winners: 17 vs 16 differ in bit 0 only */
    const maso_code_layer *q = &layout[L_POOL8];
    set_unit(a, q, 74, 16);
    set_unit(b, q, 74, 17);
    set_unit(b, q, 0, 24);
    assert_int_equal(maso_layer_diff(q, a, b), 2);
}

static void test_padding_ignored(void **state)
{
    (void)state;
    /* Bytes past the last unit of a section are not part of the code. */
    uint8_t a[CODE_BYTES], b[CODE_BYTES];
    random_code(a);
    memcpy(b, a, sizeof a);
    b[13] ^= 0xff;        /* r100: units end in byte 12 */
    b[12] ^= 0xf0;        /* ... bits 100..103 of byte 12 are padding */
    b[64 + 25] ^= 0x0f;   /* p4: 50 nibbles end at byte 24 */
    b[128 + 100] ^= 0x01; /* p8 */
    b[256 + 127] ^= 0x80; /* r1000: 125 bytes */
    assert_true(maso_code_distance(layout, N_LAYERS, NULL, a, b, NULL) == 0);
    for (int l = 0; l < N_LAYERS; l++)
        assert_int_equal(maso_layer_diff(&layout[l], a, b), 0);
}

static void test_distance_properties(void **state)
{
    (void)state;
    /* codes at odd addresses, too: a code is a byte string */
    uint8_t ba[CODE_BYTES + 7], bb[CODE_BYTES + 3];
    uint8_t *a = ba + 7, *b = bb + 3;
    for (int trial = 0; trial < 200; trial++) {
        random_code(a);
        if (trial % 2)
            random_code(b);
        else {
            memcpy(b, a, CODE_BYTES);
            for (int l = 0; l < N_LAYERS; l++)
                change_units(b, &layout[l],
                             (size_t)(rnd() % (layout[l].units + 1)));
        }
        double w[N_LAYERS];
        for (int l = 0; l < N_LAYERS; l++)
            w[l] = (double)(rnd() % 4);
        double dab = maso_code_distance(layout, N_LAYERS, w, a, b, NULL);
        double dba = maso_code_distance(layout, N_LAYERS, w, b, a, NULL);
        assert_true(dab == dba);
        assert_true(dab >= 0.0 && dab <= 1.0);
        assert_true(maso_code_distance(layout, N_LAYERS, w, a, a, NULL) == 0);
        /* per unit reference */
        for (int l = 0; l < N_LAYERS; l++) {
            uint64_t n = 0;
            for (size_t i = 0; i < layout[l].units; i++)
                n += get_unit(a, &layout[l], i) != get_unit(b, &layout[l], i);
            assert_int_equal(maso_layer_diff(&layout[l], a, b), n);
        }
    }
    /* everything different: distance 1 */
    memset(a, 0, CODE_BYTES);
    memset(b, 0, CODE_BYTES);
    for (int l = 0; l < N_LAYERS; l++)
        for (size_t i = 0; i < layout[l].units; i++)
            set_unit(b, &layout[l], i, 1);
    assert_true(maso_code_distance(layout, N_LAYERS, NULL, a, b, NULL) == 1.0);
    /* degenerate input */
    assert_true(maso_code_distance(layout, 0, NULL, a, b, NULL) == 0);
    assert_true(maso_code_distance(NULL, N_LAYERS, NULL, a, b, NULL) == 0);
    assert_int_equal(maso_layer_diff(NULL, a, b), 0);
    maso_code_layer bad = layout[L_POOL4];
    bad.bits_per_unit = 3;
    assert_int_equal(maso_layer_diff(&bad, a, b), 0);
    maso_code_layer empty = layout[L_RELU100];
    empty.units = 0;
    assert_true(maso_layer_distance(&empty, a, b) == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kernel_selection),
        cmocka_unit_test(test_kernels_random),
        cmocka_unit_test(test_kernels_saturated),
        cmocka_unit_test(test_layer_known_values),
        cmocka_unit_test(test_maxpool_windows),
        cmocka_unit_test(test_padding_ignored),
        cmocka_unit_test(test_distance_properties),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
