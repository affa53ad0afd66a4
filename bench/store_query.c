/*
 * store_query.c -- a default query through the store: builds a store of N
 * synthetic clustered sketches (SqueezeNet v1.1's layout from codes.tsv,
 * the default sketch) through the batch API, then times what maso-query
 * does per query: view_begin + segments + maso_search_query (default
 * candidates, k = 10) + view_record of the top 10 + view_end.
 *
 * usage: store_query codes.tsv store_dir [N [block_records [batch
 *        [candidates]]]] (candidates 0: the exact scan; default: maso's)
 * (N default 100000, block_records default: the store's, batch 1000).
 * Prints build time, bytes per image, median latency of 50 queries with 1
 * and 2 search threads, each query as one probe and as 8 probes (what
 * maso-query's orientation invariance asks: the query's mirrors and
 * quarter turns, maso_search_query_probes), side by side.  store_dir must
 * not exist.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "maso.h"
#include "maso_search.h"
#include "maso_store.h"
#include "layout_testutil.h"
#include "store_testutil.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Set unit u of layer L in sketch @p sk to a random value (bit, or a
 * winner index < 9). */
static void set_unit(uint8_t *sk, const maso_code_layer *L, size_t u,
                     uint64_t *rng)
{
    uint64_t r = rng_next(rng);
    if (L->bits_per_unit == 1) {
        uint8_t m = (uint8_t)(1u << (u % 8));
        uint8_t *b = sk + L->offset + u / 8;
        *b = (uint8_t)((r & 3) == 0 ? (*b | m) : (*b & ~m)); /* ~25% on */
    } else {
        uint8_t *b = sk + L->offset + u / 2;
        unsigned v = (unsigned)(r % 9), sh = (unsigned)(u % 2) * 4;
        *b = (uint8_t)((*b & ~(0xFu << sh)) | v << sh);
    }
}

/* A prototype (rate 1) or a record: proto with each unit redrawn with
 * probability ~rate (units picked at random, so padding stays zero). */
static void make_sketch(uint8_t *sk, const uint8_t *proto, double rate,
                        const maso_code_layer *sl, size_t n_sl, size_t bytes,
                        uint64_t *rng)
{
    if (proto)
        memcpy(sk, proto, bytes);
    else
        memset(sk, 0, bytes);
    for (size_t l = 0; l < n_sl; l++) {
        size_t draws = proto ? (size_t)(rate * (double)sl[l].units)
                             : sl[l].units;
        for (size_t i = 0; i < draws; i++)
            set_unit(sk, &sl[l], proto ? rng_next(rng) % sl[l].units : i,
                     rng);
    }
}

static int dbl_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

#define N_PROTOS 2000
#define N_QUERIES 50

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s codes.tsv store_dir [N [block_records "
                "[batch [candidates]]]]\n", argv[0]);
        return 2;
    }
    size_t n_images = argc > 3 ? (size_t)atol(argv[3]) : 100000;
    size_t block = argc > 4 ? (size_t)atol(argv[4]) : 0;
    size_t batch_ops = argc > 5 ? (size_t)atol(argv[5]) : 1000;
    long candidates = argc > 6 ? atol(argv[6]) : -1;
    golden_layout layout;
    size_t n = golden_layout_read(argv[1], &layout);
    if (!n) {
        fprintf(stderr, "%s: no layers\n", argv[1]);
        return 1;
    }
    maso_store_identity id;
    store_test_identity(&id, layout.layers, n);
    maso_store *s;
    maso_store_create(&s);
    maso_store_set_map_size(s, 1ull << 32);
    if ((block && maso_store_set_block_records(s, block)) ||
        maso_store_open(s, argv[2], MASO_STORE_CREATE | MASO_STORE_NOSYNC,
                        &id)) {
        fprintf(stderr, "%s\n", maso_store_errmsg(s));
        return 1;
    }
    const maso_sketch *sketch = maso_store_sketch(s);
    const maso_code_layer *sl;
    size_t n_sl = maso_sketch_layers(sketch, &sl);
    size_t sk = maso_sketch_bytes(sketch);
    uint64_t rng = 0x5eed;
    uint8_t *protos = malloc(N_PROTOS * sk), *rec = malloc(sk);
    for (size_t p = 0; p < N_PROTOS; p++)
        make_sketch(protos + p * sk, NULL, 1, sl, n_sl, sk, &rng);

    /* Build. */
    double t0 = now();
    maso_store_batch *b = NULL;
    for (size_t i = 0; i < n_images; i++) {
        if (!b && maso_store_batch_begin(s, &b))
            return 1;
        double u = (double)(rng_next(&rng) % 1000000) / 1e6;
        size_t p = (size_t)(N_PROTOS * u * u * u); /* skewed popularity */
        double rate = 0.02 + 0.2 * (double)(rng_next(&rng) % 16) / 15;
        make_sketch(rec, protos + p * sk, rate, sl, n_sl, sk, &rng);
        char path[128];
        snprintf(path, sizeof path, "/srv/photos/%04zu/%02zu/IMG_%07zu.jpg",
                 i / 10000, i % 97, i);
        maso_store_record r = {0, path, 2500000, 1700000000000000000ll,
                               MASO_RECORD_OK, NULL, rec, NULL};
        if (maso_store_batch_put(b, &r))
            return 1;
        if (maso_store_batch_count(b) >= batch_ops) {
            if (maso_store_batch_commit(b)) {
                fprintf(stderr, "%s\n", maso_store_errmsg(s));
                return 1;
            }
            b = NULL;
        }
    }
    if (b && maso_store_batch_commit(b)) {
        fprintf(stderr, "%s\n", maso_store_errmsg(s));
        return 1;
    }
    double build = now() - t0;
    maso_store_stats st;
    maso_store_get_stats(s, &st);
    printf("images %zu sketch %zu bytes, batches of %zu: build %.1f s "
           "(%.0f images/s)\n", n_images, sk, batch_ops, build,
           (double)n_images / build);
    printf("bytes per image %.0f (pages: records %llu paths %llu blocks "
           "%llu), file %.1f MB, map grows %llu\n", st.bytes_per_record,
           (unsigned long long)st.pages_records,
           (unsigned long long)st.pages_paths,
           (unsigned long long)st.pages_sketches,
           (double)st.file_bytes / 1e6, (unsigned long long)st.map_grows);

    /* Queries. */
    maso_search *engine;
    if (maso_store_search_create(s, &engine)) {
        fprintf(stderr, "%s\n", maso_store_errmsg(s));
        return 1;
    }
    maso_search_params params;
    maso_search_params_init(&params);
    params.candidates = candidates >= 0 ? (size_t)candidates
                                        : MASO_SEARCH_CANDIDATES_DEFAULT;
    uint8_t *queries = malloc(N_QUERIES * sk);
    for (size_t q = 0; q < N_QUERIES; q++)
        make_sketch(queries + q * sk, protos + (rng_next(&rng) % 200) * sk,
                    0.05, sl, n_sl, sk, &rng);
    for (int run = 0; run < 4; run++) {
        int threads = 1 + run / 2;
        size_t n_probes = run % 2 ? 8 : 1;
        maso_search_set_threads(engine, threads);
        double lat[N_QUERIES], vb[N_QUERIES];
        size_t segs = 0;
        uint64_t sum = 0;
        for (size_t q = 0; q < N_QUERIES; q++) {
            double a = now();
            maso_store_view *v;
            if (maso_store_view_begin(s, 0, &v)) {
                fprintf(stderr, "%s\n", maso_store_errmsg(s));
                return 1;
            }
            const maso_search_segment *g;
            segs = maso_store_view_segments(v, &g);
            double mid = now();
            maso_search_hit hits[10];
            size_t nh = 0;
            const uint8_t *probes[8];
            for (size_t p = 0; p < n_probes; p++)
                probes[p] = queries + (q + p) % N_QUERIES * sk;
            if (maso_search_query_probes(engine, g, segs, probes, n_probes,
                                         &params, hits, &nh)) {
                fprintf(stderr, "%s\n", maso_search_errmsg(engine));
                return 1;
            }
            for (size_t i = 0; i < nh; i++) {
                maso_store_record r;
                if (maso_store_view_record(v, hits[i].id, &r) == 0)
                    sum += (uint64_t)strlen(r.path);
            }
            maso_store_view_end(v);
            lat[q] = (now() - a) * 1e3;
            vb[q] = (mid - a) * 1e3;
        }
        qsort(lat, N_QUERIES, sizeof *lat, dbl_cmp);
        qsort(vb, N_QUERIES, sizeof *vb, dbl_cmp);
        printf("threads %d, %zu probe%s: query median %.2f ms (view_begin "
               "%.2f ms, %zu segments), min %.2f max %.2f (checksum %llu)\n",
               threads, n_probes, n_probes > 1 ? "s" : "",
               lat[N_QUERIES / 2], vb[N_QUERIES / 2], segs, lat[0],
               lat[N_QUERIES - 1], (unsigned long long)sum);
    }
    maso_search_destroy(engine);
    free(queries);
    free(protos);
    free(rec);
    maso_store_destroy(s);
    return 0;
}
