/*
 * store_size.c -- bytes stored per image for a sketch size: fills a fresh
 * store with N sketch-only records laid out like a network's codes.tsv and
 * prints LMDB's page counts and the per-image total, plus the time of one
 * full in-place scan.
 *
 * usage: store_size codes.tsv store_dir [N [relu_m [maxpool_m]]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "maso.h"
#include "maso_store.h"
#include "layout_testutil.h"
#include "store_testutil.h"

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s codes.tsv store_dir [N [relu_m [maxpool_m]]]\n",
                argv[0]);
        return 2;
    }
    int n_images = argc > 3 ? atoi(argv[3]) : 10000;
    golden_layout layout;
    size_t n = golden_layout_read(argv[1], &layout);
    if (!n) {
        fprintf(stderr, "%s: no layers\n", argv[1]);
        return 1;
    }
    maso_store_identity id;
    store_test_identity(&id, layout.layers, n);
    if (argc > 4)
        id.sketch.relu_samples = (size_t)atol(argv[4]);
    if (argc > 5)
        id.sketch.maxpool_samples = (size_t)atol(argv[5]);
    maso_store *s;
    maso_store_create(&s);
    if (maso_store_open(s, argv[2], MASO_STORE_CREATE | MASO_STORE_NOSYNC,
                        &id)) {
        fprintf(stderr, "%s\n", maso_store_errmsg(s));
        return 1;
    }
    size_t sk = maso_sketch_bytes(maso_store_sketch(s));
    uint8_t *sketch = calloc(1, sk);
    maso_store_batch *b = NULL;
    for (int i = 0; i < n_images; i++) {
        if (!b && maso_store_batch_begin(s, &b))
            return 1;
        char p[128];
        snprintf(p, sizeof p, "/srv/photos/2024/%02d/holiday/IMG_%06d.jpg",
                 i % 12 + 1, i);
        sketch[i % sk] ^= 1;
        maso_store_record r = {0, p, 2500000, 1700000000000000000ll,
                               MASO_RECORD_OK, NULL, sketch, NULL};
        if (maso_store_batch_put(b, &r))
            return 1;
        if (maso_store_batch_due(b, 1000, 5.0)) {
            if (maso_store_batch_commit(b)) {
                fprintf(stderr, "%s\n", maso_store_errmsg(s));
                return 1;
            }
            b = NULL;
        }
    }
    if (b && maso_store_batch_commit(b))
        return 1;
    maso_store_stats st;
    maso_store_get_stats(s, &st);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    maso_store_scan *sc;
    maso_store_scan_begin(s, &sc);
    uint64_t sid, sum = 0, count = 0;
    const uint8_t *p;
    while (maso_store_scan_next(sc, &sid, &p) == 0) {
        sum += p[0] + p[sk - 1];
        count++;
    }
    uint64_t copies = maso_store_scan_copies(sc);
    maso_store_scan_end(sc);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
    printf("layers %zu relu_m %zu maxpool_m %zu sketch %zu bytes\n", n,
           id.sketch.relu_samples, id.sketch.maxpool_samples, sk);
    printf("images %llu pages: records %llu paths %llu sketches %llu meta %llu"
           " (page %llu)\n", (unsigned long long)st.records,
           (unsigned long long)st.pages_records,
           (unsigned long long)st.pages_paths,
           (unsigned long long)st.pages_sketches,
           (unsigned long long)st.pages_meta,
           (unsigned long long)st.page_size);
    printf("bytes per image %.0f; scan %llu sketches in %.3f s (%llu copies,"
           " checksum %llu)\n", st.bytes_per_record,
           (unsigned long long)count, secs, (unsigned long long)copies,
           (unsigned long long)sum);
    free(sketch);
    maso_store_destroy(s);
    return 0;
}
