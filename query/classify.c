/* classify.c -- maso-query --classify: what the network sees in each image
 * (top-5 ImageNet classes) and how many units of each coded layer fired. */
#include "query.h"

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
    printf("%s\n", path);
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
    fputs("{\"image\": ", stdout);
    maso_cli_json_string(stdout, path);
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
        fputs("{\"image\": ", stdout);
        maso_cli_json_string(stdout, path);
        fputs(", \"error\": ", stdout);
        maso_cli_json_string(stdout, message);
        fputs("}\n", stdout);
    }
    fprintf(stderr, "maso-query: %s\n", message);
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

    for (int i = 0; i < opt->n_inputs; i++) {
        const char *image_path = opt->inputs[i];
        rc = maso_forward_code_file(forward, decoder, image_path, code, prob);
        if (rc) {
            report_error(opt, image_path, maso_forward_errmsg(forward));
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
