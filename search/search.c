/* search.c -- the engine handle: layout, weights, threads, messages. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "search_internal.h"

const char *maso_search_errmsg(const maso_search *search)
{
    return search ? search->errmsg : "no search handle";
}

void maso_search_params_init(maso_search_params *params)
{
    params->k = 10;
    params->threshold = -1.0;
    params->candidates = 0;
}

/* A section must hold its units in whole 64-byte blocks at a 64-byte
 * offset: the kernels read whole blocks and rely on the zero padding. */
static int layer_valid(const maso_code_layer *l)
{
    if (l->units == 0 || l->offset % 64 || l->bytes % 64 || l->bytes == 0)
        return 0;
    if (l->kind == MASO_LAYER_RELU)
        return l->bits_per_unit == 1 && l->units <= l->bytes * 8;
    if (l->kind == MASO_LAYER_MAXPOOL)
        return (l->bits_per_unit == 4 || l->bits_per_unit == 8) &&
               l->units <= l->bytes * 8 / (size_t)l->bits_per_unit;
    return 0;
}

int maso_search_create(const maso_code_layer *layers, size_t n_layers,
                       maso_search **search)
{
    if (!search)
        return MASO_EINVAL_ARG;
    *search = NULL;
    if (!layers || n_layers == 0 || n_layers > UINT16_MAX)
        return MASO_EINVAL_ARG;
    size_t end = 0;
    for (size_t l = 0; l < n_layers; l++) {
        if (!layer_valid(&layers[l]) || layers[l].offset < end)
            return MASO_EINVAL_ARG;
        end = layers[l].offset + layers[l].bytes;
    }
    if (end > UINT32_MAX)
        return MASO_EINVAL_ARG;
    maso_search *s = calloc(1, sizeof *s);
    if (!s)
        return ENOMEM;
    s->n_layers = n_layers;
    s->layers = calloc(n_layers, sizeof *s->layers);
    s->weights = calloc(n_layers, sizeof *s->weights);
    s->layer_group = calloc(n_layers, sizeof *s->layer_group);
    s->group_factor = calloc(n_layers, sizeof *s->group_factor);
    s->runs = calloc(n_layers, sizeof *s->runs);
    if (!s->layers || !s->weights || !s->layer_group || !s->group_factor ||
        !s->runs) {
        maso_search_destroy(s);
        return ENOMEM;
    }
    for (size_t l = 0; l < n_layers; l++) {
        s->layers[l].offset = layers[l].offset;
        s->layers[l].blocks = layers[l].bytes / 64;
        s->layers[l].units = layers[l].units;
        s->layers[l].bits_per_unit = layers[l].bits_per_unit;
        s->weights[l] = 1.0;
    }
    s->record_bytes = end;
    s->threads = 1;
    s->summary_bits = MASO_SEARCH_SUMMARY_BITS_DEFAULT;
    search_program_build(s);
    search_pick_kernels(s);
    int rc = search_plan_build(s);
    if (rc) {
        maso_search_destroy(s);
        return rc;
    }
    *search = s;
    return 0;
}

void maso_search_destroy(maso_search *search)
{
    if (!search)
        return;
    free(search->layers);
    free(search->weights);
    free(search->layer_group);
    free(search->group_factor);
    free(search->runs);
    free(search->plan);
    free(search->mask);
    free(search);
}

size_t maso_search_record_bytes(const maso_search *search)
{
    return search->record_bytes;
}

int maso_search_set_weights(maso_search *search, const double *weights)
{
    if (!search)
        return MASO_EINVAL_ARG;
    search->errmsg[0] = 0;
    if (weights) {
        int any = 0;
        for (size_t l = 0; l < search->n_layers; l++) {
            if (!isfinite(weights[l]) || weights[l] < 0)
                return search_fail(search, MASO_EINVAL_ARG,
                                   "weight of layer %zu is %g: weights must "
                                   "be finite and >= 0", l, weights[l]);
            any |= weights[l] > 0;
        }
        if (!any)
            return search_fail(search, MASO_EINVAL_ARG,
                               "every weight is zero");
    }
    for (size_t l = 0; l < search->n_layers; l++)
        search->weights[l] = weights ? weights[l] : 1.0;
    search_program_build(search);
    search_mask_build(search);
    return 0;
}

int maso_search_set_threads(maso_search *search, int threads)
{
    if (!search)
        return MASO_EINVAL_ARG;
    search->errmsg[0] = 0;
    if (threads < 1 || threads > 256)
        return search_fail(search, MASO_EINVAL_ARG,
                           "threads = %d, must be in 1..256", threads);
    search->threads = threads;
    return 0;
}

int maso_search_set_summary_bits(maso_search *search, size_t bits)
{
    if (!search)
        return MASO_EINVAL_ARG;
    search->errmsg[0] = 0;
    if (bits < 64 || bits % 64 || bits > MASO_SEARCH_SUMMARY_BITS_MAX)
        return search_fail(search, MASO_EINVAL_ARG,
                           "summary of %zu bits: must be a multiple of 64 "
                           "in 64..%d", bits, MASO_SEARCH_SUMMARY_BITS_MAX);
    size_t old = search->summary_bits;
    search->summary_bits = bits;
    int rc = search_plan_build(search);
    if (rc) {
        search->summary_bits = old; /* the old plan is still in place */
        return search_fail(search, rc, "no memory for a summary plan");
    }
    return 0;
}

size_t maso_search_summary_bytes(const maso_search *search)
{
    return search->summary_bits / 8;
}

double maso_search_distance(const maso_search *search, const uint8_t *a,
                            const uint8_t *b)
{
    return search->score(search, a, b);
}
