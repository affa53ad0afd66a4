/* distance.c -- whole-sketch scores and summary distances.
 *
 * A scan is bound by memory bandwidth only if the per-record work is tiny,
 * so a score runs the distance program (program.c): a few long loops over
 * runs of 64-byte blocks, the counts of each group of layers with one
 * factor added in integer lanes, one horizontal sum and one multiply per
 * group (two for the default weights), never per layer.  On AVX-512
 * (VPOPCNTDQ) the whole record is one fused loop with an accumulator per
 * group in a register ("fused"); elsewhere each run calls one of libmaso's
 * kernels (maso_kernels).  Both end with search_program_sum(), so they
 * return bit-identical distances.  Sketches may be only 8-byte aligned,
 * hence unaligned loads throughout.
 */
#include <string.h>

#include "search_internal.h"

static inline uint64_t load64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* The generic path: one call of a libmaso kernel per run (any CPU), the
 * same program and the same order of the sum as the fused kernels.
 * Sections are 64-byte multiples at 64-byte offsets and records 8-byte
 * aligned, so the uint64_t views are aligned; the kernels load unaligned
 * anyway. */
static double score_kernels(const maso_search *s, const uint8_t *q,
                            const uint8_t *r)
{
    const maso_kernels *k = s->kernels;
    uint64_t slot[SEARCH_SLOTS] = { 0 };
    double d = 0;
    for (size_t i = 0; i < s->n_runs; i++) {
        const search_run *R = &s->runs[i];
        const uint64_t *x = (const uint64_t *)(const void *)(q + R->offset);
        const uint64_t *y = (const uint64_t *)(const void *)(r + R->offset);
        size_t words = (size_t)R->blocks * 8;
        slot[R->slot] += R->bits == 1 ? k->xor_popcount(x, y, words)
                       : R->bits == 4 ? k->nibble_diff(x, y, words)
                                      : k->byte_diff(x, y, words);
        if (R->flush) {
            d += s->group_factor[R->group] * (double)slot[0];
            slot[0] = 0;
        }
    }
    return search_program_sum(s, d, slot);
}

static void batch_kernels(const maso_search *s, const uint8_t *q,
                          const uint8_t *base, size_t stride, size_t n,
                          double *out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = s->score(s, q, base + i * stride);
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

/* Differing units of run R between query q and record r, added to the
 * lanes of *acc (any lane: only the lane sum matters). */
AVX512 static inline void run_count(const search_run *R, const uint8_t *q,
                                    const uint8_t *r, __m512i *acc)
{
    const __m512i low_nibble_bits = _mm512_set1_epi64(0x1111111111111111ll);
    const uint8_t *pa = q + R->offset, *pb = r + R->offset;
    __m512i a = *acc;
    if (R->bits == 1) {
        for (size_t k = 0; k < R->blocks; k++) {
            __m512i x = _mm512_xor_si512(_mm512_loadu_si512(pa + 64 * k),
                                         _mm512_loadu_si512(pb + 64 * k));
            a = _mm512_add_epi64(a, _mm512_popcnt_epi64(x));
        }
    } else if (R->bits == 4) {
        /* a nibble differs when any of its 4 bits does: fold them onto
         * its low bit, keep only that bit, count */
        for (size_t k = 0; k < R->blocks; k++) {
            __m512i x = _mm512_xor_si512(_mm512_loadu_si512(pa + 64 * k),
                                         _mm512_loadu_si512(pb + 64 * k));
            x = _mm512_or_si512(x, _mm512_srli_epi64(x, 1));
            x = _mm512_or_si512(x, _mm512_srli_epi64(x, 2));
            x = _mm512_and_si512(x, low_nibble_bits);
            a = _mm512_add_epi64(a, _mm512_popcnt_epi64(x));
        }
    } else {
        uint64_t n = 0;
        for (size_t k = 0; k < R->blocks; k++)
            n += (uint64_t)__builtin_popcountll(_mm512_cmpneq_epi8_mask(
                _mm512_loadu_si512(pa + 64 * k),
                _mm512_loadu_si512(pb + 64 * k)));
        a = _mm512_add_epi64(a, _mm512_maskz_set1_epi64(1, (long long)n));
    }
    *acc = a;
}

/* Scores record r by the program: one accumulator per slot, kept in
 * registers; a horizontal sum per group (two with the default weights),
 * never per layer.  (Two records at a time, sharing the query's loads,
 * measured slower on the memory-bound scan: bench_faiss.) */
AVX512 static inline double score_program(const maso_search *s,
                                          const uint8_t *q, const uint8_t *r)
{
    __m512i acc[SEARCH_SLOTS];
    for (int j = 0; j < SEARCH_SLOTS; j++)
        acc[j] = _mm512_setzero_si512();
    double d = 0;
    for (size_t i = 0; i < s->n_runs; i++) {
        const search_run *R = &s->runs[i];
        /* constant indices after the switch keep acc in registers */
        switch (R->slot) {
        case 0: run_count(R, q, r, &acc[0]); break;
        case 1: run_count(R, q, r, &acc[1]); break;
        case 2: run_count(R, q, r, &acc[2]); break;
        default: run_count(R, q, r, &acc[3]); break;
        }
        if (R->flush) {
            d += s->group_factor[R->group] *
                 (double)(uint64_t)_mm512_reduce_add_epi64(acc[0]);
            acc[0] = _mm512_setzero_si512();
        }
    }
    uint64_t c[SEARCH_SLOTS];
    for (size_t g = 0; g < s->n_slots; g++)
        c[g] = (uint64_t)_mm512_reduce_add_epi64(acc[g]);
    return search_program_sum(s, d, c);
}

AVX512 static double score_avx512(const maso_search *s, const uint8_t *q,
                                  const uint8_t *r)
{
    return score_program(s, q, r);
}

AVX512 static void batch_avx512(const maso_search *s, const uint8_t *q,
                                const uint8_t *base, size_t stride, size_t n,
                                double *out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = score_program(s, q, base + i * stride);
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
        search->score_batch = batch_avx512;
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
    search->score_batch = batch_kernels;
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
    s->score_batch = batch_kernels;
    s->summary_distance = summary_portable;
#if defined(__x86_64__) && defined(__GNUC__)
    if (have_avx512()) {
        s->score = score_avx512;
        s->score_batch = batch_avx512;
        s->summary_distance = summary_avx512;
    }
#endif
}
