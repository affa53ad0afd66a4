/* kodak_codes.c -- see kodak_codes.h. */
#include "kodak_codes.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "maso_eval.h"

#define KODAK_THREADS 2

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_image_name(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot && (strcasecmp(dot, ".png") == 0 ||
                   strcasecmp(dot, ".jpg") == 0 ||
                   strcasecmp(dot, ".jpeg") == 0);
}

char **kodak_list_images(const char *dir, size_t *count)
{
    DIR *d = opendir(dir);
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;

    *count = 0;
    if (!d)
        return NULL;
    while ((e = readdir(d)) != NULL) {
        if (!is_image_name(e->d_name))
            continue;
        if (n == cap) {
            size_t ncap = cap ? 2 * cap : 32;
            char **grown = realloc(names, ncap * sizeof *names);
            if (!grown)
                break;
            names = grown;
            cap = ncap;
        }
        if ((names[n] = strdup(e->d_name)) == NULL)
            break;
        n++;
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, cmp_str);
    *count = n;
    return names;
}

void kodak_free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* What one of the KODAK_THREADS builders shares and owns. */
typedef struct builder {
    const maso_model *model;
    const char *dir;
    char **names;
    const kodak_distortions *dist;
    kodak_codes *out;
    size_t first, step; /* photos first, first + step, ... */
    int rc;
    char err[4200];
} builder;

/* Code of one image into slot @p k. */
static int code_image(maso_forward *fw, const maso_image *img, builder *b,
                      size_t k, size_t source, const char *what)
{
    kodak_codes *out = b->out;
    if (maso_forward_run_image(fw, img, out->codes + k * out->code_bytes,
                               NULL)) {
        snprintf(b->err, sizeof b->err, "%s: %s", what,
                 maso_forward_errmsg(fw));
        return b->rc = -1;
    }
    out->source[k] = (int)source;
    return 0;
}

/* The photo @p i (already decoded) and its distorted copies, which go to
 * fixed slots after the originals so the set does not depend on which
 * thread coded what. */
static int code_photo(builder *b, maso_forward *fw, size_t i,
                      const maso_image *img, const char *path)
{
    const kodak_distortions *d = b->dist;
    size_t per_photo = d->n_families * d->n_levels;

    if (code_image(fw, img, b, i, i, path))
        return -1;
    if (!d->every || i % d->every)
        return 0;
    for (size_t f = 0; f < d->n_families; f++)
        for (size_t l = 0; l < d->n_levels; l++) {
            size_t k = b->out->n_orig + i / d->every * per_photo +
                       f * d->n_levels + l;
            maso_image copy;
            int st = maso_eval_distort(img, d->families[f], d->levels[l], 1,
                                       &copy);
            if (st) {
                snprintf(b->err, sizeof b->err, "%s: distort %s %d: %s", path,
                         maso_eval_distortion_name(d->families[f]),
                         d->levels[l], maso_strerror(st));
                return b->rc = -1;
            }
            st = code_image(fw, &copy, b, k, i, path);
            maso_image_free(&copy);
            if (st)
                return -1;
        }
    return 0;
}

static void *build_some(void *arg)
{
    builder *b = arg;
    maso_decoder *dec = NULL;
    maso_forward *fw = NULL;
    maso_decode_params params;
    int c, h, w;

    maso_model_input_size(b->model, &c, &h, &w);
    maso_decode_params_init(&params);
    params.min_width = w;
    params.min_height = h;
    if (maso_decoder_create(&dec) || maso_forward_create(b->model, &fw)) {
        snprintf(b->err, sizeof b->err, "out of memory");
        b->rc = -1;
    }
    for (size_t i = b->first; b->rc == 0 && i < b->out->n_orig;
         i += b->step) {
        char path[4096];
        maso_image img;
        snprintf(path, sizeof path, "%s/%s", b->dir, b->names[i]);
        if (maso_decoder_load_file(dec, path, &params, &img)) {
            snprintf(b->err, sizeof b->err, "%s", maso_decoder_errmsg(dec));
            b->rc = -1;
            break;
        }
        code_photo(b, fw, i, &img, path);
        maso_image_free(&img);
    }
    maso_forward_destroy(fw);
    maso_decoder_destroy(dec);
    return NULL;
}

int kodak_codes_build(const maso_model *model, const char *dir,
                      const kodak_distortions *dist, kodak_codes *out,
                      char *err, size_t err_size)
{
    size_t n_files = 0, per_photo, n_dist_photos;
    char **names = kodak_list_images(dir, &n_files);
    builder b[KODAK_THREADS];
    pthread_t th[KODAK_THREADS];
    int started[KODAK_THREADS] = {0}, rc = 0;

    memset(out, 0, sizeof *out);
    if (n_files == 0) {
        snprintf(err, err_size, "%s: no PNG or JPEG images", dir);
        free(names);
        return -1;
    }
    per_photo = dist->every ? dist->n_families * dist->n_levels : 0;
    n_dist_photos = dist->every ? (n_files + dist->every - 1) / dist->every
                                : 0;
    out->n_orig = n_files;
    out->n = n_files + n_dist_photos * per_photo;
    out->code_bytes = maso_model_code_bytes(model);
    out->codes = malloc(out->n * out->code_bytes);
    out->source = malloc(out->n * sizeof *out->source);
    if (!out->codes || !out->source) {
        snprintf(err, err_size, "out of memory");
        rc = -1;
    }
    /* The forward pass dominates; one context per core halves the wall
     * time of the sanitizer build's test. */
    for (size_t t = 0; rc == 0 && t < KODAK_THREADS; t++) {
        b[t] = (builder){model, dir, names, dist, out, t, KODAK_THREADS, 0,
                         ""};
        started[t] = pthread_create(&th[t], NULL, build_some, &b[t]) == 0;
        if (!started[t])
            build_some(&b[t]); /* no thread: do its share here */
    }
    for (size_t t = 0; t < KODAK_THREADS; t++) {
        if (started[t])
            pthread_join(th[t], NULL);
        if (rc == 0 && b[t].rc) {
            snprintf(err, err_size, "%s", b[t].err);
            rc = -1;
        }
    }
    kodak_free_names(names, n_files);
    if (rc)
        kodak_codes_free(out);
    return rc;
}

void kodak_codes_free(kodak_codes *codes)
{
    free(codes->codes);
    free(codes->source);
    memset(codes, 0, sizeof *codes);
}

size_t kodak_pairs(size_t n)
{
    return n * (n - 1) / 2;
}

/* Distances of every pair of @p n items of @p bytes each at @p base, under
 * the layout @p layers, in (j, i < j) order. */
static void pair_distances(const maso_code_layer *layers, size_t n_layers,
                           const uint8_t *base, size_t bytes, size_t n,
                           double *d)
{
    size_t p = 0;
    for (size_t j = 1; j < n; j++)
        for (size_t i = 0; i < j; i++)
            d[p++] = maso_code_distance(layers, n_layers, NULL,
                                        base + i * bytes, base + j * bytes,
                                        NULL);
}

void kodak_full_distances(const maso_model *model, const kodak_codes *codes,
                          double *d)
{
    const maso_code_layer *layers;
    size_t n_layers = maso_model_code_layers(model, &layers);
    pair_distances(layers, n_layers, codes->codes, codes->code_bytes,
                   codes->n, d);
}

int kodak_sketch_fidelity(const maso_model *model, const kodak_codes *codes,
                          const double *full,
                          const maso_sketch_params *params, double *rho_all,
                          double *rho_orig, size_t *sketch_bytes)
{
    const maso_code_layer *layers, *sl;
    size_t n_layers = maso_model_code_layers(model, &layers), bytes;
    size_t pairs = kodak_pairs(codes->n);
    maso_sketch *sk = NULL;
    uint8_t *sketches = NULL;
    double *d = NULL;
    int rc = maso_sketch_create(layers, n_layers, params, &sk);

    if (rc)
        return rc;
    bytes = maso_sketch_bytes(sk);
    n_layers = maso_sketch_layers(sk, &sl);
    sketches = malloc(codes->n * bytes);
    d = malloc(pairs * sizeof *d);
    if (!sketches || !d) {
        rc = ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < codes->n; i++)
        maso_sketch_apply(sk, codes->codes + i * codes->code_bytes,
                          sketches + i * bytes);
    pair_distances(sl, n_layers, sketches, bytes, codes->n, d);
    rc = maso_eval_stats_spearman(full, d, pairs, rho_all);
    if (rc == 0)
        rc = maso_eval_stats_spearman(full, d, kodak_pairs(codes->n_orig),
                                      rho_orig);
    *sketch_bytes = bytes;
done:
    free(d);
    free(sketches);
    maso_sketch_destroy(sk);
    return rc;
}
