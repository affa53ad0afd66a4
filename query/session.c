/* session.c -- set-up shared by searches and duplicate grouping. */
#include "session.h"
#include "query.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void search_options_init(search_options *o)
{
    memset(o, 0, sizeof *o);
    o->k = 10;
    o->threshold = -1;
    o->candidates = -1;
}

/* --layers or --weights into s->weights; without either the calibrated
 * QUERY_DEFAULT_LAYERS (searches and --duplicates alike: one distance for
 * a pair) when the model has those layers; else NULL (equal weights). */
static int weights_load(session *s, char err[MASO_CLI_ERRLEN])
{
    const search_options *o = s->o;
    if (!o->layers && !o->weights_file) {
        s->weights = calloc(s->n_layers, sizeof *s->weights);
        if (!s->weights) {
            snprintf(err, MASO_CLI_ERRLEN, "out of memory");
            return ENOMEM;
        }
        char msg[MASO_CLI_ERRLEN];
        if (maso_cli_layer_spec_parse(QUERY_DEFAULT_LAYERS, s->layers,
                                      s->n_layers, s->weights, msg) != 0) {
            free(s->weights); /* another model: equal weights */
            s->weights = NULL;
        }
        return 0;
    }
    if (o->layers && o->weights_file) {
        snprintf(err, MASO_CLI_ERRLEN, "--layers and --weights both set the "
                 "layer weights: use one");
        return MASO_EINVAL_ARG;
    }
    s->weights = calloc(s->n_layers, sizeof *s->weights);
    if (!s->weights) {
        snprintf(err, MASO_CLI_ERRLEN, "out of memory");
        return ENOMEM;
    }
    if (o->layers) {
        char msg[MASO_CLI_ERRLEN];
        int rc = maso_cli_layer_spec_parse(o->layers, s->layers, s->n_layers,
                                           s->weights, msg);
        if (rc)
            snprintf(err, MASO_CLI_ERRLEN, "--layers %s: %s", o->layers, msg);
        return rc;
    }
    return maso_cli_weights_load(o->weights_file, s->layers, s->n_layers,
                                 s->param_sha256, s->bin_sha256, s->weights,
                                 NULL, 0, err);
}

/* Open the stores as one engine: with the model's identity when a model
 * codes the queries, else (stored sketches only) each store must have the
 * identity of the first. */
static int engine_open(session *s, char err[MASO_CLI_ERRLEN])
{
    maso_store_identity id;
    char pre[MASO_CLI_PREPROCESS_LEN];
    if (s->model)
        maso_cli_store_identity(s->model, &id, pre);
    int rc = maso_engine_create(&s->engine);
    if (rc) {
        snprintf(err, MASO_CLI_ERRLEN, "%s", maso_strerror(rc));
        return rc;
    }
    /* An MPI rank that owns no store takes part with an empty engine. */
    if (s->o->n_dbs == 0)
        return 0;
    rc = maso_engine_open(s->engine, (const char *const *)s->o->dbs,
                          s->o->n_dbs, s->model ? &id : NULL);
    if (rc)
        snprintf(err, MASO_CLI_ERRLEN, "%s", maso_engine_errmsg(s->engine));
    return rc;
}

/* Threads and weights. */
static int engine_setup(session *s, char err[MASO_CLI_ERRLEN])
{
    int threads = s->o->threads;
    if (threads <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n < 1 ? 1 : n > 256 ? 256 : (int)n;
    }
    if (s->o->n_dbs == 0)
        return 0;
    int rc = maso_engine_set_threads(s->engine, threads);
    if (!rc && s->weights)
        rc = maso_engine_set_weights(s->engine, s->weights);
    if (rc)
        snprintf(err, MASO_CLI_ERRLEN, "%s", maso_engine_errmsg(s->engine));
    return rc;
}

int session_open(session *s, const search_options *o, int duplicates)
{
    memset(s, 0, sizeof *s);
    s->o = o;
    char err[MASO_CLI_ERRLEN];
    /* --duplicates and --indexed compare stored sketches only: no model to
     * load and hash (a tenth of such a run); the stores must agree with
     * each other, and the layout and identity come from the first. */
    /* An MPI rank that owns no store (o->n_dbs == 0) takes the layout
     * and identity from the model. */
    /* Queries are coded in the precision of the first store (the others
     * must match it: the engine compares their identities). */
    maso_model_precision precision = MASO_PRECISION_FP32;
    if (o->n_dbs > 0 && maso_cli_store_precision(o->dbs[0], &precision))
        precision = MASO_PRECISION_FP32; /* opening it will say why not */
    if ((o->n_dbs == 0 || (!duplicates && !o->indexed)) &&
        maso_cli_model_open_precision(o->model_dir, precision, &s->model,
                                      NULL, err) != 0)
        goto fail;
    if (engine_open(s, err) != 0)
        goto fail;
    if (o->n_dbs == 0) {
        s->n_layers = maso_model_code_layers(s->model, &s->layers);
        s->param_sha256 = maso_model_param_sha256(s->model);
        s->bin_sha256 = maso_model_bin_sha256(s->model);
    } else {
        const maso_store_identity *id =
            maso_store_get_identity(maso_engine_store(s->engine, 0));
        s->layers = id->layers;
        s->n_layers = id->n_layers;
        s->param_sha256 = id->param_sha256;
        s->bin_sha256 = id->bin_sha256;
    }
    if (weights_load(s, err) != 0)
        goto fail;
    if (engine_setup(s, err) != 0)
        goto fail;
    s->rep.format = o->format;
    s->rep.out = stdout;
    s->rep.layers = s->layers;
    s->rep.n_layers = s->n_layers;
    s->rep.weights = s->weights;
    s->rep.explain = o->explain;
    s->rep.missing = (const char *const *)o->missing;
    s->rep.n_missing = o->n_missing;
    s->rep.measure = maso_engine_full_codes(s->engine) && !duplicates ? "code"
                                                              : "sketch";
    if (o->html && html_open(&s->rep.html, o->html,
                             duplicates ? "maso-query: near-duplicates"
                                        : "maso-query: similar images",
                             o->html_append, err) != 0)
        goto fail;
    return 0;
fail:
    maso_cli_print_error("maso-query", err);
    session_close(s, QUERY_EXIT_ERROR);
    return QUERY_EXIT_ERROR;
}

int session_close(session *s, int status)
{
    char err[MASO_CLI_ERRLEN];
    /* The page is kept when a query failed: it shows the others. */
    if (s->rep.html && html_close(s->rep.html, 1, err) != 0) {
        maso_cli_print_error("maso-query", err);
        status = QUERY_EXIT_ERROR;
    }
    s->rep.html = NULL;
    maso_engine_destroy(s->engine);
    maso_model_destroy(s->model);
    free(s->weights);
    memset(s, 0, sizeof *s);
    return status;
}
