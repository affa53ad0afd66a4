/* pool.c -- max pooling (recording each window's winner), average and
 * global pooling, ncnn semantics.
 *
 * Window (oy, ox) covers input rows oy*s - pad_t .. +k-1 and columns
 * ox*s - pad_l .. +k-1, clipped to the input (ncnn pads with -FLT_MAX for
 * max and leaves padding out of averages unless include_pad).  A max
 * window's winner is dy*k + dx relative to the unclipped window origin; the
 * first maximum in row-major order wins (strict > comparison, starting
 * from the window's first input).  The common 3x3 stride-2 case runs 16
 * windows at a time with AVX-512, or 8 with AVX2, when the CPU has it;
 * same comparisons, same results. */
#include "kernels/cpu_internal.h"
#include "net/layers_internal.h"

#include <float.h>
#include <math.h>
#include <string.h>

#if defined(__GNUC__) && defined(__x86_64__)
#define POOL_HAVE_X86 1
#include <immintrin.h>
#endif

static void put_unit(uint8_t *code, int bits_per_unit, size_t i, unsigned v)
{
    if (bits_per_unit == 4)
        code[i >> 1] |= (uint8_t)(v << ((i & 1) * 4));
    else
        code[i] = (uint8_t)v;
}

static void pool_global(const core_pool_desc *p, core_shape in,
                        const float *src, float *dst, uint8_t *code,
                        int bits_per_unit)
{
    const size_t plane = (size_t)in.h * in.w;
    for (int c = 0; c < in.c; c++) {
        const float *s = src + (size_t)c * plane;
        if (p->max) {
            float best = s[0];
            size_t arg = 0;
            for (size_t i = 1; i < plane; i++)
                if (s[i] > best) {
                    best = s[i];
                    arg = i;
                }
            dst[c] = best;
            if (code)
                put_unit(code, bits_per_unit, (size_t)c, (unsigned)arg);
        } else {
            float sum = 0.0f;
            for (size_t i = 0; i < plane; i++)
                sum += s[i];
            dst[c] = sum / (float)plane;
        }
    }
}

/* One max window clipped to the input: the value and the winner's index
 * relative to the unclipped origin (y0, x0). */
static float max_window(const float *plane, core_shape in, int k, int y0,
                        int x0, unsigned *arg)
{
    const int ya = y0 < 0 ? 0 : y0, yb = y0 + k > in.h ? in.h : y0 + k;
    const int xa = x0 < 0 ? 0 : x0, xb = x0 + k > in.w ? in.w : x0 + k;
    if (ya >= yb || xa >= xb) { /* window entirely in the padding */
        *arg = 0;
        return -FLT_MAX;
    }
    float best = plane[(size_t)ya * in.w + xa];
    unsigned a = (unsigned)((ya - y0) * k + (xa - x0));
    for (int y = ya; y < yb; y++)
        for (int x = xa; x < xb; x++) {
            float v = plane[(size_t)y * in.w + x];
            if (v > best) {
                best = v;
                a = (unsigned)((y - y0) * k + (x - x0));
            }
        }
    *arg = a;
    return best;
}

static float avg_window(const core_pool_desc *p, const float *plane,
                        core_shape in, int y0, int x0)
{
    const int k = p->k;
    const int ya = y0 < 0 ? 0 : y0, yb = y0 + k > in.h ? in.h : y0 + k;
    const int xa = x0 < 0 ? 0 : x0, xb = x0 + k > in.w ? in.w : x0 + k;
    float sum = 0.0f;
    for (int y = ya; y < yb; y++)
        for (int x = xa; x < xb; x++)
            sum += plane[(size_t)y * in.w + x];
    int count = p->include_pad ? k * k : (yb - ya) * (xb - xa);
    return count > 0 ? sum / (float)count : 0.0f;
}

#ifdef POOL_HAVE_X86
/* Up to 16 adjacent 3x3 stride-2 windows (@p n of them) whose first row
 * is @p r (row stride @p w), with @p avail_x inputs from the windows'
 * first column to the end of the row and @p rows (1..3) rows left: the
 * windows that ceil mode cuts at the right or bottom edge and the last
 * windows of a row are done here too.  Even lanes of two loads give the
 * inputs at x = 2j + dx; inputs outside the input are neither loaded nor
 * compared, so the winner is the scalar one (first strict maximum in
 * row-major order, starting from the window origin). */
CORE_TARGET_AVX512
static void max3s2_x16(const float *r, int w, int avail_x, int rows, int n,
                       float *dst, uint8_t arg[16])
{
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18,
                                           20, 22, 24, 26, 28, 30);
    const __mmask16 windows = (__mmask16)((1u << n) - 1u);
    /* per column dx: lanes of the two loads holding inputs, and windows
     * that have their input there (the same for every row) */
    __mmask16 lo_m[3], hi_m[3], valid[3];
    for (int dx = 0; dx < 3; dx++) {
        int left = avail_x - dx;
        lo_m[dx] = left >= 16 ? 0xffff
                   : (__mmask16)((1u << (left > 0 ? left : 0)) - 1u);
        int left_hi = left - 16 > 15 ? 15 : left - 16;
        hi_m[dx] = left_hi > 0 ? (__mmask16)((1u << left_hi) - 1u) : 0;
        int have = (left + 1) / 2; /* windows j with 2j < left */
        valid[dx] = windows &
            (have >= 16 ? 0xffff
                        : (__mmask16)((1u << (have > 0 ? have : 0)) - 1u));
    }
    __m512 best = _mm512_setzero_ps();
    __m512i a = _mm512_setzero_si512();
    for (int dy = 0; dy < rows; dy++) {
        const float *row = r + (size_t)dy * w;
#pragma GCC unroll 3
        for (int dx = 0; dx < 3; dx++) {
            __m512 lo = _mm512_maskz_loadu_ps(lo_m[dx], row + dx);
            __m512 hi = _mm512_maskz_loadu_ps(hi_m[dx], row + dx + 16);
            __m512 v = _mm512_permutex2var_ps(lo, even, hi);
            if (dy == 0 && dx == 0) {
                best = v;
                continue;
            }
            __mmask16 gt = _mm512_mask_cmp_ps_mask(valid[dx], v, best,
                                                   _CMP_GT_OQ);
            best = _mm512_mask_mov_ps(best, gt, v);
            a = _mm512_mask_mov_epi32(a, gt, _mm512_set1_epi32(dy * 3 + dx));
        }
    }
    _mm512_mask_storeu_ps(dst, windows, best);
    _mm_storeu_si128((__m128i *)arg, _mm512_cvtepi32_epi8(a));
}

/* The winners of max3s2_x16 as nibbles, two windows a byte, stored at
 * @p code (a unit of even index): lanes past @p n are zero, so an odd n
 * leaves the last byte's high nibble zero for the next unit to OR into. */
CORE_TARGET_AVX512
static void put_nibbles_x16(const uint8_t arg[16], int n, uint8_t *code)
{
    __m512i a = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)arg));
    /* each 64-bit lane: window 2j in bits 0-3, window 2j+1 in bits 32-35 */
    __m512i packed = _mm512_or_si512(
        _mm512_and_si512(a, _mm512_set1_epi64(15)), _mm512_srli_epi64(a, 28));
    uint8_t bytes[16];
    _mm_storeu_si128((__m128i *)bytes, _mm512_cvtepi64_epi8(packed));
    memcpy(code, bytes, (size_t)(n + 1) / 2);
}

/* 8 adjacent 3x3 stride-2 windows whose inputs all lie in the 3 rows of
 * 18 floats from @p r (row stride @p w).  Even lanes of two loads, put in
 * order, give the inputs at x = 2j + dx.  Same comparisons as
 * max_window(): the first input starts, strict > replaces. */
CORE_TARGET_AVX2
static void max3s2_x8(const float *r, size_t w, float dst[8], int32_t arg[8])
{
    __m256 best = _mm256_setzero_ps(), a = _mm256_setzero_ps();
    for (int dy = 0; dy < 3; dy++)
        for (int dx = 0; dx < 3; dx++) {
            const float *p = r + (size_t)dy * w + dx;
            __m256 pairs = _mm256_shuffle_ps(_mm256_loadu_ps(p),
                                             _mm256_loadu_ps(p + 8),
                                             _MM_SHUFFLE(2, 0, 2, 0));
            __m256 v = _mm256_castpd_ps(_mm256_permute4x64_pd(
                _mm256_castps_pd(pairs), _MM_SHUFFLE(3, 1, 2, 0)));
            if (dy == 0 && dx == 0) {
                best = v;
                continue;
            }
            __m256 gt = _mm256_cmp_ps(v, best, _CMP_GT_OQ);
            best = _mm256_blendv_ps(best, v, gt);
            a = _mm256_blendv_ps(
                a, _mm256_castsi256_ps(_mm256_set1_epi32(dy * 3 + dx)), gt);
        }
    _mm256_storeu_ps(dst, best);
    _mm256_storeu_si256((__m256i *)arg, _mm256_castps_si256(a));
}

/* Up to 8 windows (@p n) starting inside the input at row @p r: windows
 * whose 3x18 block would cross the right or bottom edge run on a copy
 * padded with -inf, which never compares greater than the first input
 * (always inside), so it never wins, as if it were not compared. */
static void max3s2_avx2(const float *r, int w, int avail_x, int rows, int n,
                        float *dst, uint8_t arg[16])
{
    float out[8], pad[3 * 24];
    int32_t a[8];
    if (avail_x >= 18 && rows == 3) {
        max3s2_x8(r, (size_t)w, out, a);
    } else {
        const int cols = avail_x < 18 ? avail_x : 18;
        for (int i = 0; i < 3 * 24; i++)
            pad[i] = -INFINITY;
        for (int dy = 0; dy < rows; dy++)
            memcpy(pad + dy * 24, r + (size_t)dy * w,
                   sizeof(float) * (size_t)cols);
        max3s2_x8(pad, 24, out, a);
    }
    for (int j = 0; j < n; j++) {
        dst[j] = out[j];
        arg[j] = (uint8_t)a[j];
    }
}
#endif

void core_pool_run(const core_pool_desc *p, core_shape in, const float *src,
                   core_shape out, float *dst, uint8_t *code,
                   int bits_per_unit)
{
    if (p->global) {
        pool_global(p, in, src, dst, code, bits_per_unit);
        return;
    }
    const int k = p->k, s = p->s;
    /* vector width in windows: 16 AVX-512, 8 AVX2, 0 plain C */
    int vec = 0;
#ifdef POOL_HAVE_X86
    if (p->max && k == 3 && s == 2)
        vec = p->simd == CORE_SIMD_AVX512 ? 16
              : p->simd == CORE_SIMD_AVX2 ? 8 : 0;
#endif
    /* output columns whose window starts inside the input, not in the
     * left padding */
    const int ox_lo = (p->pad_l + s - 1) / s;
    size_t unit = 0;
    for (int c = 0; c < in.c; c++) {
        const float *plane = src + (size_t)c * in.h * in.w;
        for (int oy = 0; oy < out.h; oy++) {
            const int y0 = oy * s - p->pad_t;
            const int inside = y0 >= 0 && y0 < in.h;
            int ox = 0;
            while (ox < out.w) {
                const int x0 = ox * s - p->pad_l;
#ifdef POOL_HAVE_X86
                if (vec && inside && ox >= ox_lo && x0 < in.w) {
                    uint8_t arg[16];
                    int n = out.w - ox < vec ? out.w - ox : vec;
                    /* windows starting past the right edge (only with
                     * right padding) are all padding: plain C */
                    if (n > (in.w - x0 + 1) / 2)
                        n = (in.w - x0 + 1) / 2;
                    int rows = in.h - y0 < 3 ? in.h - y0 : 3;
                    (vec == 16 ? max3s2_x16 : max3s2_avx2)(
                        plane + (size_t)y0 * in.w + x0, in.w, in.w - x0,
                        rows, n, dst + unit, arg);
                    if (code && vec == 16 && bits_per_unit == 4 &&
                        unit % 2 == 0)
                        put_nibbles_x16(arg, n, code + unit / 2);
                    else
                        for (int j = 0; code && j < n; j++)
                            put_unit(code, bits_per_unit, unit + (size_t)j,
                                     arg[j]);
                    ox += n;
                    unit += n;
                    continue;
                }
#endif
                if (p->max) {
                    unsigned arg;
                    dst[unit] = max_window(plane, in, k, y0, x0, &arg);
                    if (code)
                        put_unit(code, bits_per_unit, unit, arg);
                } else {
                    dst[unit] = avg_window(p, plane, in, y0, x0);
                }
                ox++;
                unit++;
            }
        }
    }
}
