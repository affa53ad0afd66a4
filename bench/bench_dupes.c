/* bench_dupes.c -- near-duplicate grouping (maso_search_group) on
 * synthetic SqueezeNet-shaped sketches with planted copies.
 *
 * usage: bench_dupes [records] [threshold...]
 * The records are those of synth_codes.h; one in ten is then replaced by a
 * copy of an earlier record with a share r of its units redrawn (r uniform
 * in [0.01, 0.30]: copies at distance ~0.005..0.3, like the edits of the
 * README).  Per threshold it prints the time of the exact mode (all pairs;
 * up to 20,000 records) and of the candidate mode (the engine's default
 * above MASO_ENGINE_DUPES_EXACT_MAX), and the candidate mode's pair
 * recall: of the pairs within the threshold, the share whose two records
 * end up in one group.  Up to 20,000 records the reference is the exact
 * mode (all pairs); above, the pairs of 300 records drawn at random with
 * every other record, by brute force (maso_search_distance).
 * Benchmark code: failures are reported on stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "maso_engine.h"
#include "maso_search.h"
#include "synth_codes.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Redraw a share @p rate of the units of @p rec (layout of @p c). */
static void perturb(const synth_codes *c, uint8_t *rec, double rate,
                    uint64_t *rng)
{
    uint64_t cut = (uint64_t)(rate * 4294967296.0);
    for (int l = 0; l < SYNTH_LAYERS; l++) {
        const maso_code_layer *L = &c->layout[l];
        uint8_t *p = rec + L->offset;
        for (size_t u = 0; u < L->units; u++) {
            if ((rng_next(rng) & 0xffffffffu) >= cut)
                continue;
            if (L->bits_per_unit == 1) {
                p[u / 8] ^= (uint8_t)(1u << (u % 8));
            } else {
                unsigned v = (unsigned)(rng_next(rng) % 9);
                uint8_t *b = &p[u / 2];
                *b = u % 2 ? (uint8_t)((*b & 0x0f) | v << 4)
                           : (uint8_t)((*b & 0xf0) | v);
            }
        }
    }
}

/* group index of every record (-1: alone) */
static void labels(const maso_search_groups *g, size_t n, long *lab)
{
    for (size_t i = 0; i < n; i++)
        lab[i] = -1;
    for (size_t k = 0; k < g->n_groups; k++)
        for (size_t m = g->offsets[k]; m < g->offsets[k + 1]; m++)
            lab[g->ids[m]] = (long)k;
}

static int same_groups(const maso_search_groups *a,
                       const maso_search_groups *b)
{
    if (a->n_groups != b->n_groups)
        return 0;
    for (size_t k = 0; k <= a->n_groups; k++)
        if (a->offsets[k] != b->offsets[k])
            return 0;
    return memcmp(a->ids, b->ids, a->offsets[a->n_groups] * 8) == 0;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 100000;
    double thr[8] = {0.1, 0.2, 0.3};
    int n_thr = 3;
    if (argc > 2) {
        n_thr = 0;
        for (int a = 2; a < argc && n_thr < 8; a++)
            thr[n_thr++] = strtod(argv[a], NULL);
    }
    synth_codes sc;
    if (synth_codes_load(&sc, MASO_SHARED_DIR) ||
        synth_codes_prepare(&sc, n / 20 + 10))
        return 1;
    size_t stride = (sc.record_bytes + 63) / 64 * 64;
    uint8_t *base = aligned_alloc(64, n * stride);
    maso_search *s;
    if (!base || maso_search_create(sc.layout, SYNTH_LAYERS, &s)) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    synth_codes_fill(&sc, base, stride, n);
    uint64_t rng = 88172645463325252ull;
    size_t planted = 0;
    for (size_t i = 10; i < n; i += 10, planted++) {
        size_t src = rng_next(&rng) % i;
        memcpy(base + i * stride, base + src * stride, sc.record_bytes);
        double r = 0.01 + 0.29 * (double)(rng_next(&rng) % 1000) / 1000;
        perturb(&sc, base + i * stride, r, &rng);
    }
    size_t sb = maso_search_summary_bytes(s);
    uint8_t *sums = malloc(n * sb);
    for (size_t i = 0; i < n; i++)
        maso_search_summarize(s, base + i * stride, sums + i * sb);
    maso_search_set_threads(s, 2);
    maso_search_segment seg = {base, stride, n, NULL, sums};
    printf("%zu records (%zu planted copies), 2 threads, %d candidates\n", n,
           planted, MASO_ENGINE_DUPES_CANDIDATES);
    printf("| threshold | exact s | exact distances | candidates s | "
           "candidate distances | groups | pairs within | pair recall |\n"
           "| --- | --- | --- | --- | --- | --- | --- | --- |\n");
    long *lab = malloc(n * sizeof *lab), *ref = malloc(n * sizeof *ref);
    for (int t = 0; t < n_thr; t++) {
        maso_search_groups ge = {0}, gc = {0};
        uint64_t ve = 0, vc = 0;
        double te = -1, tc;
        int exact = n <= 20000;
        if (exact) {
            double t0 = now();
            if (maso_search_group(s, &seg, 1, thr[t], 0, &ge, &ve))
                fprintf(stderr, "%s\n", maso_search_errmsg(s));
            te = now() - t0;
        }
        double t0 = now();
        if (maso_search_group(s, &seg, 1, thr[t],
                              MASO_ENGINE_DUPES_CANDIDATES, &gc, &vc))
            fprintf(stderr, "%s\n", maso_search_errmsg(s));
        tc = now() - t0;
        labels(&gc, n, lab);
        /* pairs within the threshold: all of them (exact) or sampled */
        uint64_t within = 0, kept = 0;
        size_t samples = exact ? n : 300;
        uint64_t srng = 12345;
        if (exact)
            labels(&ge, n, ref);
        for (size_t q = 0; q < samples; q++) {
            size_t a = exact ? q : rng_next(&srng) % n;
            for (size_t b = 0; b < n; b++) {
                if (b == a)
                    continue;
                int in;
                if (exact) {
                    if (b < a || ref[a] < 0 || ref[a] != ref[b])
                        continue;
                    in = 1; /* same exact group: all its pairs count */
                } else {
                    in = maso_search_distance(s, base + a * stride,
                                              base + b * stride) <= thr[t];
                }
                if (!in)
                    continue;
                within++;
                kept += lab[a] >= 0 && lab[a] == lab[b];
            }
        }
        printf("| %.2f | %s%.2f | %llu | %.2f | %llu | %zu | %llu%s | %.5f%s |\n",
               thr[t], exact ? "" : "(not run) ", exact ? te : 0,
               (unsigned long long)ve, tc, (unsigned long long)vc,
               gc.n_groups, (unsigned long long)within,
               exact ? " (pairs in exact groups)" : " (300 sampled records)",
               within ? (double)kept / (double)within : 1.0,
               exact ? (same_groups(&ge, &gc) ? ", groups identical"
                                              : ", groups differ")
                     : "");
        fflush(stdout);
        maso_search_groups_free(&ge);
        maso_search_groups_free(&gc);
    }
    free(lab);
    free(ref);
    free(sums);
    free(base);
    maso_search_destroy(s);
    synth_codes_free(&sc);
    return 0;
}
