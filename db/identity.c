/*
 * identity.c -- what model an index was built with: encoding for the
 * "identity" and "layout" meta values, and the comparison that refuses a
 * store built by another model with a message naming the difference.
 */
#include "store_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Version 2 appends the precision.  fp32 stores are still written as
 * version 1, byte for byte what earlier releases wrote (and read); version
 * 1 records read as fp32.  A release without precisions refuses an int8
 * store as malformed rather than mixing its codes. */
#define IDENTITY_VERSION 2
#define MAX_PREPROCESS 255
#define MAX_LAYERS 4096
#define MAX_NAME 255

int maso_store_preprocess_format(const maso_preprocess *pre, char *buf,
                                 size_t size)
{
    return snprintf(buf, size,
                    "mean=%.9g,%.9g,%.9g scale=%.9g,%.9g,%.9g bgr=%d",
                    pre->mean[0], pre->mean[1], pre->mean[2], pre->scale[0],
                    pre->scale[1], pre->scale[2], pre->bgr);
}

static int is_hex64(const char *s)
{
    for (int i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return s[64] == '\0';
}

int store_identity_validate(maso_store *s, const maso_store_identity *id)
{
    if (!is_hex64(id->param_sha256) || !is_hex64(id->bin_sha256))
        return store_fail(s, MASO_EINVAL_ARG, "identity: sha256 fields must "
                          "be 64 lowercase hex digits");
    if (!id->preprocess || strlen(id->preprocess) > MAX_PREPROCESS)
        return store_fail(s, MASO_EINVAL_ARG, "identity: preprocessing text "
                          "missing or longer than %d bytes", MAX_PREPROCESS);
    if (!maso_precision_name(id->precision))
        return store_fail(s, MASO_EINVAL_ARG, "identity: unknown precision "
                          "%d", (int)id->precision);
    if (!id->layers || id->n_layers == 0 || id->n_layers > MAX_LAYERS)
        return store_fail(s, MASO_EINVAL_ARG, "identity: layout table "
                          "missing or too long");
    for (size_t i = 0; i < id->n_layers; i++)
        if (id->layers[i].name && strlen(id->layers[i].name) > MAX_NAME)
            return store_fail(s, MASO_EINVAL_ARG, "identity: layer %zu name "
                              "too long", i);
    return 0;
}

int store_identity_encode(const maso_store_identity *id, store_writer *w)
{
    const int v1 = id->precision == MASO_PRECISION_FP32;
    store_put_u32(w, v1 ? 1 : IDENTITY_VERSION);
    store_put_bytes(w, id->param_sha256, 64);
    store_put_bytes(w, id->bin_sha256, 64);
    store_put_u32(w, (uint32_t)id->input_channels);
    store_put_u32(w, (uint32_t)id->input_height);
    store_put_u32(w, (uint32_t)id->input_width);
    store_put_u32(w, (uint32_t)strlen(id->preprocess));
    store_put_bytes(w, id->preprocess, strlen(id->preprocess));
    store_put_u64(w, id->sketch.seed);
    store_put_u64(w, id->sketch.relu_samples);
    store_put_u64(w, id->sketch.maxpool_samples);
    store_put_u32(w, id->full_codes ? 1 : 0);
    if (!v1)
        store_put_u32(w, (uint32_t)id->precision);
    return w->err;
}

int store_layout_encode(const maso_code_layer *l, size_t n, store_writer *w)
{
    store_put_u32(w, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        const char *name = l[i].name ? l[i].name : "";
        store_put_u32(w, (uint32_t)strlen(name));
        store_put_bytes(w, name, strlen(name));
        store_put_u32(w, (uint32_t)l[i].kind);
        store_put_u32(w, (uint32_t)l[i].channels);
        store_put_u32(w, (uint32_t)l[i].height);
        store_put_u32(w, (uint32_t)l[i].width);
        store_put_u32(w, (uint32_t)l[i].window);
        store_put_u32(w, (uint32_t)l[i].bits_per_unit);
        store_put_u64(w, l[i].units);
        store_put_u64(w, l[i].offset);
        store_put_u64(w, l[i].bytes);
    }
    return w->err;
}

static int decode_identity(maso_store *s, const MDB_val *val)
{
    store_reader r = {val->mv_data, val->mv_size, 0};
    maso_store_identity *id = &s->identity;
    uint32_t version = store_get_u32(&r);
    if (version != 1 && version != IDENTITY_VERSION)
        return 1;
    const uint8_t *p = store_get_bytes(&r, 64);
    if (p)
        memcpy(id->param_sha256, p, 64);
    p = store_get_bytes(&r, 64);
    if (p)
        memcpy(id->bin_sha256, p, 64);
    id->input_channels = (int)store_get_u32(&r);
    id->input_height = (int)store_get_u32(&r);
    id->input_width = (int)store_get_u32(&r);
    uint32_t len = store_get_u32(&r);
    p = len <= MAX_PREPROCESS ? store_get_bytes(&r, len) : NULL;
    if (!p)
        return 1;
    s->preprocess = malloc(len + 1);
    if (!s->preprocess)
        return ENOMEM;
    memcpy(s->preprocess, p, len);
    s->preprocess[len] = '\0';
    id->preprocess = s->preprocess;
    id->sketch.seed = store_get_u64(&r);
    id->sketch.relu_samples = (size_t)store_get_u64(&r);
    id->sketch.maxpool_samples = (size_t)store_get_u64(&r);
    id->full_codes = (int)store_get_u32(&r);
    id->precision = MASO_PRECISION_FP32;
    if (version >= 2) {
        id->precision = (maso_model_precision)store_get_u32(&r);
        if (!maso_precision_name(id->precision))
            return 1;
    }
    return r.err || r.left || !is_hex64(id->param_sha256) ||
           !is_hex64(id->bin_sha256);
}

static int decode_layout(maso_store *s, const MDB_val *val)
{
    store_reader r = {val->mv_data, val->mv_size, 0};
    uint32_t n = store_get_u32(&r);
    if (r.err || n == 0 || n > MAX_LAYERS)
        return 1;
    /* Names are copied into one block no larger than the value itself. */
    s->layers = calloc(n, sizeof *s->layers);
    s->layer_names = malloc(val->mv_size + n);
    if (!s->layers || !s->layer_names)
        return ENOMEM;
    char *names = s->layer_names;
    for (uint32_t i = 0; i < n; i++) {
        maso_code_layer *l = &s->layers[i];
        uint32_t len = store_get_u32(&r);
        const uint8_t *p = len <= MAX_NAME ? store_get_bytes(&r, len) : NULL;
        if (!p)
            return 1;
        memcpy(names, p, len);
        names[len] = '\0';
        l->name = names;
        names += len + 1;
        l->kind = (maso_layer_kind)store_get_u32(&r);
        l->channels = (int)store_get_u32(&r);
        l->height = (int)store_get_u32(&r);
        l->width = (int)store_get_u32(&r);
        l->window = (int)store_get_u32(&r);
        l->bits_per_unit = (int)store_get_u32(&r);
        l->units = (size_t)store_get_u64(&r);
        l->offset = (size_t)store_get_u64(&r);
        l->bytes = (size_t)store_get_u64(&r);
    }
    if (r.err || r.left)
        return 1;
    s->identity.layers = s->layers;
    s->identity.n_layers = n;
    return 0;
}

int store_identity_decode(maso_store *s, const MDB_val *identity,
                          const MDB_val *layout)
{
    int rc = decode_identity(s, identity);
    if (rc == 0)
        rc = decode_layout(s, layout);
    if (rc == ENOMEM)
        return store_fail(s, ENOMEM, "%s: out of memory", s->path);
    if (rc)
        return store_fail(s, MASO_EDATA, "%s: malformed identity or layout "
                          "record", s->path);
    return 0;
}

static int differ(maso_store *s, const char *field, const char *stored,
                  const char *given)
{
    return store_fail(s, MASO_EMISMATCH, "%s: built with another model: %s "
                      "differs: store has %s, this model has %s", s->path,
                      field, stored, given);
}

static void describe_layer(const maso_code_layer *l, char *buf, size_t n)
{
    snprintf(buf, n, "%s %s %dx%dx%d window %d bits %d units %zu at %zu+%zu",
             l->name ? l->name : "", l->kind == MASO_LAYER_RELU ? "relu"
             : "maxpool", l->channels, l->height, l->width, l->window,
             l->bits_per_unit, l->units, l->offset, l->bytes);
}

static int same_layer(const maso_code_layer *a, const maso_code_layer *b)
{
    return strcmp(a->name ? a->name : "", b->name ? b->name : "") == 0 &&
           a->kind == b->kind && a->channels == b->channels &&
           a->height == b->height && a->width == b->width &&
           a->window == b->window && a->bits_per_unit == b->bits_per_unit &&
           a->units == b->units && a->offset == b->offset &&
           a->bytes == b->bytes;
}

int store_identity_compare(maso_store *s, const maso_store_identity *expected)
{
    const maso_store_identity *st = &s->identity;
    char a[512], b[512];
    if (strcmp(st->param_sha256, expected->param_sha256) != 0)
        return differ(s, "param_sha256 (the .param file)", st->param_sha256,
                      expected->param_sha256);
    if (strcmp(st->bin_sha256, expected->bin_sha256) != 0)
        return differ(s, "bin_sha256 (the .bin file)", st->bin_sha256,
                      expected->bin_sha256);
    if (st->input_channels != expected->input_channels ||
        st->input_height != expected->input_height ||
        st->input_width != expected->input_width) {
        snprintf(a, sizeof a, "%dx%dx%d", st->input_channels,
                 st->input_height, st->input_width);
        snprintf(b, sizeof b, "%dx%dx%d", expected->input_channels,
                 expected->input_height, expected->input_width);
        return differ(s, "input size", a, b);
    }
    if (st->precision != expected->precision) {
        /* the codes of a quantized network are not the fp32 network's */
        return store_fail(s, MASO_EMISMATCH, "%s: precision differs: the "
                          "store holds %s codes, these are %s codes (a store "
                          "keeps the precision it was created with: "
                          "maso-index --precision)", s->path,
                          maso_precision_name(st->precision),
                          maso_precision_name(expected->precision));
    }
    if (strcmp(st->preprocess, expected->preprocess) != 0)
        return differ(s, "preprocessing", st->preprocess,
                      expected->preprocess);
    if (st->n_layers != expected->n_layers) {
        snprintf(a, sizeof a, "%zu layers", st->n_layers);
        snprintf(b, sizeof b, "%zu layers", expected->n_layers);
        return differ(s, "code layout", a, b);
    }
    for (size_t i = 0; i < st->n_layers; i++) {
        if (same_layer(&st->layers[i], &expected->layers[i]))
            continue;
        char field[64];
        snprintf(field, sizeof field, "code layout layer %zu", i);
        describe_layer(&st->layers[i], a, sizeof a);
        describe_layer(&expected->layers[i], b, sizeof b);
        return differ(s, field, a, b);
    }
    return 0;
}
