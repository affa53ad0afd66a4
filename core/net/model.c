/* model.c -- maso_model: loading an ncnn network (.param + .bin), the blob
 * graph, and the accessors of the public API.
 *
 * Loading goes: parse the text (ncnn_param.c) -> configure each layer and
 * infer shapes (layer_params.c) -> read weights and fold BatchNorms
 * (weights.c) -> decide which blobs share memory (here) -> lay out the
 * code (code_layout.c) -> hash the .param (the .bin is hashed as it is
 * read, weights.c).  After that the model is never
 * written again, so threads can share it. */
#include "net/network_internal.h"
#include "net/ncnn_param_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void set_default_preprocess(maso_model *model)
{
    /* SqueezeNet (Caffe): BGR, mean 104,117,123, no scaling. */
    const maso_preprocess def = {{104.0f, 117.0f, 123.0f}, {1.0f, 1.0f, 1.0f}, 1};
    model->pre = def;
}

int maso_model_create(maso_model **model)
{
    if (!model)
        return MASO_EINVAL_ARG;
    *model = calloc(1, sizeof **model);
    if (!*model)
        return ENOMEM;
    set_default_preprocess(*model);
    return 0;
}

/* Release everything load() built; keeps errmsg. */
static void model_clear(maso_model *model)
{
    for (int i = 0; i < model->n_layers; i++) {
        core_layer *l = &model->layers[i];
        free(l->name);
        free(l->in);
        free(l->out);
        free(l->conv.weight);
        free(l->conv.bias);
        free(l->conv.packed);
        free(l->conv.qweight);
        free(l->conv.qscale);
        free(l->conv.qoffset);
        free(l->conv.qbias);
        free(l->conv.qsums);
        free(l->bn);
    }
    free(model->layers);
    for (int i = 0; i < model->n_blobs; i++)
        free(model->blobs[i].name);
    free(model->blobs);
    free(model->code_layers);
    free(model->param_path);
    free(model->bin_path);
    model->layers = NULL;
    model->blobs = NULL;
    model->code_layers = NULL;
    model->param_path = model->bin_path = NULL;
    model->n_layers = model->n_blobs = 0;
    model->n_code_layers = model->code_bytes = 0;
    model->loaded = 0;
}

void maso_model_destroy(maso_model *model)
{
    if (!model)
        return;
    model_clear(model);
    free(model);
}

static int find_blob(const maso_model *model, const char *name)
{
    for (int i = 0; i < model->n_blobs; i++)
        if (!strcmp(model->blobs[i].name, name))
            return i;
    return -1;
}

/* Connect @p layer to its blobs by name: inputs must exist, outputs must be
 * new (every blob has one producer). */
static int link_blobs(maso_model *model, core_layer *layer,
                      const core_ncnn_line *l, int index)
{
    layer->in = calloc((size_t)l->n_in + 1, sizeof(int));
    layer->out = calloc((size_t)l->n_out + 1, sizeof(int));
    if (!layer->in || !layer->out)
        return core_model_fail(model, ENOMEM, "out of memory");
    for (int i = 0; i < l->n_in; i++) {
        int b = find_blob(model, l->in[i]);
        if (b < 0)
            return core_model_fail(model, MASO_EMODEL,
                                   "%s:%d: layer '%s': unknown input blob '%s'",
                                   model->param_path, l->line, l->name, l->in[i]);
        layer->in[i] = b;
    }
    for (int i = 0; i < l->n_out; i++) {
        if (find_blob(model, l->out[i]) >= 0)
            return core_model_fail(model, MASO_EMODEL,
                                   "%s:%d: layer '%s': blob '%s' is produced twice",
                                   model->param_path, l->line, l->name,
                                   l->out[i]);
        core_blob *b = &model->blobs[model->n_blobs];
        if (!(b->name = strdup(l->out[i])))
            return core_model_fail(model, ENOMEM, "out of memory");
        b->producer = index;
        b->parent = -1;
        layer->out[i] = model->n_blobs++;
    }
    return 0;
}

static int build_layers(maso_model *model, const core_ncnn_param *p)
{
    if (p->layer_count < 1)
        return core_model_fail(model, MASO_EMODEL, "%s: no layers",
                               model->param_path);
    size_t max_blobs = 0;
    for (int i = 0; i < p->layer_count; i++)
        max_blobs += (size_t)p->lines[i].n_out;
    model->layers = calloc((size_t)p->layer_count, sizeof(core_layer));
    model->blobs = calloc(max_blobs + 1, sizeof(core_blob));
    if (!model->layers || !model->blobs)
        return core_model_fail(model, ENOMEM, "out of memory");
    model->input_blob = -1;
    for (int i = 0; i < p->layer_count; i++) {
        const core_ncnn_line *l = &p->lines[i];
        core_layer *layer = &model->layers[i];
        model->n_layers = i + 1;
        layer->line = l->line;
        layer->n_in = l->n_in;
        layer->n_out = l->n_out;
        if (!(layer->name = strdup(l->name)))
            return core_model_fail(model, ENOMEM, "out of memory");
        int rc;
        if ((rc = core_layer_configure(model, layer, l)) ||
            (rc = link_blobs(model, layer, l, i)) ||
            (rc = core_layer_infer_shape(model, layer)))
            return rc;
        if (layer->op == CORE_OP_INPUT) {
            if (model->input_blob >= 0)
                return core_model_fail(model, MASO_EUNSUPPORTED,
                                       "%s:%d: layer '%s': only one Input layer "
                                       "is supported", model->param_path,
                                       l->line, l->name);
            model->input_blob = layer->out[0];
        }
    }
    if (model->input_blob < 0)
        return core_model_fail(model, MASO_EMODEL, "%s: no Input layer",
                               model->param_path);
    if (model->n_blobs != p->blob_count)
        return core_model_fail(model, MASO_EMODEL,
                               "%s:2: header declares %d blobs, the layers "
                               "produce %d", model->param_path, p->blob_count,
                               model->n_blobs);
    const core_layer *last = &model->layers[model->n_layers - 1];
    if (last->n_out < 1)
        return core_model_fail(model, MASO_EMODEL, "%s: last layer has no output",
                               model->param_path);
    model->output_blob = last->out[0];
    return 0;
}

/* Decide which blobs live inside another blob's memory, so that no time is
 * spent copying: outputs of no-op layers (Split, folded BatchNorm) are their
 * input, and the inputs of a channel Concat are written straight into their
 * slice of its output (CHW channel slices are contiguous).  A blob joins a
 * Concat only when a computing layer produces it and no other Concat
 * claimed it; the Concat then copies only the inputs left over. */
static void plan_aliases(maso_model *model)
{
    for (int i = 0; i < model->n_layers; i++) {
        core_layer *l = &model->layers[i];
        if (l->op == CORE_OP_ALIAS) {
            for (int o = 0; o < l->n_out; o++)
                model->blobs[l->out[o]].parent = l->in[0];
        } else if (l->op == CORE_OP_CONCAT) {
            size_t off = 0;
            for (int k = 0; k < l->n_in; k++) {
                core_blob *b = &model->blobs[l->in[k]];
                core_op prod = model->layers[b->producer].op;
                int dup = 0;
                for (int j = 0; j < k; j++)
                    dup |= l->in[j] == l->in[k];
                if (b->parent < 0 && !dup && prod != CORE_OP_INPUT &&
                    prod != CORE_OP_ALIAS) {
                    b->parent = l->out[0];
                    b->offset = off;
                }
                off += (size_t)b->shape.c * b->shape.h * b->shape.w;
            }
        }
    }
}

int maso_model_load(maso_model *model, const char *param_path,
                    const char *bin_path)
{
    if (!model || !param_path || !bin_path)
        return MASO_EINVAL_ARG;
    if (model->loaded)
        return core_model_fail(model, MASO_EINVAL_ARG,
                               "model already loaded; create a new one");
    model->errmsg[0] = '\0';
    model->param_path = strdup(param_path);
    model->bin_path = strdup(bin_path);
    if (!model->param_path || !model->bin_path) {
        model_clear(model);
        return core_model_fail(model, ENOMEM, "out of memory");
    }
    core_ncnn_param p;
    memset(&p, 0, sizeof p);
    int rc = core_ncnn_param_read(param_path, &p, model->errmsg,
                                  sizeof model->errmsg);
    if (rc == 0)
        rc = build_layers(model, &p);
    core_ncnn_param_free(&p);
    if (rc == 0)
        rc = core_weights_load(model, bin_path);
    if (rc == 0)
        rc = core_weights_fold_batchnorm(model);
    if (rc == 0)
        rc = core_conv_prepare_all(model);
    if (rc == 0) {
        plan_aliases(model);
        rc = core_code_layout_build(model);
    }
    if (rc == 0 && (rc = maso_sha256_file(param_path, model->param_sha256)))
        core_model_fail(model, rc, "%s: cannot hash: %s", param_path,
                        strerror(rc));
    if (rc) {
        model_clear(model);
        return rc;
    }
    model->loaded = 1;
    return 0;
}

const char *maso_model_errmsg(const maso_model *model)
{
    return model ? model->errmsg : "no model";
}

int maso_model_set_kernels(maso_model *model, maso_model_kernels kernels)
{
    if (!model || (kernels != MASO_MODEL_KERNELS_BEST &&
                   kernels != MASO_MODEL_KERNELS_PORTABLE &&
                   kernels != MASO_MODEL_KERNELS_SCALAR))
        return MASO_EINVAL_ARG;
    if (model->loaded)
        return core_model_fail(model, MASO_EINVAL_ARG,
                               "kernels must be chosen before the model is loaded");
    model->kernels = kernels;
    return 0;
}

int maso_model_set_precision(maso_model *model,
                             maso_model_precision precision)
{
    if (!model || (precision != MASO_PRECISION_FP32 &&
                   precision != MASO_PRECISION_INT8))
        return MASO_EINVAL_ARG;
    if (model->loaded)
        return core_model_fail(model, MASO_EINVAL_ARG, "the precision must "
                               "be chosen before the model is loaded");
    model->precision = precision;
    return 0;
}

maso_model_precision maso_model_get_precision(const maso_model *model)
{
    return model ? model->precision : MASO_PRECISION_FP32;
}

const char *maso_precision_name(maso_model_precision precision)
{
    switch (precision) {
    case MASO_PRECISION_FP32:
        return "fp32";
    case MASO_PRECISION_INT8:
        return "int8";
    }
    return NULL;
}

int maso_precision_parse(const char *name, maso_model_precision *precision)
{
    if (!name || !precision)
        return MASO_EINVAL_ARG;
    if (strcmp(name, "fp32") == 0)
        *precision = MASO_PRECISION_FP32;
    else if (strcmp(name, "int8") == 0)
        *precision = MASO_PRECISION_INT8;
    else
        return MASO_EINVAL_ARG;
    return 0;
}

int maso_model_set_preprocess(maso_model *model, const maso_preprocess *pre)
{
    if (!model || !pre)
        return MASO_EINVAL_ARG;
    for (int c = 0; c < 3; c++)
        if (!(pre->scale[c] == pre->scale[c]) || !(pre->mean[c] == pre->mean[c]))
            return core_model_fail(model, MASO_EINVAL_ARG, "NaN in preprocess");
    const maso_preprocess old = model->pre;
    model->pre = *pre;
    int rc = model->loaded ? core_conv_preprocess_changed(model) : 0;
    if (rc)
        model->pre = old;
    return rc;
}

const maso_preprocess *maso_model_get_preprocess(const maso_model *model)
{
    return model ? &model->pre : NULL;
}

void maso_model_input_size(const maso_model *model, int *channels,
                           int *height, int *width)
{
    core_shape s = {0, 0, 0};
    if (model && model->loaded)
        s = model->blobs[model->input_blob].shape;
    if (channels)
        *channels = s.c;
    if (height)
        *height = s.h;
    if (width)
        *width = s.w;
}

size_t maso_model_output_size(const maso_model *model)
{
    if (!model || !model->loaded)
        return 0;
    core_shape s = model->blobs[model->output_blob].shape;
    return (size_t)s.c * s.h * s.w;
}

size_t maso_model_code_layers(const maso_model *model,
                              const maso_code_layer **layers)
{
    if (layers)
        *layers = model ? model->code_layers : NULL;
    return model ? model->n_code_layers : 0;
}

size_t maso_model_code_bytes(const maso_model *model)
{
    return model ? model->code_bytes : 0;
}

const char *maso_model_param_sha256(const maso_model *model)
{
    return model ? model->param_sha256 : "";
}

const char *maso_model_bin_sha256(const maso_model *model)
{
    return model ? model->bin_sha256 : "";
}
