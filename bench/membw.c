/* membw.c -- streaming read bandwidth (see membw.h). */
#define _DEFAULT_SOURCE /* MADV_HUGEPAGE */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "membw.h"

typedef struct read_job {
    const uint8_t *from;
    size_t bytes;
    uint64_t sink;      /* keeps the loads alive */
} read_job;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static uint64_t read_portable(const uint8_t *p, size_t bytes)
{
    uint64_t a[8] = { 0 };
    for (size_t o = 0; o < bytes; o += 64)
        for (int k = 0; k < 8; k++) {
            uint64_t v;
            memcpy(&v, p + o + 8 * k, 8);
            a[k] ^= v;
        }
    return a[0] ^ a[1] ^ a[2] ^ a[3] ^ a[4] ^ a[5] ^ a[6] ^ a[7];
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

/* Four 64-byte loads per iteration into four accumulators: the same load
 * width the fused distance kernel uses. */
__attribute__((target("avx512f"))) static uint64_t
read_avx512(const uint8_t *p, size_t bytes)
{
    __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
    for (size_t o = 0; o < bytes; o += 256) {
        a0 = _mm512_xor_si512(a0, _mm512_load_si512(p + o));
        a1 = _mm512_xor_si512(a1, _mm512_load_si512(p + o + 64));
        a2 = _mm512_xor_si512(a2, _mm512_load_si512(p + o + 128));
        a3 = _mm512_xor_si512(a3, _mm512_load_si512(p + o + 192));
    }
    a0 = _mm512_xor_si512(_mm512_xor_si512(a0, a1), _mm512_xor_si512(a2, a3));
    return (uint64_t)_mm512_reduce_or_epi64(a0);
}

static int have_avx512(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f");
}
#else
static int have_avx512(void)
{
    return 0;
}
#define read_avx512 read_portable
#endif

static void *read_worker(void *arg)
{
    read_job *j = arg;
    j->sink = have_avx512() ? read_avx512(j->from, j->bytes)
                            : read_portable(j->from, j->bytes);
    return NULL;
}

static int dbl_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double membw_read_gbs(const uint8_t *buf, size_t bytes, int threads, int reps)
{
    read_job job[64];
    pthread_t tid[64];
    double t[64];
    if (threads < 1 || threads > 64 || reps < 1 || reps > 64)
        return -1;
    size_t part = bytes / 256 / (size_t)threads * 256;
    for (int k = 0; k < threads; k++) {
        job[k].from = buf + (size_t)k * part;
        job[k].bytes = k + 1 < threads ? part : bytes - (size_t)k * part;
    }
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        for (int k = 1; k < threads; k++)
            if (pthread_create(&tid[k], NULL, read_worker, &job[k])) {
                while (--k >= 1)
                    pthread_join(tid[k], NULL);
                return -1;
            }
        read_worker(&job[0]);
        for (int k = 1; k < threads; k++)
            pthread_join(tid[k], NULL);
        t[r] = now() - t0;
    }
    /* the fastest read: the machine shares its cores, and a ceiling is
     * estimated by the least disturbed run */
    qsort(t, (size_t)reps, sizeof *t, dbl_cmp);
    return (double)bytes / t[0] / 1e9;
}

uint8_t *membw_buffer_alloc(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    madvise(p, bytes, MADV_HUGEPAGE);
    /* distinct values per page: nothing can be served by a shared page */
    for (size_t o = 0; o < bytes; o += 4096)
        memset((uint8_t *)p + o, (int)(o >> 12),
               bytes - o < 4096 ? bytes - o : 4096);
    return p;
}

void membw_buffer_free(uint8_t *buf, size_t bytes)
{
    if (buf)
        munmap(buf, bytes);
}
