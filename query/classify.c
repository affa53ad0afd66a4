/* classify.c -- maso-query --classify: what the network sees in each image
 * (top-5 ImageNet classes) and how many units of each coded layer fired. */
#include "output.h"
#include "query.h"
#include "search.h"

#include <stdlib.h>
#include <string.h>

#define TOP_K 5

static void top_k(const float *prob, size_t n, size_t *index, size_t k)
{
    for (size_t j = 0; j < k; j++)
        index[j] = (size_t)-1;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < k; j++) {
            if (index[j] == (size_t)-1 || prob[i] > prob[index[j]]) {
                memmove(index + j + 1, index + j, (k - j - 1) * sizeof *index);
                index[j] = i;
                break;
            }
        }
    }
}

static const char *label_of(const maso_cli_labels *labels, size_t i)
{
    return i < labels->count ? labels->label[i] : "";
}

static void print_text(const char *path, const float *prob, const size_t *top,
                       const maso_cli_labels *labels)
{
    maso_cli_text_escaped(stdout, path);
    putchar('\n');
    for (size_t j = 0; j < TOP_K; j++)
        printf("  %6.4f  %4zu  %s\n", prob[top[j]], top[j],
               label_of(labels, top[j]));
}

static void print_json(const char *path, const float *prob, const size_t *top,
                       const maso_cli_labels *labels, const maso_model *model,
                       const uint8_t *code, const uint8_t *zero)
{
    const maso_code_layer *layers;
    size_t n = maso_model_code_layers(model, &layers);
    fputc('{', stdout);
    output_json_path(stdout, "image", path);
    fputs(", \"top5\": [", stdout);
    for (size_t j = 0; j < TOP_K; j++) {
        printf("%s{\"index\": %zu, \"label\": ", j ? ", " : "", top[j]);
        maso_cli_json_string(stdout, label_of(labels, top[j]));
        printf(", \"prob\": %.6g}", prob[top[j]]);
    }
    fputs("], \"layers\": [", stdout);
    for (size_t i = 0; i < n; i++) {
        /* Set bits, or windows whose winner is not the first input, are
         * the units that differ from the all-zero code. */
        printf("%s{\"name\": ", i ? ", " : "");
        maso_cli_json_string(stdout, layers[i].name);
        printf(", \"kind\": \"%s\", \"shape\": [%d, %d, %d], \"set\": %llu}",
               layers[i].kind == MASO_LAYER_RELU ? "relu" : "maxpool",
               layers[i].channels, layers[i].height, layers[i].width,
               (unsigned long long)maso_layer_diff(&layers[i], code, zero));
    }
    fputs("]}\n", stdout);
}

static void report_error(const query_options *opt, const char *path,
                         const char *message)
{
    if (opt->json) {
        fputc('{', stdout);
        output_json_path(stdout, "image", path);
        fputs(", \"error\": ", stdout);
        maso_cli_json_string(stdout, message);
        fputs("}\n", stdout);
    }
    maso_cli_print_error("maso-query", message);
}

int query_classify(const query_options *opt, maso_model *model,
                   const char *model_dir)
{
    maso_cli_labels labels = { NULL, 0 };
    char err[MASO_CLI_ERRLEN], path[4200];
    snprintf(path, sizeof path, "%s/synset_words.txt", model_dir);
    if (maso_cli_labels_load(path, &labels, err) != 0)
        fprintf(stderr, "maso-query: warning: no class labels: %s\n", err);

    size_t code_bytes = maso_model_code_bytes(model);
    size_t n_out = maso_model_output_size(model);
    uint8_t *code = aligned_alloc(64, code_bytes);
    uint8_t *zero = aligned_alloc(64, code_bytes);
    float *prob = malloc(n_out * sizeof *prob);
    maso_decoder *decoder = NULL;
    maso_forward *forward = NULL;
    int status = QUERY_EXIT_FOUND;
    int rc = (!code || !zero || !prob) ? ENOMEM : 0;
    if (!rc)
        rc = maso_decoder_create(&decoder);
    if (!rc)
        rc = maso_forward_create(model, &forward);
    if (rc || n_out < TOP_K) {
        fprintf(stderr, "maso-query: cannot start: %s\n",
                rc ? maso_strerror(rc) : "the model has fewer than 5 outputs");
        status = QUERY_EXIT_ERROR;
        goto done;
    }
    memset(zero, 0, code_bytes);

    maso_decode_params params;
    maso_decode_params_init(&params);
    int channels;
    maso_model_input_size(model, &channels, &params.min_height, &params.min_width);

    for (int i = 0; i < opt->n_inputs; i++) {
        const char *image_path = opt->inputs[i];
        maso_image image = { 0, 0, NULL };
        rc = query_image_load(decoder, image_path, &params, &image, err);
        if (rc) {
            report_error(opt, image_path, err);
            status = QUERY_EXIT_NONE;
            continue;
        }
        rc = maso_forward_run_image(forward, &image, code, prob);
        maso_image_free(&image);
        if (rc) {
            snprintf(err, sizeof err, "%s: %s", image_path,
                     maso_forward_errmsg(forward));
            report_error(opt, image_path, err);
            status = QUERY_EXIT_NONE;
            continue;
        }
        size_t top[TOP_K];
        top_k(prob, n_out, top, TOP_K);
        if (opt->json)
            print_json(image_path, prob, top, &labels, model, code, zero);
        else
            print_text(image_path, prob, top, &labels);
    }
done:
    maso_forward_destroy(forward);
    maso_decoder_destroy(decoder);
    free(prob);
    free(zero);
    free(code);
    maso_cli_labels_free(&labels);
    return status;
}
