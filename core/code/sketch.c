/*
 * sketch.c -- sampled codes: the same m units of every layer, for all images.
 *
 * Why sampling without replacement: the sampled fraction of differing units
 * is then a hypergeometric mean, unbiased for the layer distance and with a
 * variance no larger than sampling with replacement (finite population
 * correction), i.e. sd <= 0.5/sqrt(m).  Positions are kept sorted so that
 * gathering walks each layer's section of the code forwards.
 *
 * The generator is ours (splitmix64) so that a seed stored in an index gives
 * the same positions on every platform and libc forever.
 */
#include "maso.h"
#include "code/sketch_internal.h"
#include "kernels/cpu_internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct maso_sketch {
    maso_sketch_params params;
    size_t n_layers;
    maso_code_layer *src;     /* copy of the code's layout */
    maso_code_layer *layers;  /* layout of the sketch */
    uint32_t **positions;     /* per layer, layers[i].units entries */
    char *names;              /* storage of both tables' strings */
    size_t bytes;             /* sketch size */
    size_t code_bytes;        /* full code size */
    /* A layer's positions are drawn at their first use (positions() of
     * it, apply()): 5 ms for SqueezeNet's 3.2 million units, which a
     * process that only compares stored sketches (maso-query --duplicates,
     * --indexed, --info) never pays, and of which a maso-index run with
     * nothing new pays only conv10's (its forward pass samples conv10,
     * maso_forward_limit_to_sketch).  Their memory is allocated by create,
     * so drawing cannot fail; once drawn they never change. */
    pthread_mutex_t draw_lock;
    int lock_made;
    atomic_int *drawn;        /* per layer */
};

void maso_sketch_params_init(maso_sketch_params *params)
{
    params->seed = 0;
    params->relu_samples = MASO_SKETCH_RELU_SAMPLES;
    params->maxpool_samples = MASO_SKETCH_MAXPOOL_SAMPLES;
}

/* Uniform integer in [0, range), range > 0, without modulo bias: reject
 * the lowest (2^64 mod range) outputs.  That threshold is below range, so
 * its division is done only for the rare r < range: one division per unit
 * instead of two (sketch creation draws once per unit of every layer, 3.2
 * million for SqueezeNet). */
static uint64_t uniform_below(uint64_t *state, uint64_t range)
{
    for (;;) {
        uint64_t r = maso_splitmix64_next(state);
        if (r >= range || r >= (0 - range) % range)
            return r % range;
    }
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define SKETCH_X86 1
#define AVX512DQ CORE_TARGET_AVX512DQ

int core_sketch_avx512_usable(void)
{
    return core_cpu_supports(CORE_CPU_AVX512F | CORE_CPU_AVX512DQ);
}

/*
 * Algorithm S eight draws at a time, while the ranges stay >= 2^12: the
 * draws of splitmix64 are a function of their index (state + j * gamma),
 * so eight are computed at once; their remainders come from a quotient
 * through doubles (r / range < 2^52, within 2 of the true one after two
 * roundings of 2^-53, then corrected exactly), and the selection itself
 * stays sequential over the eight.  A lane with r < range might need the
 * rejection test: the scalar loop takes over from there (about once in
 * 2^44 draws).  Advances *t, *chosen and *state as the scalar loop would.
 */
AVX512DQ static void select_avx512(uint64_t *state, size_t units, size_t m,
                                   uint32_t *out, size_t *t_io,
                                   size_t *chosen_io)
{
    const uint64_t gamma = 0x9E3779B97F4A7C15ull;
    const __m512i lane = _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7);
    const __m512i steps = _mm512_mullo_epi64(
        _mm512_add_epi64(lane, _mm512_set1_epi64(1)),
        _mm512_set1_epi64((long long)gamma));
    const __m512i c1 = _mm512_set1_epi64((long long)0xBF58476D1CE4E5B9ull);
    const __m512i c2 = _mm512_set1_epi64((long long)0x94D049BB133111EBull);
    size_t t = *t_io, chosen = *chosen_io;
    uint64_t st = *state;
    while (chosen < m && units - t >= 8 + (1u << 12)) {
        __m512i z = _mm512_add_epi64(_mm512_set1_epi64((long long)st), steps);
        z = _mm512_mullo_epi64(_mm512_xor_si512(z, _mm512_srli_epi64(z, 30)), c1);
        z = _mm512_mullo_epi64(_mm512_xor_si512(z, _mm512_srli_epi64(z, 27)), c2);
        z = _mm512_xor_si512(z, _mm512_srli_epi64(z, 31));
        __m512i range = _mm512_sub_epi64(
            _mm512_set1_epi64((long long)(units - t)), lane);
        if (_mm512_cmplt_epu64_mask(z, range))
            break;
        __m512d q = _mm512_div_pd(_mm512_cvtepu64_pd(z),
                                  _mm512_cvtepu64_pd(range));
        __m512i rem = _mm512_sub_epi64(
            z, _mm512_mullo_epi64(_mm512_cvttpd_epu64(q), range));
        for (int k = 0; k < 2; k++) {
            __mmask8 neg = _mm512_cmplt_epi64_mask(rem, _mm512_setzero_si512());
            rem = _mm512_mask_add_epi64(rem, neg, rem, range);
        }
        for (int k = 0; k < 2; k++) {
            __mmask8 over = _mm512_cmpge_epu64_mask(rem, range);
            rem = _mm512_mask_sub_epi64(rem, over, rem, range);
        }
        st += 8 * gamma;
        /* Most blocks take no unit: none of their remainders is below
         * what is still needed at the block's start, the largest of its
         * eight thresholds.  Only a block that has one is walked. */
        if (_mm512_cmplt_epu64_mask(
                rem, _mm512_set1_epi64((long long)(m - chosen)))) {
            uint64_t r[8];
            _mm512_storeu_si512(r, rem);
            for (int j = 0; j < 8 && chosen < m; j++)
                if (r[j] < m - chosen)
                    out[chosen++] = (uint32_t)(t + (size_t)j);
        }
        t += 8;
    }
    *t_io = t;
    *chosen_io = chosen;
    *state = st;
}
#else
int core_sketch_avx512_usable(void)
{
    return 0;
}
#endif

/*
 * Knuth's Algorithm S (TAOCP 3.4.2): visit units in order and take unit t
 * with probability (still needed)/(still left).  Every m-subset is equally
 * likely and the output comes out sorted.  Each layer gets its own stream,
 * started from a hash of (seed, layer index) so that layers do not share
 * overlapping stretches of one splitmix sequence.
 */
void core_sketch_select(uint64_t seed, size_t layer, size_t units, size_t m,
                        uint32_t *out, core_sketch_path path)
{
    uint64_t mix = seed ^ (0xD1B54A32D192ED03ull * (uint64_t)(layer + 1));
    uint64_t state = maso_splitmix64_next(&mix);
    size_t chosen = 0, t = 0;
#ifdef SKETCH_X86
    if (path != CORE_SKETCH_PATH_SCALAR && core_sketch_avx512_usable())
        select_avx512(&state, units, m, out, &t, &chosen);
#else
    (void)path;
#endif
    for (; t < units && chosen < m; t++) {
        if (uniform_below(&state, units - t) < m - chosen)
            out[chosen++] = (uint32_t)t;
    }
}

static size_t round64(size_t n)
{
    return (n + 63) / 64 * 64;
}

static int check_layer(const maso_code_layer *l)
{
    if (l->units == 0 || l->units > UINT32_MAX)
        return 0;
    if (l->kind == MASO_LAYER_RELU && l->bits_per_unit != 1)
        return 0;
    if (l->kind == MASO_LAYER_MAXPOOL && l->bits_per_unit != 4 &&
        l->bits_per_unit != 8)
        return 0;
    if (l->kind != MASO_LAYER_RELU && l->kind != MASO_LAYER_MAXPOOL)
        return 0;
    if (l->units > (SIZE_MAX - 7) / 8 ||
        l->bytes < (l->units * (size_t)l->bits_per_unit + 7) / 8)
        return 0;
    return l->offset <= SIZE_MAX - l->bytes;
}

/* Read unit i of a section packed as maso_code_layer says. */
static unsigned get_unit(const uint8_t *sec, int bits, size_t i)
{
    switch (bits) {
    case 1: return (sec[i / 8] >> (i % 8)) & 1u;
    case 4: return (sec[i / 2] >> ((i & 1) * 4)) & 15u;
    default: return sec[i];
    }
}

/* Write unit i (the section is zeroed beforehand, so OR suffices). */
static void put_unit(uint8_t *sec, int bits, size_t i, unsigned v)
{
    switch (bits) {
    case 1: sec[i / 8] |= (uint8_t)(v << (i % 8)); break;
    case 4: sec[i / 2] |= (uint8_t)(v << ((i & 1) * 4)); break;
    default: sec[i] = (uint8_t)v; break;
    }
}

/* Copy the strings of both tables (layer names and blob names) into one
 * block owned by the sketch, so that it does not depend on the lifetime of
 * the caller's table.  A NULL blob stays NULL: the table had none. */
static int copy_names(maso_sketch *s)
{
    size_t total = 0;
    for (size_t i = 0; i < s->n_layers; i++) {
        total += (s->src[i].name ? strlen(s->src[i].name) : 0) + 1;
        total += s->src[i].blob ? strlen(s->src[i].blob) + 1 : 0;
    }
    s->names = malloc(total ? total : 1);
    if (!s->names)
        return ENOMEM;
    char *p = s->names;
    for (size_t i = 0; i < s->n_layers; i++) {
        const char *n = s->src[i].name ? s->src[i].name : "";
        size_t len = strlen(n) + 1;
        memcpy(p, n, len);
        s->src[i].name = p;
        s->layers[i].name = p;
        p += len;
        if (s->src[i].blob) {
            len = strlen(s->src[i].blob) + 1;
            memcpy(p, s->src[i].blob, len);
            s->src[i].blob = p;
            s->layers[i].blob = p;
            p += len;
        }
    }
    return 0;
}

int maso_sketch_create(const maso_code_layer *layers, size_t n_layers,
                       const maso_sketch_params *params,
                       maso_sketch **sketch)
{
    if (!sketch)
        return MASO_EINVAL_ARG;
    *sketch = NULL;
    if (!layers || n_layers == 0 || !params || params->relu_samples == 0 ||
        params->maxpool_samples == 0)
        return MASO_EINVAL_ARG;
    for (size_t i = 0; i < n_layers; i++)
        if (!check_layer(&layers[i]))
            return MASO_EINVAL_ARG;

    maso_sketch *s = calloc(1, sizeof *s);
    if (!s)
        return ENOMEM;
    s->params = *params;
    s->n_layers = n_layers;
    s->src = malloc(n_layers * sizeof *s->src);
    s->layers = calloc(n_layers, sizeof *s->layers);
    s->positions = calloc(n_layers, sizeof *s->positions);
    s->drawn = malloc(n_layers * sizeof *s->drawn);
    if (!s->src || !s->layers || !s->positions || !s->drawn)
        goto nomem;
    memcpy(s->src, layers, n_layers * sizeof *s->src);
    if (copy_names(s))
        goto nomem;

    size_t offset = 0;
    for (size_t i = 0; i < n_layers; i++) {
        const maso_code_layer *src = &s->src[i];
        maso_code_layer *dst = &s->layers[i];
        size_t m = src->kind == MASO_LAYER_RELU ? params->relu_samples
                                                : params->maxpool_samples;
        if (m > src->units)
            m = src->units;
        dst->kind = src->kind;
        dst->channels = (int)m;
        dst->height = dst->width = 1;
        dst->window = src->window;
        dst->bits_per_unit = src->bits_per_unit;
        dst->units = m;
        dst->offset = offset;
        dst->bytes = round64((m * (size_t)src->bits_per_unit + 7) / 8);
        offset += dst->bytes;
        if (src->offset + src->bytes > s->code_bytes)
            s->code_bytes = src->offset + src->bytes;
        s->positions[i] = malloc(m * sizeof(uint32_t));
        if (!s->positions[i])
            goto nomem;
    }
    if (pthread_mutex_init(&s->draw_lock, NULL) != 0)
        goto nomem;
    s->lock_made = 1;
    for (size_t i = 0; i < n_layers; i++)
        atomic_init(&s->drawn[i], 0);
    s->bytes = offset;
    *sketch = s;
    return MASO_SUCCESS;
nomem:
    maso_sketch_destroy(s);
    return ENOMEM;
}

/* Draw layer @p i's positions unless done: once per sketch, whichever
 * thread comes first (the others wait for it).  The positions are part of
 * the sketch's immutable value, computed late, hence the cast. */
static void draw_layer(const maso_sketch *sketch, size_t i)
{
    maso_sketch *s = (maso_sketch *)sketch;
    if (atomic_load_explicit(&s->drawn[i], memory_order_acquire))
        return;
    pthread_mutex_lock(&s->draw_lock);
    if (!atomic_load_explicit(&s->drawn[i], memory_order_relaxed)) {
        core_sketch_select(s->params.seed, i, s->src[i].units,
                           s->layers[i].units, s->positions[i],
                           CORE_SKETCH_PATH_BEST);
        atomic_store_explicit(&s->drawn[i], 1, memory_order_release);
    }
    pthread_mutex_unlock(&s->draw_lock);
}

void maso_sketch_destroy(maso_sketch *sketch)
{
    if (!sketch)
        return;
    if (sketch->lock_made)
        pthread_mutex_destroy(&sketch->draw_lock);
    free(sketch->drawn);
    if (sketch->positions)
        for (size_t i = 0; i < sketch->n_layers; i++)
            free(sketch->positions[i]);
    free(sketch->positions);
    free(sketch->layers);
    free(sketch->src);
    free(sketch->names);
    free(sketch);
}

const maso_sketch_params *maso_sketch_get_params(const maso_sketch *sketch)
{
    return sketch ? &sketch->params : NULL;
}

size_t maso_sketch_layers(const maso_sketch *sketch,
                          const maso_code_layer **layers)
{
    if (layers)
        *layers = sketch ? sketch->layers : NULL;
    return sketch ? sketch->n_layers : 0;
}

size_t maso_sketch_bytes(const maso_sketch *sketch)
{
    return sketch ? sketch->bytes : 0;
}

size_t maso_sketch_code_bytes(const maso_sketch *sketch)
{
    return sketch ? sketch->code_bytes : 0;
}

const uint32_t *maso_sketch_positions(const maso_sketch *sketch, size_t layer,
                                      size_t *count)
{
    if (!sketch || layer >= sketch->n_layers) {
        if (count)
            *count = 0;
        return NULL;
    }
    if (count)
        *count = sketch->layers[layer].units;
    draw_layer(sketch, layer);
    return sketch->positions[layer];
}

void maso_sketch_apply(const maso_sketch *sketch, const uint8_t *code,
                       uint8_t *out)
{
    if (!sketch || !code || !out)
        return;
    for (size_t i = 0; i < sketch->n_layers; i++)
        draw_layer(sketch, i);
    memset(out, 0, sketch->bytes);
    for (size_t i = 0; i < sketch->n_layers; i++) {
        const maso_code_layer *src = &sketch->src[i];
        const maso_code_layer *dst = &sketch->layers[i];
        const uint8_t *in = code + src->offset;
        uint8_t *sec = out + dst->offset;
        const uint32_t *pos = sketch->positions[i];
        int bits = src->bits_per_unit;
        for (size_t j = 0; j < dst->units; j++)
            put_unit(sec, bits, j, get_unit(in, bits, pos[j]));
    }
}
