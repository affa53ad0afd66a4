/*
 * int8_agreement.c -- would an int8 network keep the pretrained network's
 * codes?  Measured before any int8 kernel is written, by simulating the
 * int8 network in fp32 ("fake quantization"): every convolution's weights
 * rounded per output channel to 127 levels each side (symmetric int8, the
 * scale max|w|/127), and its input activations rounded per tensor to 255
 * levels (uint8 after a ReLU, scale = calibrated max / 255), which is what
 * u8 x s8 dot products (AVX-512 VNNI vpdpbusd, AVX-VNNI) would compute,
 * up to the int32 accumulation being exact.  The network input is kept
 * exact: the pixels are uint8 already, and conv1 has no padding, so the
 * mean subtraction folds into its bias.
 *
 * Calibration (the activation maxima) on one folder (default: the
 * classify photos), figures on another (default: Kodak, with copies
 * distorted by JPEG q, resampling, crop, brightness and blur at level 3):
 *   - per layer, the fraction of code units (ReLU bits, pool winners)
 *     equal to the fp32 code, mean and worst image;
 *   - Spearman's rho of the spline-code distances of all pairs, fp32 vs
 *     int8 (and over the original-original pairs alone);
 *   - copy detection recall@1 (a copy's nearest original is its own),
 *     fp32 and int8.
 *
 * The same figures for the library's int8 precision (MASO_PRECISION_INT8:
 * the real kernels, activation scales from each image's own maximum
 * instead of a calibration), side by side with the simulation.
 *
 * usage: int8_agreement [CALIBRATION_DIR [EVAL_DIR]]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "maso_eval.h"
#include "kodak_codes.h"
#include "net/network_internal.h"
#include "maso.h"

#define MODEL MASO_SHARED_DIR "/models/squeezenet_v1.1/squeezenet_v1.1"
#define CALIB_DIR MASO_SHARED_DIR "/images/classify"
#define EVAL_DIR MASO_SHARED_DIR "/images/kodak"
#define LEVEL 3

static const maso_eval_distortion families[] = {
    MASO_EVAL_DISTORT_JPEG, MASO_EVAL_DISTORT_RESAMPLE, MASO_EVAL_DISTORT_CROP,
    MASO_EVAL_DISTORT_BRIGHTNESS, MASO_EVAL_DISTORT_BLUR};
#define N_FAMILIES (sizeof families / sizeof families[0])

static size_t blob_floats(const maso_model *m, int b)
{
    core_shape s = m->blobs[b].shape;
    return (size_t)s.c * s.h * s.w;
}

static int is_conv(const core_layer *l)
{
    return l->op == CORE_OP_CONV || l->op == CORE_OP_INNERPRODUCT;
}

/* Round every convolution's weights per output channel to int8 levels. */
static void quantize_weights(maso_model *m)
{
    for (int i = 0; i < m->n_layers; i++) {
        core_conv_desc *c = &m->layers[i].conv;
        if (!is_conv(&m->layers[i]) || !c->weight)
            continue;
        size_t k = (size_t)c->weight_count / (size_t)c->num_output;
        for (int o = 0; o < c->num_output; o++) {
            float *w = c->weight + (size_t)o * k, top = 0.0f;
            for (size_t j = 0; j < k; j++)
                top = fabsf(w[j]) > top ? fabsf(w[j]) : top;
            float s = top / 127.0f;
            for (size_t j = 0; s > 0 && j < k; j++)
                w[j] = rintf(w[j] / s) * s;
        }
    }
}

/* What happens to each convolution's input: nothing, observed (maxima: the
 * largest value seen per layer) or rounded to 255 levels of [0, scale_max[layer]]
 * into scratch.  The network input is read as is. */
typedef struct quantizer {
    int input_blob;
    float *maxima;
    const float *scale_max;
    float *scratch;
} quantizer;

static const float *conv_input(void *ctx, int layer, int blob,
                               const float *src, size_t n)
{
    quantizer *q = ctx;
    if (blob == q->input_blob || (!q->maxima && !q->scale_max))
        return src;
    if (q->maxima) {
        for (size_t j = 0; j < n; j++)
            q->maxima[layer] = src[j] > q->maxima[layer] ? src[j]
                                                         : q->maxima[layer];
        return src;
    }
    float s = q->scale_max[layer] / 255.0f;
    for (size_t j = 0; j < n; j++) {
        float v = rintf(src[j] / s);
        q->scratch[j] = (v < 0 ? 0 : v > 255 ? 255 : v) * s;
    }
    return q->scratch;
}

static void run(maso_forward *f, const float *input, uint8_t *code,
                float *maxima, const float *scale_max, float *scratch)
{
    const maso_model *m = f->model;
    quantizer q = {m->input_blob, maxima, scale_max, scratch};
    memcpy(f->blob[m->input_blob], input,
           blob_floats(m, m->input_blob) * sizeof(float));
    core_forward_run_hooked(f, code, NULL, conv_input, &q);
}

static maso_model *load(void)
{
    maso_model *m = NULL;
    if (maso_model_create(&m) ||
        maso_model_set_kernels(m, MASO_MODEL_KERNELS_PORTABLE) ||
        maso_model_load(m, MODEL ".param", MODEL ".bin")) {
        fprintf(stderr, "int8_agreement: %s\n", maso_model_errmsg(m));
        exit(1);
    }
    return m;
}

/* Decode @p dir's photos at >= the input size. */
static maso_image *decode_all(const char *dir, size_t *count)
{
    char **names = kodak_list_images(dir, count);
    maso_image *img = calloc(*count ? *count : 1, sizeof *img);
    maso_decoder *d = NULL;
    maso_decode_params p;
    maso_decode_params_init(&p);
    p.min_width = p.min_height = 227;
    if (!names || !img || maso_decoder_create(&d)) {
        fprintf(stderr, "int8_agreement: no photos in %s\n", dir);
        exit(1);
    }
    for (size_t i = 0; i < *count; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (maso_decoder_load_file(d, path, &p, &img[i])) {
            fprintf(stderr, "int8_agreement: %s\n", maso_decoder_errmsg(d));
            exit(1);
        }
    }
    maso_decoder_destroy(d);
    kodak_free_names(names, *count);
    return img;
}

/* Agreement of codes @p c8 with @p c32 (n images, the first n_orig the
 * originals, then N_FAMILIES copies of each): per layer, Spearman's rho
 * of the pair distances, copy detection. */
static void report(const char *name, const maso_model *m, const uint8_t *c32,
                   const uint8_t *c8, size_t n, size_t n_orig)
{
    const maso_code_layer *layers;
    size_t nl = maso_model_code_layers(m, &layers);
    const size_t cb = maso_model_code_bytes(m);
    printf("### %s\n\n", name);
    printf("| layer | units equal to fp32, mean | worst image |\n| --- | ---: | ---: |\n");
    double all = 0;
    for (size_t l = 0; l < nl; l++) {
        double sum = 0, worst = 1;
        for (size_t i = 0; i < n; i++) {
            double a = 1 - maso_layer_distance(&layers[l], c32 + i * cb,
                                               c8 + i * cb);
            sum += a;
            worst = a < worst ? a : worst;
        }
        all += sum / n;
        printf("| %s | %.4f | %.4f |\n", layers[l].name, sum / n, worst);
    }
    printf("| mean of the layers | %.4f | |\n\n", all / nl);

    size_t pairs = n * (n - 1) / 2, p = 0, p_orig = n_orig * (n_orig - 1) / 2;
    double *d32 = malloc(pairs * sizeof *d32), *d8 = malloc(pairs * sizeof *d8);
    double *o32 = malloc(p_orig * sizeof *o32), *o8 = malloc(p_orig * sizeof *o8);
    if (!d32 || !d8 || !o32 || !o8)
        exit(1);
    size_t q = 0;
    for (size_t j = 1; j < n; j++)
        for (size_t i = 0; i < j; i++, p++) {
            d32[p] = maso_code_distance(layers, nl, NULL, c32 + i * cb,
                                        c32 + j * cb, NULL);
            d8[p] = maso_code_distance(layers, nl, NULL, c8 + i * cb,
                                       c8 + j * cb, NULL);
            if (j < n_orig) {
                o32[q] = d32[p];
                o8[q++] = d8[p];
            }
        }
    double rho = 0, rho_orig = 0;
    maso_eval_stats_spearman(d32, d8, pairs, &rho);
    maso_eval_stats_spearman(o32, o8, p_orig, &rho_orig);
    printf("Spearman rho of pair distances, fp32 vs int8: %.4f (%zu pairs); "
           "originals only: %.4f (%zu pairs)\n", rho, pairs, rho_orig, p_orig);

    for (int prec = 0; prec < 2; prec++) {
        const uint8_t *c = prec ? c8 : c32;
        size_t hits = 0;
        for (size_t i = n_orig; i < n; i++) {
            size_t photo = (i - n_orig) / N_FAMILIES, best = 0;
            double bd = 2;
            for (size_t o = 0; o < n_orig; o++) {
                double d = maso_code_distance(layers, nl, NULL, c + i * cb,
                                              c + o * cb, NULL);
                if (d < bd) {
                    bd = d;
                    best = o;
                }
            }
            hits += best == photo;
        }
        printf("copy detection recall@1, %s: %.3f (%zu of %zu copies)\n",
               prec ? "int8" : "fp32", (double)hits / (n - n_orig), hits,
               n - n_orig);
    }
    printf("\n");
    free(d32);
    free(d8);
    free(o32);
    free(o8);
}

int main(int argc, char **argv)
{
    const char *calib_dir = argc > 1 ? argv[1] : CALIB_DIR;
    const char *eval_dir = argc > 2 ? argv[2] : EVAL_DIR;
    maso_model *fp32 = load(), *int8 = load(), *real = NULL;
    quantize_weights(int8);
    maso_forward *f32 = NULL, *f8 = NULL, *freal = NULL;
    if (maso_model_create(&real) ||
        maso_model_set_precision(real, MASO_PRECISION_INT8) ||
        maso_model_load(real, MODEL ".param", MODEL ".bin")) {
        fprintf(stderr, "int8_agreement: %s\n", maso_model_errmsg(real));
        return 1;
    }
    if (maso_forward_create(fp32, &f32) || maso_forward_create(int8, &f8) ||
        maso_forward_create(real, &freal))
        return 1;
    const size_t tensor = blob_floats(fp32, fp32->input_blob);
    size_t scratch_n = 0;
    for (int b = 0; b < fp32->n_blobs; b++)
        scratch_n = blob_floats(fp32, b) > scratch_n ? blob_floats(fp32, b)
                                                     : scratch_n;
    float *in = malloc(tensor * sizeof *in);
    float *scratch = malloc(scratch_n * sizeof *scratch);
    float *maxima = calloc((size_t)fp32->n_layers, sizeof *maxima);
    const size_t cb = fp32->code_bytes;
    uint8_t *code = malloc(cb), *lib = malloc(cb);
    if (!in || !scratch || !maxima || !code || !lib)
        return 1;

    /* calibration */
    size_t n_cal;
    maso_image *cal = decode_all(calib_dir, &n_cal);
    for (size_t i = 0; i < n_cal; i++) {
        maso_model_preprocess_image(fp32, &cal[i], in);
        run(f32, in, code, maxima, NULL, scratch);
        maso_image_free(&cal[i]);
    }
    free(cal);

    /* the evaluation set: originals, then per original one copy per family */
    size_t n_orig;
    maso_image *orig = decode_all(eval_dir, &n_orig);
    const size_t n = n_orig * (1 + N_FAMILIES);
    uint8_t *c32 = malloc(n * cb), *c8 = malloc(n * cb);
    uint8_t *creal = malloc(n * cb);
    if (!c32 || !c8 || !creal)
        return 1;
    for (size_t i = 0; i < n; i++) {
        size_t photo = i < n_orig ? i : (i - n_orig) / N_FAMILIES;
        maso_image copy = {0, 0, NULL};
        const maso_image *img = &orig[photo];
        if (i >= n_orig) {
            if (maso_eval_distort(img, families[(i - n_orig) % N_FAMILIES],
                                   LEVEL, 1, &copy))
                return 1;
            img = &copy;
        }
        maso_model_preprocess_image(fp32, img, in);
        maso_image_free(&copy);
        run(f32, in, c32 + i * cb, NULL, NULL, scratch);
        /* without rounding it must be the library's forward pass */
        maso_forward_run(f32, in, lib, NULL);
        if (memcmp(lib, c32 + i * cb, cb) != 0) {
            fprintf(stderr, "int8_agreement: the simulation's fp32 pass is "
                            "not the library's\n");
            return 1;
        }
        run(f8, in, c8 + i * cb, NULL, maxima, scratch);
        maso_forward_run(freal, in, creal + i * cb, NULL);
    }
    for (size_t i = 0; i < n_orig; i++)
        maso_image_free(&orig[i]);
    free(orig);

    printf("int8 simulation: calibrated on %zu photos of %s, measured on %zu "
           "photos of %s + %zu distorted copies (level %d)\n\n",
           n_cal, calib_dir, n_orig, eval_dir, n - n_orig, LEVEL);
    report("simulated int8 (calibrated scales)", fp32, c32, c8, n, n_orig);
    report("library int8 (maso_model_set_precision, per-image scales)", fp32,
           c32, creal, n, n_orig);
    free(creal);
    free(c32);
    free(c8);
    free(in);
    free(scratch);
    free(maxima);
    free(code);
    free(lib);
    maso_forward_destroy(f32);
    maso_forward_destroy(f8);
    maso_forward_destroy(freal);
    maso_model_destroy(real);
    maso_model_destroy(fp32);
    maso_model_destroy(int8);
    return 0;
}
