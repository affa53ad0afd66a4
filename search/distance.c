/* distance.c -- whole-sketch scores and summary distances.
 *
 * A scan is bound by memory bandwidth only if the per-record work is tiny,
 * so the score of one record is one fused loop: per active layer, count the
 * differing units over its 64-byte blocks and add count * factor.  On
 * AVX-512 (VPOPCNTDQ) the counts stay in vector lanes and are converted and
 * multiplied there: one horizontal sum per record instead of one per layer.
 * Sketches may be only 8-byte aligned, hence unaligned loads throughout.
 * The portable versions read 64-bit words with memcpy.
 */
#include <string.h>

#include "search_int.h"

/* Units of 4 bits that differ in x (= a XOR b): fold each nibble onto its
 * low bit, keep those bits. */
static inline uint64_t nibbles_nonzero(uint64_t x)
{
    x |= x >> 1;
    x |= x >> 2;
    return x & 0x1111111111111111ull;
}

/* Same for bytes. */
static inline uint64_t bytes_nonzero(uint64_t x)
{
    x |= x >> 1;
    x |= x >> 2;
    x |= x >> 4;
    return x & 0x0101010101010101ull;
}

static inline uint64_t load64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static uint64_t layer_diff_portable(const search_layer *L, const uint8_t *q,
                                    const uint8_t *r)
{
    const uint8_t *a = q + L->offset, *b = r + L->offset;
    size_t words = L->blocks * 8;
    uint64_t n = 0;
    for (size_t w = 0; w < words; w++) {
        uint64_t x = load64(a + 8 * w) ^ load64(b + 8 * w);
        if (L->bits_per_unit == 4)
            x = nibbles_nonzero(x);
        else if (L->bits_per_unit == 8)
            x = bytes_nonzero(x);
        n += (uint64_t)__builtin_popcountll(x);
    }
    return n;
}

static double score_portable(const maso_search *s, const uint8_t *q,
                             const uint8_t *r)
{
    double d = 0;
    for (size_t a = 0; a < s->n_active; a++)
        d += s->factor[a] *
             (double)layer_diff_portable(&s->layers[s->active[a]], q, r);
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
    if (strcmp(name, "portable") == 0) {
        search->score = score_portable;
        search->summary_distance = summary_portable;
        return 0;
    }
#if defined(__x86_64__) && defined(__GNUC__)
    if (strcmp(name, "avx512") == 0 && have_avx512()) {
        search->score = score_avx512;
        search->summary_distance = summary_avx512;
        return 0;
    }
#endif
    return search_fail(search, MASO_ENOTFOUND,
                       "kernels \"%s\" unknown or not supported by this CPU",
                       name);
}

const char *maso_search_kernels(const maso_search *search)
{
    return search->score == score_portable ? "portable" : "avx512";
}

void search_pick_kernels(maso_search *s)
{
    s->score = score_portable;
    s->summary_distance = summary_portable;
#if defined(__x86_64__) && defined(__GNUC__)
    if (have_avx512()) {
        s->score = score_avx512;
        s->summary_distance = summary_avx512;
    }
#endif
}
