/* metric_list.c -- the --metric list: built-in image metrics of libmaso_eval
 * and the model metrics, compared side by side. */
#include "program.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define METRIC_NAMES "vq, vq-sketch, deep, l2, psnr, ssim, dhash"

static int needs_model(const char *name)
{
    return strcmp(name, "vq") == 0 || strcmp(name, "vq-sketch") == 0 ||
           strcmp(name, "deep") == 0;
}

static int add_metric(eval_metrics *ms, const char *name,
                      const eval_options *opt, char err[MASO_CLI_ERRLEN])
{
    for (size_t i = 0; i < ms->count; i++)
        if (strcmp(ms->metric[i]->name, name) == 0) {
            snprintf(err, MASO_CLI_ERRLEN, "--metric: %s is listed twice",
                     name);
            return MASO_EINVAL_ARG;
        }
    const maso_eval_metric *m = maso_eval_metric_find(name);
    if (!m && !needs_model(name)) {
        snprintf(err, MASO_CLI_ERRLEN, "--metric: unknown metric \"%s\" "
                 "(known: " METRIC_NAMES ")", name);
        return MASO_ENOTFOUND;
    }
    if (!m) {
        int rc;
        if (!ms->has_model) {
            if ((rc = eval_model_open(&ms->model, opt, err)) != 0) {
                eval_model_close(&ms->model); /* what it opened */
                return rc;
            }
            ms->has_model = 1;
        }
        maso_eval_metric *own = strcmp(name, "vq") == 0
                               ? eval_metric_vq(&ms->model)
                           : strcmp(name, "deep") == 0
                               ? eval_metric_deep(&ms->model)
                               : eval_metric_vq_sketch(&ms->model);
        if (!own) {
            snprintf(err, MASO_CLI_ERRLEN, "--metric %s: out of memory, or "
                     "the code layout cannot be sketched", name);
            return ENOMEM;
        }
        ms->owned[ms->n_owned++] = own;
        m = own;
        if (name[0] == 'd') {
            int any = 0;
            for (size_t i = 0; i < ms->model.n_layers; i++)
                any |= eval_model_relu_blob(&ms->model, i) &&
                       ms->model.weights[i] > 0.0;
            if (!any) {
                snprintf(err, MASO_CLI_ERRLEN, "--metric deep: the layer "
                         "selection has no ReLU layer with a weight");
                return MASO_EINVAL_ARG;
            }
        }
    }
    ms->metric[ms->count++] = m;
    return 0;
}

int eval_metrics_open(eval_metrics *ms, const eval_options *opt,
                      char err[MASO_CLI_ERRLEN])
{
    memset(ms, 0, sizeof *ms);
    const char *list = opt->metrics;
    size_t cap = 1;
    for (const char *p = list; *p; p++)
        cap += *p == ',';
    ms->metric = calloc(cap, sizeof *ms->metric);
    ms->owned = calloc(cap, sizeof *ms->owned);
    if (!ms->metric || !ms->owned) {
        snprintf(err, MASO_CLI_ERRLEN, "out of memory");
        return ENOMEM;
    }
    for (const char *p = list;;) {
        size_t len = strcspn(p, ",");
        char name[32];
        if (len == 0 || len >= sizeof name) {
            snprintf(err, MASO_CLI_ERRLEN, "--metric \"%s\": expected a "
                     "comma-separated list of " METRIC_NAMES, list);
            return MASO_EINVAL_ARG;
        }
        memcpy(name, p, len);
        name[len] = '\0';
        int rc = add_metric(ms, name, opt, err);
        if (rc)
            return rc;
        if (p[len] == '\0')
            break;
        p += len + 1;
    }
    if ((opt->layers || opt->weights) && !ms->has_model) {
        snprintf(err, MASO_CLI_ERRLEN, "--layers and --weights apply to the "
                 "vq and deep metrics only; --metric has neither");
        return MASO_EINVAL_ARG;
    }
    return 0;
}

void eval_metrics_close(eval_metrics *ms)
{
    for (size_t i = 0; i < ms->n_owned; i++)
        free(ms->owned[i]);
    free(ms->owned);
    free(ms->metric);
    if (ms->has_model)
        eval_model_close(&ms->model);
    memset(ms, 0, sizeof *ms);
}

int eval_metrics_on_network(const eval_metrics *ms, size_t i)
{
    for (size_t k = 0; k < ms->n_owned; k++)
        if (ms->metric[i] == ms->owned[k])
            return 1;
    return 0;
}

int eval_metrics_prepare(eval_metrics *ms, const maso_image *pixels,
                         const maso_image *coded, void **states,
                         char err[MASO_CLI_ERRLEN])
{
    for (size_t i = 0; i < ms->count; i++)
        states[i] = NULL;
    eval_model *em = ms->has_model ? &ms->model : NULL;
    if (em) { /* one network run for all the model metrics */
        em->batch = coded;
        em->batch_ran = 0;
    }
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < ms->count; i++) {
        const maso_eval_metric *m = ms->metric[i];
        const maso_image *image =
            eval_metrics_on_network(ms, i) ? coded : pixels;
        if ((rc = m->prepare(m, image, &states[i])) != 0) {
            snprintf(err, MASO_CLI_ERRLEN, "metric %s: %s", m->name,
                     maso_strerror(rc));
            eval_metrics_release(ms, states);
        }
    }
    if (em)
        em->batch = NULL;
    return rc;
}

void eval_metrics_release(const eval_metrics *ms, void **states)
{
    for (size_t i = 0; i < ms->count; i++) {
        ms->metric[i]->release(ms->metric[i], states[i]);
        states[i] = NULL;
    }
}

void eval_warn_fitted_on(const eval_model *em, const char *input)
{
    char real[PATH_MAX];
    if (!em->fitted_on[0] || !realpath(input, real))
        return;
    size_t a = strlen(real), b = strlen(em->fitted_on);
    size_t n = a < b ? a : b;
    /* the same data, or one folder inside the other */
    if (strncmp(real, em->fitted_on, n) == 0 &&
        (a == b || (a > b ? real[n] : em->fitted_on[n]) == '/'))
        fprintf(stderr, "maso-eval: warning: the --weights were fitted on "
                "%s: scores on the data used for fitting are optimistic; "
                "evaluate on another split\n", em->fitted_on);
}

int eval_metrics_load(eval_metrics *ms, maso_decoder *decoder,
                      const char *path, void **states, int size[2],
                      char err[MASO_CLI_ERRLEN])
{
    maso_image full = { 0, 0, NULL }, coded = { 0, 0, NULL };
    int want_full = ms->count > ms->n_owned; /* a pixel metric */
    int in_w = 0, in_h = 0, channels;
    if (ms->has_model)
        maso_model_input_size(ms->model.model, &channels, &in_h, &in_w);
    int rc = want_full ? eval_image_load(decoder, path, 0, 0, &full, err)
                       : eval_image_load(decoder, path, in_w, in_h, &coded,
                                         err);
    /* Only a JPEG decodes smaller for the network than at full size. */
    if (rc == 0 && want_full && ms->has_model && eval_file_is_jpeg(path))
        rc = eval_image_load(decoder, path, in_w, in_h, &coded, err);
    const maso_image *for_net = coded.pixels ? &coded : &full;
    if (rc == 0 &&
        (rc = eval_metrics_prepare(ms, want_full ? &full : &coded, for_net,
                                   states, err))) {
        char why[MASO_CLI_ERRLEN];
        snprintf(why, sizeof why, "%s", err);
        snprintf(err, MASO_CLI_ERRLEN, "%s: %s", path, why);
    }
    if (size) {
        size[0] = want_full ? full.width : coded.width;
        size[1] = want_full ? full.height : coded.height;
    }
    maso_image_free(&full);
    maso_image_free(&coded);
    return rc;
}

void eval_metric_failure(const eval_metrics *ms, size_t m, int rc,
                         const int size_a[2], const int size_b[2], char *out,
                         size_t out_size)
{
    const char *name = ms->metric[m]->name;
    if (!eval_metrics_on_network(ms, m) &&
        (size_a[0] != size_b[0] || size_a[1] != size_b[1]))
        snprintf(out, out_size, "metric %s compares images of one size, "
                 "these are %dx%d and %dx%d", name, size_a[0], size_a[1],
                 size_b[0], size_b[1]);
    else
        snprintf(out, out_size, "metric %s: %s", name, maso_strerror(rc));
}

int eval_metrics_start(eval_metrics *ms, eval_csv **csv,
                       const eval_options *opt, char err[MASO_CLI_ERRLEN])
{
    *csv = NULL;
    int rc = eval_metrics_open(ms, opt, err);
    if (rc)
        return rc;
    if (ms->has_model)
        eval_warn_fitted_on(&ms->model, opt->input);
    return opt->csv ? eval_csv_open(opt->csv, csv, err) : 0;
}
