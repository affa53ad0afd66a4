/* kodak_codes.c -- see kodak_codes.h. */
#include "kodak_codes.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "stats.h"

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

/* Code of one image into slot @p k. */
static int code_image(maso_forward *fw, const maso_image *img,
                      kodak_codes *out, size_t k, int source,
                      const char *what, char *err, size_t err_size)
{
    int rc = maso_forward_run_image(fw, img,
                                    out->codes + k * out->code_bytes, NULL);
    if (rc) {
        snprintf(err, err_size, "%s: %s", what, maso_forward_errmsg(fw));
        return -1;
    }
    out->source[k] = source;
    return 0;
}

int kodak_codes_build(const maso_model *model, const char *dir,
                      const kodak_distortions *dist, kodak_codes *out,
                      char *err, size_t err_size)
{
    size_t n_files = 0, per_photo, n_dist_photos, k;
    char **names = kodak_list_images(dir, &n_files);
    maso_decoder *dec = NULL;
    maso_forward *fw = NULL;
    maso_decode_params params;
    int c, h, w, rc = -1;

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
    maso_model_input_size(model, &c, &h, &w);
    maso_decode_params_init(&params);
    params.min_width = w;
    params.min_height = h;
    if (!out->codes || !out->source || maso_decoder_create(&dec) ||
        maso_forward_create(model, &fw)) {
        snprintf(err, err_size, "out of memory");
        goto done;
    }
    k = n_files; /* distorted copies go after the originals */
    for (size_t i = 0; i < n_files; i++) {
        char path[4096];
        maso_image img;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (maso_decoder_load_file(dec, path, &params, &img)) {
            snprintf(err, err_size, "%s", maso_decoder_errmsg(dec));
            goto done;
        }
        int bad = code_image(fw, &img, out, i, (int)i, path, err, err_size);
        for (size_t f = 0; !bad && dist->every && i % dist->every == 0 &&
                           f < dist->n_families; f++)
            for (size_t l = 0; !bad && l < dist->n_levels; l++) {
                maso_image copy;
                int st = maso_image_distort(&img, dist->families[f],
                                            dist->levels[l], 1, &copy);
                if (st) {
                    snprintf(err, err_size, "%s: distort %s %d: %s", path,
                             maso_distortion_name(dist->families[f]),
                             dist->levels[l], maso_strerror(st));
                    bad = 1;
                    break;
                }
                bad = code_image(fw, &copy, out, k++, (int)i, path, err,
                                 err_size);
                maso_image_free(&copy);
            }
        maso_image_free(&img);
        if (bad)
            goto done;
    }
    rc = 0;
done:
    maso_forward_destroy(fw);
    maso_decoder_destroy(dec);
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
    rc = maso_stats_spearman(full, d, pairs, rho_all);
    if (rc == 0)
        rc = maso_stats_spearman(full, d, kodak_pairs(codes->n_orig),
                                 rho_orig);
    *sketch_bytes = bytes;
done:
    free(d);
    free(sketches);
    maso_sketch_destroy(sk);
    return rc;
}
