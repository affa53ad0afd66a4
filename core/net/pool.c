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
 * same results.  The windows that start inside the input run in one block
 * that shares each input row's horizontal maxima between the two output
 * rows reading it (max3s2_block_avx512, max3s2_block_avx2); the few
 * windows that start in the padding take the plain C window (max_window). */
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
/* Unit @p i set to @p v, replacing what was there. */
static void set_unit(uint8_t *code, int bits_per_unit, size_t i, unsigned v)
{
    if (bits_per_unit == 4) {
        const unsigned shift = (unsigned)(i & 1) * 4;
        code[i >> 1] = (uint8_t)((code[i >> 1] & ~(15u << shift)) |
                                 (v << shift));
    } else {
        code[i] = (uint8_t)v;
    }
}

/* The windows of bits @p redo of a vector starting at output column
 * @p ox (first input row @p y0, unit @p u) done again by max_window():
 * the row stages' NaN case (the max3s2_block functions). */
static void redo_windows(const core_pool_desc *p, core_shape in,
                         const float *plane, int y0, int ox, unsigned redo,
                         float *dst, uint8_t *code, int bits_per_unit,
                         size_t u)
{
    for (int j = 0; redo >> j; j++) {
        if (!(redo >> j & 1u))
            continue;
        unsigned w;
        dst[u + (size_t)j] =
            max_window(plane, in, 3, y0, (ox + j) * 2 - p->pad_l, &w);
        if (code)
            set_unit(code, bits_per_unit, u + (size_t)j, w);
    }
}

/* The winners of up to 16 windows (@p bytes, @p n of them, lanes past n
 * zero) OR-ed into units @p unit .. unit+n-1 of @p code: as nibbles, two
 * windows a byte (pairs lo | hi << 4 by one multiply-add, 16 nibbles in a
 * 64-bit word), or as bytes. */
CORE_TARGET_AVX512
static void put_units_x16(uint8_t *code, int bits_per_unit, size_t unit,
                          __m128i bytes, int n)
{
    if (bits_per_unit == 4) {
        __m128i pairs = _mm_maddubs_epi16(bytes, _mm_set1_epi16(0x1001));
        uint64_t word =
            (uint64_t)_mm_cvtsi128_si64(_mm_packus_epi16(pairs, pairs));
        core_bits_put(code, unit * 4, word, (size_t)n * 4);
    } else {
        uint8_t b[16];
        _mm_storeu_si128((__m128i *)(void *)b, bytes);
        for (int j = 0; j < n; j++)
            code[unit + (size_t)j] |= b[j];
    }
}

/* The lanes of one column of up to 16 windows: which inputs exist from
 * the windows' first column to the end of the row (the last windows can
 * be cut by the right edge in ceil mode). */
typedef struct row_masks {
    __mmask16 lo, hi;  /* inputs x[0..15], x[16..31] */
    __mmask16 odd;     /* windows with x[2j+1] */
    __mmask16 third;   /* windows with x[2j+2] */
    int last;          /* x[32] exists */
} row_masks;

static __mmask16 first_lanes(int n)
{
    return n >= 16 ? (__mmask16)0xffff
           : n > 0 ? (__mmask16)((1u << n) - 1u) : (__mmask16)0;
}

/* @p avail: inputs from the first window's column to the end of the row. */
static row_masks row_masks_of(int avail)
{
    const int a = avail > 33 ? 33 : avail;
    row_masks m = {first_lanes(a), first_lanes(a - 16), first_lanes(a / 2),
                   first_lanes((a - 1) / 2), a > 32};
    return m;
}

/* One input row's horizontal stage of a column of 3x3 stride-2 windows:
 * per window j the first strict maximum of x[2j], x[2j+1], x[2j+2] (those
 * of @p m that exist) and its column (in @p dx), and in @p nan_lead the
 * windows whose x[2j] is NaN. */
CORE_TARGET_AVX512
static inline __m512 max3_row_x16(const float *row, const row_masks *m,
                                  __m512i *dx, __mmask16 *nan_lead)
{
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18,
                                           20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
    const __m512 lo = _mm512_maskz_loadu_ps(m->lo, row);
    const __m512 hi = _mm512_maskz_loadu_ps(m->hi, row + 16);
    const __m512 e = _mm512_permutex2var_ps(lo, even, hi);
    const __m512 o = _mm512_permutex2var_ps(lo, odd, hi);
    /* x[2j+2]: the next window's x[2j], and x[32] for the 16th */
    const __m512 last = m->last ? _mm512_set1_ps(row[32]) : _mm512_setzero_ps();
    const __m512 e2 = _mm512_castsi512_ps(_mm512_alignr_epi32(
        _mm512_castps_si512(last), _mm512_castps_si512(e), 1));
    *nan_lead = _mm512_cmp_ps_mask(e, e, _CMP_UNORD_Q);
    const __mmask16 g1 = _mm512_mask_cmp_ps_mask(m->odd, o, e, _CMP_GT_OQ);
    __m512 best = _mm512_mask_mov_ps(e, g1, o);
    const __mmask16 g2 =
        _mm512_mask_cmp_ps_mask(m->third, e2, best, _CMP_GT_OQ);
    best = _mm512_mask_mov_ps(best, g2, e2);
    *dx = _mm512_mask_mov_epi32(_mm512_maskz_mov_epi32(g1, _mm512_set1_epi32(1)),
                                g2, _mm512_set1_epi32(2));
    return best;
}

/* A window's second or third row (@p row, winners dy*3 + dx with
 * @p dy3 = 3*dy) after its earlier rows: replaces *best and *arg where its
 * maximum is strictly greater, adds its leading NaNs to *nans; returns
 * its row stage, and the stage's columns in *dx when @p dx is not NULL. */
CORE_TARGET_AVX512
static inline __m512 later_row(const float *row, const row_masks *m,
                               __m512i dy3, __m512 *best, __m512i *arg,
                               __mmask16 *nans, __m512i *dx)
{
    __m512i a;
    __mmask16 nan;
    const __m512 h = max3_row_x16(row, m, &a, &nan);
    const __mmask16 gt = _mm512_cmp_ps_mask(h, *best, _CMP_GT_OQ);
    *best = _mm512_mask_mov_ps(*best, gt, h);
    *arg = _mm512_mask_add_epi32(*arg, gt, a, dy3);
    *nans |= nan;
    if (dx)
        *dx = a;
    return h;
}

/* Windows of one pass of max3s2_block_avx512(): row stages kept for the
 * next output row, 16 windows a vector. */
#define BLOCK_VECTORS 16

/* The 3x3 stride-2 windows that start inside the input (not in the
 * padding), output rows oy0 .. oy1-1 and columns ox0 .. ox1-1, with
 * AVX-512, 16 windows a vector.  Each input row's horizontal stage
 * (max3_row_x16) is done once and shared by the two output rows that read
 * it (the last row of one window is the first of the next): the stages of
 * the shared row wait in a small buffer while the rows are walked in
 * order (streaming the input as the prefetchers like).  Windows cut by
 * the right or bottom edge (ceil mode) compare only the inputs they have.
 * The winner is max_window()'s: the first strict maximum of a row, then a
 * later row wins only when its maximum is strictly greater, which is the
 * first strict maximum in row-major order.  The one input that breaks
 * that equivalence is a NaN starting a window's second or third row (the
 * row-major scan skips it, the row stage would stop at it): such windows
 * are redone by max_window().  Winners are OR-ed into @p code as 4-bit or
 * 8-bit units (the caller zeroed it). */
CORE_TARGET_AVX512
static void max3s2_block_avx512(const core_pool_desc *p, core_shape in,
                                const float *plane, core_shape out,
                                int oy0, int oy1, int ox0, int ox1,
                                float *dst, uint8_t *code, int bits_per_unit,
                                size_t unit0)
{
    const __m512i three = _mm512_set1_epi32(3), six = _mm512_set1_epi32(6);
    __m512 shared[BLOCK_VECTORS];
    __m512i shared_arg[BLOCK_VECTORS];
    row_masks masks[BLOCK_VECTORS];
    for (int cx = ox0; cx < ox1; cx += 16 * BLOCK_VECTORS) {
        const int cend = ox1 - cx < 16 * BLOCK_VECTORS ? ox1
                                                       : cx + 16 * BLOCK_VECTORS;
        const int nv = (cend - cx + 15) / 16;
        const int x0 = cx * 2 - p->pad_l;
        int y0 = oy0 * 2 - p->pad_t;
        for (int v = 0; v < nv; v++) {
            __mmask16 nan0;
            masks[v] = row_masks_of(in.w - x0 - 32 * v);
            shared[v] = max3_row_x16(plane + (size_t)y0 * in.w + x0 + 32 * v,
                                     &masks[v], &shared_arg[v], &nan0);
        }
        for (int oy = oy0; oy < oy1; oy++, y0 += 2) {
            const int rows = in.h - y0 < 3 ? in.h - y0 : 3;
            const float *r1 = plane + (size_t)(y0 + 1) * in.w + x0;
            const float *r2 = r1 + in.w;
            for (int v = 0; v < nv; v++) {
                const int n = cend - cx - 16 * v < 16 ? cend - cx - 16 * v
                                                      : 16;
                const __mmask16 windows = first_lanes(n);
                __m512 best = shared[v];
                __m512i arg = shared_arg[v];
                __mmask16 nans = 0;
                if (rows > 1)
                    (void)later_row(r1 + 32 * v, &masks[v], three, &best,
                                    &arg, &nans, NULL);
                if (rows > 2)
                    shared[v] = later_row(r2 + 32 * v, &masks[v], six, &best,
                                          &arg, &nans, &shared_arg[v]);
                const int ox = cx + 16 * v;
                const size_t u = unit0 + (size_t)oy * out.w + (size_t)ox;
                _mm512_mask_storeu_ps(dst + u, windows, best);
                /* lanes past n hold partial windows: zero units */
                if (code)
                    put_units_x16(code, bits_per_unit, u,
                                  _mm512_maskz_cvtepi32_epi8(windows, arg),
                                  n);
                redo_windows(p, in, plane, y0, ox,
                             (unsigned)(nans & windows), dst, code,
                             bits_per_unit, u);
            }
        }
    }
}

/* The AVX2 form of max3s2_block_avx512(), 8 windows a vector: the same
 * row stages shared between output rows, the same comparisons; lanes are
 * masked by vectors of all-ones words (masked loads read only the inputs
 * that exist). */
typedef struct row_masks8 {
    __m256i lo, hi;       /* x[0..7], x[8..15] exist */
    __m256i lo2, hi2;     /* x[2..9], x[10..17] exist */
    __m256 odd, third;    /* windows with x[2j+1], x[2j+2] */
} row_masks8;

/* Lanes i < @p count of 8 (all-ones words). */
CORE_TARGET_AVX2
static inline __m256i lanes8(int count)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(count),
                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

CORE_TARGET_AVX2
static row_masks8 row_masks8_of(int avail)
{
    const int a = avail > 33 ? 33 : avail;
    row_masks8 m = {lanes8(a), lanes8(a - 8), lanes8(a - 2), lanes8(a - 10),
                    _mm256_castsi256_ps(lanes8(a / 2)),
                    _mm256_castsi256_ps(lanes8((a - 1) / 2))};
    return m;
}

/* The even (@p odd 0) or odd words of x[0..15] given as two vectors. */
CORE_TARGET_AVX2
static inline __m256 deinterleave8(__m256 lo, __m256 hi, int odd)
{
    __m256 pairs = odd ? _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(3, 1, 3, 1))
                       : _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0));
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(pairs),
                                                  _MM_SHUFFLE(3, 1, 2, 0)));
}

/* max3_row_x16() for 8 windows; *nan_lead as a movemask. */
CORE_TARGET_AVX2
static inline __m256 max3_row_x8(const float *row, const row_masks8 *m,
                                 __m256i *dx, int *nan_lead)
{
    const __m256 lo = _mm256_maskload_ps(row, m->lo);
    const __m256 hi = _mm256_maskload_ps(row + 8, m->hi);
    const __m256 e = deinterleave8(lo, hi, 0), o = deinterleave8(lo, hi, 1);
    const __m256 e2 = deinterleave8(_mm256_maskload_ps(row + 2, m->lo2),
                                    _mm256_maskload_ps(row + 10, m->hi2), 0);
    *nan_lead = _mm256_movemask_ps(_mm256_cmp_ps(e, e, _CMP_UNORD_Q));
    const __m256 g1 = _mm256_and_ps(m->odd, _mm256_cmp_ps(o, e, _CMP_GT_OQ));
    __m256 best = _mm256_blendv_ps(e, o, g1);
    const __m256 g2 =
        _mm256_and_ps(m->third, _mm256_cmp_ps(e2, best, _CMP_GT_OQ));
    best = _mm256_blendv_ps(best, e2, g2);
    *dx = _mm256_castps_si256(_mm256_blendv_ps(
        _mm256_and_ps(g1, _mm256_castsi256_ps(_mm256_set1_epi32(1))),
        _mm256_castsi256_ps(_mm256_set1_epi32(2)), g2));
    return best;
}

/* later_row() for 8 windows. */
CORE_TARGET_AVX2
static inline __m256 later_row8(const float *row, const row_masks8 *m,
                                int dy3, __m256 *best, __m256i *arg,
                                int *nans, __m256i *dx)
{
    __m256i a;
    int nan;
    const __m256 h = max3_row_x8(row, m, &a, &nan);
    const __m256 gt = _mm256_cmp_ps(h, *best, _CMP_GT_OQ);
    *best = _mm256_blendv_ps(*best, h, gt);
    *arg = _mm256_castps_si256(_mm256_blendv_ps(
        _mm256_castsi256_ps(*arg),
        _mm256_castsi256_ps(_mm256_add_epi32(a, _mm256_set1_epi32(dy3))),
        gt));
    *nans |= nan;
    if (dx)
        *dx = a;
    return h;
}

/* max3s2_block_avx512() with AVX2. */
CORE_TARGET_AVX2
static void max3s2_block_avx2(const core_pool_desc *p, core_shape in,
                              const float *plane, core_shape out, int oy0,
                              int oy1, int ox0, int ox1, float *dst,
                              uint8_t *code, int bits_per_unit, size_t unit0)
{
    enum { V = 2 * BLOCK_VECTORS };
    __m256 shared[V];
    __m256i shared_arg[V];
    row_masks8 masks[V];
    for (int cx = ox0; cx < ox1; cx += 8 * V) {
        const int cend = ox1 - cx < 8 * V ? ox1 : cx + 8 * V;
        const int nv = (cend - cx + 7) / 8;
        const int x0 = cx * 2 - p->pad_l;
        int y0 = oy0 * 2 - p->pad_t;
        for (int v = 0; v < nv; v++) {
            int nan0;
            masks[v] = row_masks8_of(in.w - x0 - 16 * v);
            shared[v] = max3_row_x8(plane + (size_t)y0 * in.w + x0 + 16 * v,
                                    &masks[v], &shared_arg[v], &nan0);
        }
        for (int oy = oy0; oy < oy1; oy++, y0 += 2) {
            const int rows = in.h - y0 < 3 ? in.h - y0 : 3;
            const float *r1 = plane + (size_t)(y0 + 1) * in.w + x0;
            const float *r2 = r1 + in.w;
            for (int v = 0; v < nv; v++) {
                const int n = cend - cx - 8 * v < 8 ? cend - cx - 8 * v : 8;
                __m256 best = shared[v];
                __m256i arg = shared_arg[v];
                int nans = 0;
                if (rows > 1)
                    (void)later_row8(r1 + 16 * v, &masks[v], 3, &best, &arg,
                                     &nans, NULL);
                if (rows > 2)
                    shared[v] = later_row8(r2 + 16 * v, &masks[v], 6, &best,
                                           &arg, &nans, &shared_arg[v]);
                const int ox = cx + 8 * v;
                const size_t u = unit0 + (size_t)oy * out.w + (size_t)ox;
                _mm256_maskstore_ps(dst + u, lanes8(n), best);
                int32_t a[8];
                _mm256_storeu_si256((__m256i *)(void *)a, arg);
                if (code && bits_per_unit == 4) {
                    uint64_t word = 0;
                    for (int j = 0; j < n; j++)
                        word |= (uint64_t)a[j] << (4 * j);
                    core_bits_put(code, u * 4, word, (size_t)n * 4);
                } else if (code) {
                    for (int j = 0; j < n; j++)
                        code[u + (size_t)j] |= (uint8_t)a[j];
                }
                redo_windows(p, in, plane, y0, ox,
                             (unsigned)nans & ((1u << n) - 1u), dst, code,
                             bits_per_unit, u);
            }
        }
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
    /* AVX-512 or AVX2: the windows that start inside the input, output rows
     * [in_y0, in_y1) x columns [in_x0, in_x1), as one block */
    int in_y0 = 0, in_y1 = 0, in_x0 = 0, in_x1 = 0;
#ifdef POOL_HAVE_X86
    if (vec) {
        in_y0 = (p->pad_t + 1) / 2;
        in_y1 = (in.h - 1 + p->pad_t) / 2 + 1;
        in_x0 = ox_lo;
        in_x1 = (in.w - 1 + p->pad_l) / 2 + 1;
        in_y1 = in_y1 > out.h ? out.h : in_y1;
        in_x1 = in_x1 > out.w ? out.w : in_x1;
        if (in_y0 >= in_y1 || in_x0 >= in_x1)
            in_y0 = in_y1 = in_x0 = in_x1 = 0;
    }
#endif
    size_t unit = 0;
    for (int c = 0; c < in.c; c++) {
        const float *plane = src + (size_t)c * in.h * in.w;
#ifdef POOL_HAVE_X86
        if (in_y0 < in_y1)
            (vec == 16 ? max3s2_block_avx512 : max3s2_block_avx2)(
                p, in, plane, out, in_y0, in_y1, in_x0, in_x1, dst, code,
                bits_per_unit, unit);
#endif
        for (int oy = 0; oy < out.h; oy++) {
            const int y0 = oy * s - p->pad_t;
            int ox = 0;
            while (ox < out.w) {
                if (ox == in_x0 && oy >= in_y0 && oy < in_y1) {
                    unit += (size_t)(in_x1 - in_x0); /* done above */
                    ox = in_x1;
                    continue;
                }
                const int x0 = ox * s - p->pad_l;
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
