/* weights.c -- the .bin file of an ncnn network: per layer, in .param
 * order, its weights.  A tagged array starts with a uint32 tag: 0x01306B47
 * for fp16 values (padded to 4 bytes), 0 for fp32.  Biases and BatchNorm
 * arrays are untagged fp32.  Everything is little-endian.
 *
 * After reading, each BatchNorm is folded into the convolution that feeds
 * it, so the forward pass never sees one. */
#include "net/network_internal.h"
#include "base/sha256_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "weights.c reads little-endian floats with memcpy"
#endif

#define TAG_FP16 0x01306B47u
#define TAG_FP32 0u
#define TAG_INT8 0x000D4B38u

typedef struct bin_reader {
    maso_model *model;
    const unsigned char *data;
    size_t size, pos;
    const char *path;
} bin_reader;

static int need(bin_reader *r, const core_layer *layer, size_t n)
{
    if (r->size - r->pos >= n)
        return 0;
    return core_model_fail(r->model, MASO_EMODEL,
                           "%s: truncated: layer '%s' (%s:%d) needs %zu bytes at "
                           "offset %zu, the file has %zu",
                           r->path, layer->name, r->model->param_path,
                           layer->line, n, r->pos, r->size);
}

static int read_raw(bin_reader *r, const core_layer *layer, float *dst,
                    size_t count)
{
    int rc = need(r, layer, count * 4);
    if (rc)
        return rc;
    memcpy(dst, r->data + r->pos, count * 4);
    r->pos += count * 4;
    return 0;
}

static int read_tagged(bin_reader *r, const core_layer *layer, float *dst,
                       size_t count)
{
    uint32_t tag;
    int rc = need(r, layer, 4);
    if (rc)
        return rc;
    memcpy(&tag, r->data + r->pos, 4);
    r->pos += 4;
    if (tag == TAG_FP32)
        return read_raw(r, layer, dst, count);
    if (tag != TAG_FP16)
        return core_model_fail(r->model, MASO_EUNSUPPORTED,
                               "%s: layer '%s' (%s:%d): weight storage tag "
                               "0x%08x at offset %zu not supported (%s)",
                               r->path, layer->name, r->model->param_path,
                               layer->line, (unsigned)tag, r->pos - 4,
                               tag == TAG_INT8 ? "int8" : "only fp16 and fp32");
    size_t bytes = (count * 2 + 3) & ~(size_t)3;
    if ((rc = need(r, layer, bytes)))
        return rc;
    core_fp16_to_fp32_array(r->data + r->pos, count, dst, 1);
    r->pos += bytes;
    return 0;
}

/* A network with an Inf or NaN weight has no defined partition (and puts
 * NaN in every output it reaches), so it is refused at load, naming the
 * layer and the first such value. */
static int check_finite(bin_reader *r, const core_layer *layer,
                        const float *v, size_t count, const char *what)
{
    /* First whether any value has the all-ones exponent, a loop the
     * compiler vectorises; the first such value only then. */
    uint32_t special = 0;
    for (size_t i = 0; i < count; i++) {
        uint32_t bits;
        memcpy(&bits, &v[i], sizeof bits);
        special |= (bits & 0x7f800000u) == 0x7f800000u;
    }
    if (!special)
        return 0;
    for (size_t i = 0; i < count; i++)
        if (!isfinite(v[i]))
            return core_model_fail(r->model, MASO_EMODEL,
                                   "%s: layer '%s' (%s:%d): %s %zu of %zu is "
                                   "%s: a network needs finite weights",
                                   r->path, layer->name, r->model->param_path,
                                   layer->line, what, i, count,
                                   isnan(v[i]) ? "NaN" : "infinite");
    return 0;
}

static int load_layer(bin_reader *r, core_layer *layer)
{
    int rc;
    if (layer->op == CORE_OP_CONV || layer->op == CORE_OP_INNERPRODUCT) {
        core_conv_desc *c = &layer->conv;
        c->weight = malloc(sizeof(float) * (size_t)c->weight_count);
        c->bias = calloc((size_t)c->num_output, sizeof(float));
        if (!c->weight || !c->bias)
            return core_model_fail(r->model, ENOMEM, "out of memory");
        if ((rc = read_tagged(r, layer, c->weight, (size_t)c->weight_count)) ||
            (rc = check_finite(r, layer, c->weight, (size_t)c->weight_count,
                               "weight")))
            return rc;
        if (c->bias_term &&
            ((rc = read_raw(r, layer, c->bias, (size_t)c->num_output)) ||
             (rc = check_finite(r, layer, c->bias, (size_t)c->num_output,
                                "bias"))))
            return rc;
        return 0;
    }
    if (layer->op == CORE_OP_BATCHNORM) {
        size_t n = 4 * (size_t)layer->bn_channels;
        layer->bn = malloc(sizeof(float) * n);
        if (!layer->bn)
            return core_model_fail(r->model, ENOMEM, "out of memory");
        if ((rc = read_raw(r, layer, layer->bn, n)))
            return rc;
        return check_finite(r, layer, layer->bn, n, "BatchNorm value");
    }
    return 0;
}

/* The whole .bin in memory; a model larger than this is not SqueezeNet's
 * kind (and would not fit the machines maso runs on). */
#define WEIGHTS_MAX_FILE ((size_t)1 << 34)

static int read_file(maso_model *model, const char *path, unsigned char **data,
                     size_t *size)
{
    char *buf;
    int rc = maso_file_read(path, WEIGHTS_MAX_FILE, &buf, size);
    if (rc == MASO_ETOOBIG)
        return core_model_fail(model, rc, "%s: larger than %zu bytes", path,
                               WEIGHTS_MAX_FILE);
    if (rc == ENOMEM)
        return core_model_fail(model, ENOMEM, "%s: out of memory", path);
    if (rc)
        return core_model_fail(model, rc, "%s: cannot read: %s", path,
                               strerror(rc));
    *data = (unsigned char *)buf;
    return 0;
}

int core_weights_load(maso_model *model, const char *bin_path)
{
    bin_reader r = {model, NULL, 0, 0, bin_path};
    unsigned char *data = NULL;
    int rc = read_file(model, bin_path, &data, &r.size);
    if (rc)
        return rc;
    r.data = data;
    /* The identity is the bytes parsed here, not a second read. */
    core_sha256_hex(data, r.size, model->bin_sha256);
    for (int i = 0; i < model->n_layers && rc == 0; i++)
        rc = load_layer(&r, &model->layers[i]);
    if (rc == 0 && r.pos != r.size)
        rc = core_model_fail(model, MASO_EMODEL,
                             "%s: %zu bytes of %zu left over after the last "
                             "layer's weights (file does not match %s)",
                             bin_path, r.size - r.pos, r.size,
                             model->param_path);
    free(data);
    return rc;
}

int core_weights_fold_batchnorm(maso_model *model)
{
    for (int i = 0; i < model->n_layers; i++) {
        core_layer *bn = &model->layers[i];
        if (bn->op != CORE_OP_BATCHNORM)
            continue;
        int src = bn->in[0];
        core_layer *conv = &model->layers[model->blobs[src].producer];
        int uses = 0;
        for (int j = 0; j < model->n_layers; j++)
            for (int k = 0; k < model->layers[j].n_in; k++)
                uses += model->layers[j].in[k] == src;
        if ((conv->op != CORE_OP_CONV && conv->op != CORE_OP_INNERPRODUCT) ||
            conv->conv.act != CORE_ACT_NONE || uses != 1)
            return core_model_fail(
                model, MASO_EUNSUPPORTED,
                "%s:%d: layer '%s': BatchNorm is only supported directly after "
                "a convolution without activation whose output it alone reads",
                model->param_path, bn->line, bn->name);
        /* y = slope * (x - mean) / sqrt(var + eps) + bias = a*x + b */
        int m = conv->conv.num_output;
        size_t k = (size_t)conv->conv.weight_count / (size_t)m;
        const float *slope = bn->bn, *mean = bn->bn + m, *var = bn->bn + 2 * m,
                    *beta = bn->bn + 3 * m;
        for (int o = 0; o < m; o++) {
            double a = slope[o] / sqrt((double)var[o] + bn->bn_eps);
            /* Finite inputs can still fold to non-finite weights (a
             * negative variance, a zero one without eps, overflow). */
            int finite = isfinite(a) &&
                         isfinite((float)((conv->conv.bias[o] - mean[o]) * a +
                                          beta[o]));
            for (size_t j = 0; finite && j < k; j++)
                finite = isfinite((float)(conv->conv.weight[(size_t)o * k + j] *
                                          a));
            if (!finite)
                return core_model_fail(
                    model, MASO_EMODEL,
                    "%s:%d: layer '%s': channel %d: variance %g with eps %g "
                    "does not fold into finite weights",
                    model->param_path, bn->line, bn->name, o, (double)var[o],
                    (double)bn->bn_eps);
            float *w = conv->conv.weight + (size_t)o * k;
            for (size_t j = 0; j < k; j++)
                w[j] = (float)(w[j] * a);
            conv->conv.bias[o] =
                (float)((conv->conv.bias[o] - mean[o]) * a + beta[o]);
        }
        free(bn->bn);
        bn->bn = NULL;
        bn->op = CORE_OP_ALIAS;
    }
    return 0;
}
