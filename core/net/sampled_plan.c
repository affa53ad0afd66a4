/*
 * sampled_plan.c -- the sampled units of an fp32 1x1 convolution grouped
 * by the input pixel they read, for the AVX-512 and AVX2 kernel sets
 * (core_conv_run_sampled() through a core_sample_plan).
 *
 * A unit's sum is the GEMM's chain of fused multiply-adds over k in order
 * from 0 (sampled.c says why that is the chain to repeat).  Repeated for
 * 16 units a vector with each unit's operands gathered, a k step costs two
 * gathers, and conv10's 2,048 sampled units took about a tenth of the fp32
 * pass.  Here the units that read one input pixel share a group of 8
 * lanes, and each group's weights are copied once, when the limit is set,
 * lane by lane for every k: a k step is then one load of weights and one
 * broadcast of the pixel's input, the same chain in each lane.  Two groups
 * fill a 512-bit vector (the AVX2 set takes them as two 256-bit halves),
 * and four vectors run side by side to cover the FMA latency.
 *
 * The copy is read from beyond L2 on every pass (4.5 MB of floats for
 * conv10), so the AVX-512 set keeps it in IEEE half precision when every
 * weight in it is exactly a half (the weights of an fp16 .bin, as
 * SqueezeNet's): vcvtph2ps gives back the very floats, at half the bytes.
 *
 * Units on the padded border read no input: their sum is 0 and their bit
 * is bias > 0, known when the plan is made.
 */
#include "kernels/cpu_internal.h"
#include "kernels/gemm_internal.h"
#include "net/layers_internal.h"
#include "net/network_internal.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define LANES 8        /* units of a group: one input pixel */
#define PAIR (2 * LANES) /* two groups, one 512-bit vector */
#define NO_UNIT UINT32_MAX

struct core_sample_plan {
    core_gemm_isa isa;  /* AVX-512 or AVX2 */
    int k;              /* input channels */
    size_t plane;       /* input pixels (the input's channel stride) */
    size_t n_pairs;
    int32_t *pixel;     /* 2 per pair: the groups' input pixels */
    uint32_t *unit;     /* PAIR per pair: the lane's unit, or NO_UNIT */
    float *bias;        /* PAIR per pair */
    int half;           /* w holds uint16_t halves, else floats */
    void *w;            /* PAIR * k per pair, k-major: 64-byte aligned */
    uint32_t *on;       /* border units whose bit is set */
    size_t n_on;
};

void core_sample_plan_destroy(core_sample_plan *plan)
{
    if (!plan)
        return;
    free(plan->pixel);
    free(plan->unit);
    free(plan->bias);
    free(plan->w);
    free(plan->on);
    free(plan);
}

/* Weight k = 0 of output channel @p m in the GEMM's packed panels (the
 * next k is CORE_GEMM_MR floats on). */
static const float *packed_row(const core_conv_desc *c, int m, int k)
{
    const int mr = CORE_GEMM_MR;
    return c->packed + (size_t)(m / mr) * mr * k + m % mr;
}

/* @p f as an IEEE half in *h when that is exact (zeros, normals and
 * subnormals of binary16 whose extra mantissa bits are 0). */
static int half_exact(float f, uint16_t *h)
{
    uint32_t bits;
    memcpy(&bits, &f, sizeof bits);
    const uint32_t sign = bits >> 16 & 0x8000u;
    const int e = (int)(bits >> 23 & 0xffu);
    const uint32_t man = bits & 0x7fffffu;
    if (e == 0 && man == 0) {
        *h = (uint16_t)sign;
    } else if (e >= 113 && e <= 142) { /* binary16 normals */
        if (man & 0x1fffu)
            return 0;
        *h = (uint16_t)(sign | (uint32_t)(e - 112) << 10 | man >> 13);
    } else if (e >= 103 && e <= 112) { /* binary16 subnormals: k * 2^-24 */
        const uint32_t full = 0x800000u | man;
        const int shift = 126 - e;
        if (full & ((1u << shift) - 1u))
            return 0;
        *h = (uint16_t)(sign | full >> shift);
    } else {
        return 0;
    }
    const float back = core_fp16_to_fp32(*h);
    return memcmp(&back, &f, sizeof f) == 0;
}

int core_sample_plan_create(const core_conv_desc *c, core_shape in,
                            core_shape out, const uint32_t *units, size_t n,
                            core_sample_plan **plan)
{
    *plan = NULL;
    if (c->qweight || !c->packed ||
        (c->gemm != CORE_GEMM_AVX512 && c->gemm != CORE_GEMM_AVX2))
        return 0;
    const size_t plane = (size_t)in.h * in.w, oplane = (size_t)out.h * out.w;
    const int k = in.c, mr = CORE_GEMM_MR;
    core_sample_plan *p = calloc(1, sizeof *p);
    /* units per input pixel, then each pixel's first group */
    size_t *count = calloc(plane + 1, sizeof *count);
    size_t *first = calloc(plane + 1, sizeof *first);
    if (!p || !count || !first)
        goto nomem;
    p->isa = (core_gemm_isa)c->gemm;
    p->k = k;
    p->plane = plane;
    size_t n_border = 0;
    for (size_t i = 0; i < n; i++) {
        const int ip = core_conv_sampled_pixel(c, in, out, units[i]);
        if (ip < 0)
            n_border++;
        else
            count[ip]++;
    }
    size_t groups = 0;
    for (size_t ip = 0; ip < plane; ip++) {
        first[ip] = groups;
        groups += (count[ip] + LANES - 1) / LANES;
    }
    p->n_pairs = (groups + 1) / 2;
    const size_t lanes = p->n_pairs * PAIR;
    p->pixel = malloc((2 * p->n_pairs + 1) * sizeof *p->pixel);
    p->unit = malloc((lanes + 1) * sizeof *p->unit);
    p->bias = calloc(lanes + 1, sizeof *p->bias);
    p->half = p->isa == CORE_GEMM_AVX512;
    for (size_t i = 0; p->half && i < n; i++) {
        const int m = (int)(units[i] / oplane);
        const float *pw = packed_row(c, m, k);
        uint16_t h;
        for (int q = 0; p->half && q < k; q++)
            p->half = half_exact(pw[(size_t)q * mr], &h);
    }
    const size_t wsize = p->half ? sizeof(uint16_t) : sizeof(float);
    const size_t wbytes = (lanes * (size_t)k * wsize + 63) & ~(size_t)63;
    p->w = aligned_alloc(64, wbytes ? wbytes : 64);
    p->on = malloc((n_border + 1) * sizeof *p->on);
    if (!p->pixel || !p->unit || !p->bias || !p->w || !p->on)
        goto nomem;
    memset(p->w, 0, wbytes);
    for (size_t l = 0; l < lanes; l++)
        p->unit[l] = NO_UNIT;
    for (size_t g = 0; g < 2 * p->n_pairs; g++)
        p->pixel[g] = 0; /* the unused last group reads pixel 0, stores none */
    memset(count, 0, (plane + 1) * sizeof *count); /* now: units placed */
    for (size_t i = 0; i < n; i++) {
        const int m = (int)(units[i] / oplane);
        const float bias = c->bias ? c->bias[m] : 0.0f;
        const int ip = core_conv_sampled_pixel(c, in, out, units[i]);
        if (ip < 0) {
            if (0.0f + bias > 0.0f) /* the chain's sum is 0 */
                p->on[p->n_on++] = units[i];
            continue;
        }
        const size_t g = first[ip] + count[ip] / LANES;
        const size_t lane = (g / 2) * PAIR + (g % 2) * LANES +
                            count[ip] % LANES;
        count[ip]++;
        p->pixel[g] = ip;
        p->unit[lane] = units[i];
        p->bias[lane] = bias;
        const float *pw = packed_row(c, m, k);
        const size_t at = (g / 2) * PAIR * (size_t)k + lane % PAIR;
        for (int q = 0; q < k; q++) {
            const float w = pw[(size_t)q * mr];
            if (p->half)
                (void)half_exact(w, (uint16_t *)p->w + at + (size_t)q * PAIR);
            else
                ((float *)p->w)[at + (size_t)q * PAIR] = w;
        }
    }
    free(count);
    free(first);
    *plan = p;
    return 0;
nomem:
    free(count);
    free(first);
    core_sample_plan_destroy(p);
    return ENOMEM;
}

size_t core_sample_plan_bytes(const core_sample_plan *plan)
{
    return plan ? plan->n_pairs * PAIR * (size_t)plan->k *
                      (plan->half ? sizeof(uint16_t) : sizeof(float))
                : 0;
}

/* The bits of lanes whose pre-activation is positive (@p pos), of the pair
 * whose lanes start at @p lane. */
static void put_pair(const core_sample_plan *p, size_t lane, unsigned pos,
                     uint8_t *bits)
{
    for (int s = 0; s < PAIR; s++)
        if ((pos >> s & 1u) && p->unit[lane + s] != NO_UNIT)
            core_bits_put(bits, p->unit[lane + s], 1, 1);
}

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>

#define BLOCK 4 /* pairs side by side: independent chains */

/* The 16 weights of pair @p pw's k step @p q, floats or halves. */
CORE_TARGET_AVX512 static inline __attribute__((always_inline)) __m512
load_w512(const void *pw, int q, int half)
{
    if (half)
        return _mm512_cvtph_ps(_mm256_load_si256(
            (const __m256i *)(const void *)((const uint16_t *)pw +
                                             (size_t)q * PAIR)));
    return _mm512_load_ps((const float *)pw + (size_t)q * PAIR);
}

CORE_TARGET_AVX512 static inline __attribute__((always_inline)) void
run_avx512_as(const core_sample_plan *p, const float *src, uint8_t *bits,
              int half)
{
    const size_t kstep = PAIR * (size_t)p->k;
    const size_t wsize = half ? sizeof(uint16_t) : sizeof(float);
    for (size_t p0 = 0; p0 < p->n_pairs; p0 += BLOCK) {
        const int nb = p->n_pairs - p0 < BLOCK ? (int)(p->n_pairs - p0)
                                               : BLOCK;
        __m512 acc[BLOCK];
        const void *pw[BLOCK];
        const float *lo[BLOCK], *hi[BLOCK];
        for (int j = 0; j < BLOCK; j++) {
            /* past the last pair: the last one again, never stored */
            const size_t pr = p0 + (size_t)(j < nb ? j : nb - 1);
            acc[j] = _mm512_setzero_ps();
            pw[j] = (const char *)p->w + pr * kstep * wsize;
            lo[j] = src + p->pixel[2 * pr];
            hi[j] = src + p->pixel[2 * pr + 1];
        }
        for (int q = 0; q < p->k; q++) {
            const size_t at = (size_t)q * p->plane;
#pragma GCC unroll 4
            for (int j = 0; j < BLOCK; j++) {
                /* lanes 0-7 the first group's input, 8-15 the second's
                 * (a 64-bit insert: AVX-512F has no 32-bit one) */
                const __m512 b = _mm512_castpd_ps(_mm512_insertf64x4(
                    _mm512_castps_pd(_mm512_set1_ps(lo[j][at])),
                    _mm256_castps_pd(_mm256_set1_ps(hi[j][at])), 1));
                acc[j] = _mm512_fmadd_ps(load_w512(pw[j], q, half), b,
                                         acc[j]);
            }
        }
        for (int j = 0; j < nb; j++) {
            const size_t lane = (p0 + (size_t)j) * PAIR;
            const __m512 y = _mm512_add_ps(acc[j],
                                           _mm512_loadu_ps(p->bias + lane));
            put_pair(p, lane,
                     _mm512_cmp_ps_mask(y, _mm512_setzero_ps(), _CMP_GT_OQ),
                     bits);
        }
    }
}

CORE_TARGET_AVX512 static void run_avx512(const core_sample_plan *p,
                                          const float *src, uint8_t *bits)
{
    if (p->half)
        run_avx512_as(p, src, bits, 1);
    else
        run_avx512_as(p, src, bits, 0);
}

CORE_TARGET_AVX2_FMA static void run_avx2(const core_sample_plan *p,
                                          const float *src, uint8_t *bits)
{
    const size_t kstep = PAIR * (size_t)p->k;
    for (size_t p0 = 0; p0 < p->n_pairs; p0 += BLOCK / 2) {
        const int nb = p->n_pairs - p0 < BLOCK / 2 ? (int)(p->n_pairs - p0)
                                                   : BLOCK / 2;
        __m256 acc[BLOCK];
        const float *pw[BLOCK / 2], *in[BLOCK];
        for (int j = 0; j < BLOCK / 2; j++) {
            const size_t pr = p0 + (size_t)(j < nb ? j : nb - 1);
            acc[2 * j] = acc[2 * j + 1] = _mm256_setzero_ps();
            pw[j] = (const float *)p->w + pr * kstep;
            in[2 * j] = src + p->pixel[2 * pr];
            in[2 * j + 1] = src + p->pixel[2 * pr + 1];
        }
        for (int q = 0; q < p->k; q++) {
            const size_t at = (size_t)q * p->plane;
#pragma GCC unroll 4
            for (int j = 0; j < BLOCK; j++)
                acc[j] = _mm256_fmadd_ps(
                    _mm256_load_ps(pw[j / 2] + (size_t)q * PAIR +
                                   (j % 2) * LANES),
                    _mm256_set1_ps(in[j][at]), acc[j]);
        }
        for (int j = 0; j < nb; j++) {
            const size_t lane = (p0 + (size_t)j) * PAIR;
            unsigned pos = 0;
            for (int h = 0; h < 2; h++) {
                const __m256 y = _mm256_add_ps(
                    acc[2 * j + h], _mm256_loadu_ps(p->bias + lane + h * LANES));
                pos |= (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(
                           y, _mm256_setzero_ps(), _CMP_GT_OQ))
                       << (h * LANES);
            }
            put_pair(p, lane, pos, bits);
        }
    }
}
#endif

void core_sample_plan_run(const core_sample_plan *plan, const float *src,
                          uint8_t *bits)
{
    for (size_t i = 0; i < plan->n_on; i++)
        core_bits_put(bits, plan->on[i], 1, 1);
#if defined(__GNUC__) && defined(__x86_64__)
    if (plan->isa == CORE_GEMM_AVX512)
        run_avx512(plan, src, bits);
    else
        run_avx2(plan, src, bits);
#else
    (void)src;
#endif
}
