/* distance.c -- whole-sketch scores and summary distances.
 *
 * A scan is bound by memory bandwidth only if the per-record work is tiny,
 * so the score of one record is one fused loop: per active layer, count the
 * differing units over its 64-byte blocks and add count * factor.  On
 * AVX-512 (VPOPCNTDQ) the counts stay in vector lanes and are converted and
 * multiplied there: one horizontal sum per record instead of one per layer.
 * Sketches may be only 8-byte aligned, hence unaligned loads throughout.
 * Elsewhere the score calls libmaso's kernels (maso_kernels) per layer.
 */
#include <string.h>

#include "search_int.h"

static inline uint64_t load64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* The generic path: one call of a libmaso kernel per layer (any CPU).
 * Sections are 64-byte multiples at 64-byte offsets and records 8-byte
 * aligned, so the uint64_t views are aligned; the kernels load unaligned
 * anyway. */
static double score_kernels(const maso_search *s, const uint8_t *q,
                            const uint8_t *r)
{
    const maso_kernels *k = s->kernels;
    double d = 0;
    for (size_t a = 0; a < s->n_active; a++) {
        const search_layer *L = &s->layers[s->active[a]];
        const uint64_t *x = (const uint64_t *)(const void *)(q + L->offset);
        const uint64_t *y = (const uint64_t *)(const void *)(r + L->offset);
        size_t words = L->blocks * 8;
        uint64_t n = L->bits_per_unit == 1 ? k->xor_popcount(x, y, words)
                   : L->bits_per_unit == 4 ? k->nibble_diff(x, y, words)
                                           : k->byte_diff(x, y, words);
        d += s->factor[a] * (double)n;
    }
    return d;
}

static uint32_t summary_portable(const uint8_t *a, const uint8_t *b,
                                 const uint64_t *mask, size_t words)
{
    uint32_t n = 0;
    for (size_t w = 0; w < words; w++)
        n += (uint32_t)__builtin_popcountll(
            (load64(a + 8 * w) ^ load64(b + 8 * w)) & mask[w]);
    return n;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vpopcntdq")))

AVX512 static double score_avx512(const maso_search *s, const uint8_t *q,
                                  const uint8_t *r)
{
    const __m512i low_nibble_bits = _mm512_set1_epi64(0x1111111111111111ll);
    __m512d sum = _mm512_setzero_pd();
    for (size_t a = 0; a < s->n_active; a++) {
        const search_layer *L = &s->layers[s->active[a]];
        const uint8_t *pa = q + L->offset, *pb = r + L->offset;
        __m512i acc = _mm512_setzero_si512();
        if (L->bits_per_unit == 1) {
            for (size_t k = 0; k < L->blocks; k++) {
                __m512i x = _mm512_xor_si512(_mm512_loadu_si512(pa + 64 * k),
                                             _mm512_loadu_si512(pb + 64 * k));
                acc = _mm512_add_epi64(acc, _mm512_popcnt_epi64(x));
            }
        } else if (L->bits_per_unit == 4) {
            for (size_t k = 0; k < L->blocks; k++) {
                __m512i x = _mm512_xor_si512(_mm512_loadu_si512(pa + 64 * k),
                                             _mm512_loadu_si512(pb + 64 * k));
                x = _mm512_or_si512(x, _mm512_srli_epi64(x, 1));
                x = _mm512_or_si512(x, _mm512_srli_epi64(x, 2));
                x = _mm512_and_si512(x, low_nibble_bits);
                acc = _mm512_add_epi64(acc, _mm512_popcnt_epi64(x));
            }
        } else {
            for (size_t k = 0; k < L->blocks; k++) {
                __mmask64 ne = _mm512_cmpneq_epi8_mask(
                    _mm512_loadu_si512(pa + 64 * k),
                    _mm512_loadu_si512(pb + 64 * k));
                acc = _mm512_add_epi64(
                    acc, _mm512_set1_epi64((long long)__builtin_popcountll(ne)));
            }
            /* every lane got the whole count: keep one lane */
            acc = _mm512_maskz_mov_epi64(1, acc);
        }
        sum = _mm512_fmadd_pd(_mm512_cvtepi64_pd(acc),
                              _mm512_set1_pd(s->factor[a]), sum);
    }
    return _mm512_reduce_add_pd(sum);
}

AVX512 static uint32_t summary_avx512(const uint8_t *a, const uint8_t *b,
                                      const uint64_t *mask, size_t words)
{
    __m512i acc = _mm512_setzero_si512();
    size_t w = 0;
    for (; w + 8 <= words; w += 8) {
        __m512i x = _mm512_xor_si512(_mm512_loadu_si512(a + 8 * w),
                                     _mm512_loadu_si512(b + 8 * w));
        x = _mm512_and_si512(x, _mm512_loadu_si512(mask + w));
        acc = _mm512_add_epi64(acc, _mm512_popcnt_epi64(x));
    }
    if (w < words) {
        __mmask8 m = (__mmask8)((1u << (words - w)) - 1);
        __m512i x = _mm512_xor_si512(_mm512_maskz_loadu_epi64(m, a + 8 * w),
                                     _mm512_maskz_loadu_epi64(m, b + 8 * w));
        x = _mm512_and_si512(x, _mm512_maskz_loadu_epi64(m, mask + w));
        acc = _mm512_add_epi64(acc, _mm512_popcnt_epi64(x));
    }
    return (uint32_t)_mm512_reduce_add_epi64(acc);
}

static int have_avx512(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") &&
           __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512vpopcntdq");
}
#endif

int maso_search_set_kernels(maso_search *search, const char *name)
{
    if (!search || !name)
        return MASO_EINVAL_ARG;
    search->errmsg[0] = 0;
#if defined(__x86_64__) && defined(__GNUC__)
    if (strcmp(name, "fused") == 0 && have_avx512()) {
        search->score = score_avx512;
        search->summary_distance = summary_avx512;
        search->kernels = maso_kernels_best();
        return 0;
    }
#endif
    const maso_kernels *k = maso_kernels_get(name);
    if (!k)
        return search_fail(search, MASO_ENOTFOUND,
                           "kernels \"%s\" unknown or not supported by this "
                           "CPU", name);
    search->kernels = k;
    search->score = score_kernels;
    search->summary_distance = summary_portable;
    return 0;
}

const char *maso_search_kernels(const maso_search *search)
{
    return search->score == score_kernels ? search->kernels->name : "fused";
}

void search_pick_kernels(maso_search *s)
{
    s->kernels = maso_kernels_best();
    s->score = score_kernels;
    s->summary_distance = summary_portable;
#if defined(__x86_64__) && defined(__GNUC__)
    if (have_avx512()) {
        s->score = score_avx512;
        s->summary_distance = summary_avx512;
    }
#endif
}
