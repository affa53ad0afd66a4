/*
 * sketch_fidelity.c -- how well sketch distances keep the order of full
 * spline-code distances, for several sample counts, with the bytes each
 * sketch costs: the size / fidelity trade-off table of README.
 *
 * The pairs: the photos of a folder (default the 24 Kodak images) and
 * copies of every 4th photo blurred, JPEG-compressed, noised and cropped
 * at levels 1, 3 and 5 (maso_eval_distort), so that distances span near
 * duplicates (~0.05) to unrelated photos (~0.45).  Spearman's rho is
 * reported over all pairs and over the original-original pairs alone
 * (a narrow band of distances, which is the harder case).
 *
 * usage: sketch_fidelity [image_dir [every]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "kodak_codes.h"
#include "maso.h"

#define MODEL MASO_SHARED_DIR "/models/squeezenet_v1.1/squeezenet_v1.1"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

enum { SEEDS = 5 };

static double min_of(const double *v, int n)
{
    double m = v[0];
    for (int i = 1; i < n; i++)
        m = v[i] < m ? v[i] : m;
    return m;
}

static double max_of(const double *v, int n)
{
    double m = v[0];
    for (int i = 1; i < n; i++)
        m = v[i] > m ? v[i] : m;
    return m;
}

int main(int argc, char **argv)
{
    static const maso_eval_distortion families[] = {
        MASO_EVAL_DISTORT_BLUR, MASO_EVAL_DISTORT_JPEG, MASO_EVAL_DISTORT_NOISE,
        MASO_EVAL_DISTORT_CROP};
    static const int levels[] = {1, 3, 5};
    static const size_t relu_m[] = {256, 512, 1024, 1536, 2048};
    static const size_t pool_m[] = {128, 384, 640, 1024, 1536};
    const char *dir = argc > 1 ? argv[1] : MASO_SHARED_DIR "/images/kodak";
    kodak_distortions dist = {families, 4, levels, 3,
                              argc > 2 ? (size_t)atoi(argv[2]) : 4};
    maso_model *model = NULL;
    kodak_codes codes;
    char err[4200];
    double t0 = now();

    if (maso_model_create(&model) ||
        maso_model_load(model, MODEL ".param", MODEL ".bin")) {
        fprintf(stderr, "sketch_fidelity: %s\n",
                model ? maso_model_errmsg(model) : "out of memory");
        return 1;
    }
    if (kodak_codes_build(model, dir, &dist, &codes, err, sizeof err)) {
        fprintf(stderr, "sketch_fidelity: %s\n", err);
        return 1;
    }
    size_t pairs = kodak_pairs(codes.n);
    double *full = malloc(pairs * sizeof *full);
    if (!full)
        return 1;
    kodak_full_distances(model, &codes, full);
    double lo = min_of(full, (int)pairs), hi = max_of(full, (int)pairs);
    printf("%zu images (%zu photos + %zu distorted copies), %zu pairs, "
           "full distances %.3f..%.3f; full code %zu bytes (%.1f s)\n\n",
           codes.n, codes.n_orig, codes.n - codes.n_orig, pairs, lo, hi,
           codes.code_bytes, now() - t0);
    printf("rho: seed 0 (the store's), and [min, max] over seeds 0..%d\n\n"
           "| relu m | maxpool m | bytes per sketch | rho, all pairs | "
           "rho, photo pairs only |\n| --- | --- | --- | --- | --- |\n",
           SEEDS - 1);
    for (size_t r = 0; r < sizeof relu_m / sizeof *relu_m; r++)
        for (size_t q = 0; q < sizeof pool_m / sizeof *pool_m; q++) {
            double all[SEEDS], orig[SEEDS];
            size_t bytes = 0;
            for (int s = 0; s < SEEDS; s++) {
                maso_sketch_params sp;
                maso_sketch_params_init(&sp);
                sp.seed = (uint64_t)s;
                sp.relu_samples = relu_m[r];
                sp.maxpool_samples = pool_m[q];
                int rc = kodak_sketch_fidelity(model, &codes, full, &sp,
                                               &all[s], &orig[s], &bytes);
                if (rc) {
                    fprintf(stderr, "sketch_fidelity: %s\n",
                            maso_strerror(rc));
                    return 1;
                }
            }
            printf("| %zu | %zu | %zu | %.4f [%.4f, %.4f] | "
                   "%.4f [%.4f, %.4f] |%s\n", relu_m[r], pool_m[q], bytes,
                   all[0], min_of(all, SEEDS), max_of(all, SEEDS), orig[0],
                   min_of(orig, SEEDS), max_of(orig, SEEDS),
                   relu_m[r] == MASO_SKETCH_RELU_SAMPLES &&
                   pool_m[q] == MASO_SKETCH_MAXPOOL_SAMPLES
                       ? " (default)" : "");
        }
    free(full);
    kodak_codes_free(&codes);
    maso_model_destroy(model);
    return 0;
}
