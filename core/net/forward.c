/* forward.c -- maso_forward: an inference context (activation memory, the
 * im2col workspace, the resized input image) and the run over the layers.
 *
 * Blob memory is planned once per context: every blob either owns a
 * 64-byte aligned region of one arena or lives inside its parent blob
 * (Split outputs, Concat inputs; see plan_aliases() in model.c). */
#include "image/image_internal.h"
#include "net/layers_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t blob_floats(const core_blob *b)
{
    return (size_t)b->shape.c * b->shape.h * b->shape.w;
}

static float *alloc_floats(size_t n)
{
    /* 64-byte alignment for vector loads; size rounded for aligned_alloc. */
    size_t bytes = (n * sizeof(float) + 63) & ~(size_t)63;
    return aligned_alloc(64, bytes ? bytes : 64);
}

/* Walk up the parent chain to the owning blob, summing offsets. */
static int blob_root(const maso_model *m, int b, size_t *offset)
{
    *offset = 0;
    while (m->blobs[b].parent >= 0) {
        *offset += m->blobs[b].offset;
        b = m->blobs[b].parent;
    }
    return b;
}

int maso_forward_create(const maso_model *model, maso_forward **forward)
{
    if (!forward)
        return MASO_EINVAL_ARG;
    *forward = NULL;
    if (!model || !model->loaded)
        return MASO_EINVAL_ARG;
    maso_forward *f = calloc(1, sizeof *f);
    if (!f)
        return ENOMEM;
    f->model = model;
    size_t *start = calloc((size_t)model->n_blobs, sizeof(size_t));
    f->blob = calloc((size_t)model->n_blobs, sizeof(float *));
    f->limit = calloc((size_t)model->n_layers + 1, sizeof *f->limit);
    f->derived = malloc((size_t)model->n_blobs + 1);
    size_t total = 0, ws = 0;
    for (int i = 0; start && i < model->n_blobs; i++) {
        if (model->blobs[i].parent >= 0)
            continue;
        start[i] = total;
        total += (blob_floats(&model->blobs[i]) + 15) & ~(size_t)15;
    }
    for (int i = 0; i < model->n_layers; i++) {
        const core_layer *l = &model->layers[i];
        if (l->op != CORE_OP_CONV && l->op != CORE_OP_INNERPRODUCT)
            continue;
        size_t w = core_conv_workspace(&l->conv, model->blobs[l->in[0]].shape,
                                       model->blobs[l->out[0]].shape);
        ws = w > ws ? w : ws;
    }
    f->arena = alloc_floats(total);
    f->workspace = alloc_floats(ws);
    f->workspace_bytes = ws * sizeof(float);
    const core_shape input = model->blobs[model->input_blob].shape;
    int rc = core_image_alloc(&f->resized, input.w, input.h);
    if (!start || !f->blob || !f->limit || !f->derived || !f->arena ||
        !f->workspace || rc) {
        free(start);
        maso_forward_destroy(f);
        return ENOMEM;
    }
    for (int i = 0; i < model->n_blobs; i++) {
        size_t off;
        int root = blob_root(model, i, &off);
        f->blob[i] = f->arena + start[root] + off;
    }
    free(start);
    *forward = f;
    return 0;
}

/* Remove a limit: every layer RUN again. */
static void clear_limit(maso_forward *f)
{
    if (!f->limit)
        return;
    for (int i = 0; i < f->model->n_layers; i++)
        core_sample_plan_destroy(f->limit[i].plan);
    memset(f->limit, 0, sizeof *f->limit * (size_t)f->model->n_layers);
    f->limited = 0;
}

void maso_forward_destroy(maso_forward *forward)
{
    if (!forward)
        return;
    free(forward->arena);
    free(forward->workspace);
    core_resizer_free(&forward->resizer);
    maso_image_free(&forward->resized);
    free(forward->blob);
    clear_limit(forward);
    free(forward->limit);
    free(forward->derived);
    free(forward);
}

/* Copy the Concat inputs that could not be placed in their output slice. */
static void concat_run(maso_forward *f, const core_layer *l)
{
    const maso_model *m = f->model;
    float *dst = f->blob[l->out[0]];
    for (int k = 0; k < l->n_in; k++) {
        const core_blob *b = &m->blobs[l->in[k]];
        size_t n = blob_floats(b);
        if (f->blob[l->in[k]] != dst)
            memmove(dst, f->blob[l->in[k]], n * sizeof(float));
        dst += n;
    }
}

static void layer_run(maso_forward *f, const core_layer *l, uint8_t *code,
                      core_conv_input_fn conv_input, void *ctx)
{
    const maso_model *m = f->model;
    const maso_code_layer *cl = l->code >= 0 ? &m->code_layers[l->code] : NULL;
    uint8_t *section = code && cl ? code + cl->offset : NULL;
    core_shape in = l->n_in ? m->blobs[l->in[0]].shape : (core_shape){0, 0, 0};
    core_shape out = m->blobs[l->out[0]].shape;
    const float *src = l->n_in ? f->blob[l->in[0]] : NULL;
    float *dst = f->blob[l->out[0]];
    switch (l->op) {
    case CORE_OP_CONV:
    case CORE_OP_INNERPRODUCT:
        if (conv_input)
            src = conv_input(ctx, (int)(l - m->layers), l->in[0], src,
                             (size_t)in.c * in.h * in.w);
        core_conv_run(&l->conv, in, src, out, dst, f->workspace, section);
        break;
    case CORE_OP_RELU:
        core_act_apply(dst, src, in.c, (size_t)in.h * in.w, NULL,
                       l->slope != 0.0f ? CORE_ACT_LEAKY : CORE_ACT_RELU,
                       l->slope, section, m->simd);
        break;
    case CORE_OP_POOL:
        core_pool_run(&l->pool, in, src, out, dst, section,
                      cl ? cl->bits_per_unit : 0);
        break;
    case CORE_OP_CONCAT:
        concat_run(f, l);
        break;
    case CORE_OP_SOFTMAX:
        core_softmax_run(in, src, dst);
        break;
    case CORE_OP_SCALE:
        core_scale_run((size_t)in.c * in.h * in.w, src, dst, l->scale);
        break;
    case CORE_OP_INPUT:
    case CORE_OP_ALIAS:
    case CORE_OP_BATCHNORM:
        break;
    }
}

int maso_forward_run(maso_forward *forward, const float *input,
                     uint8_t *code, float *output)
{
    if (!forward)
        return MASO_EINVAL_ARG;
    maso_forward *f = forward;
    const maso_model *m = f->model;
    f->errmsg[0] = '\0';
    if (!input)
        return core_forward_fail(f, MASO_EINVAL_ARG, "input tensor is NULL");
    f->resized_valid = 0; /* the input is no longer that image's */
    memcpy(f->blob[m->input_blob], input,
           blob_floats(&m->blobs[m->input_blob]) * sizeof(float));
    core_forward_run_input(f, code, output);
    return 0;
}

void core_forward_run_input(maso_forward *f, uint8_t *code, float *output)
{
    core_forward_run_hooked(f, code, output, NULL, NULL);
}

void core_forward_run_hooked(maso_forward *f, uint8_t *code, float *output,
                             core_conv_input_fn conv_input, void *ctx)
{
    const maso_model *m = f->model;
    if (code)
        memset(code, 0, m->code_bytes); /* padding stays zero */
    /* a limit applies to runs that want the code and not the output */
    const int limited = f->limited && code && !output;
    for (int i = 0; i < m->n_layers; i++) {
        const core_layer *l = &m->layers[i];
        const core_layer_limit *lim = &f->limit[i];
        if (!limited || lim->mode == CORE_LIMIT_RUN) {
            layer_run(f, l, code, conv_input, ctx);
        } else if (lim->mode == CORE_LIMIT_SAMPLE) {
            const float *src = f->blob[l->in[0]];
            core_shape in = m->blobs[l->in[0]].shape;
            if (conv_input)
                src = conv_input(ctx, i, l->in[0], src,
                                 (size_t)in.c * in.h * in.w);
            core_conv_run_sampled(&l->conv, in, src, m->blobs[l->out[0]].shape,
                                  f->workspace, f->workspace_bytes,
                                  lim->units, lim->n, lim->plan,
                                  code + m->code_layers[l->code].offset);
        }
    }
    if (output)
        memcpy(output, f->blob[m->output_blob],
               blob_floats(&m->blobs[m->output_blob]) * sizeof(float));
}

/* Whether a layer that has a code reads, directly or through other
 * layers, the output of layer @p i. */
static int feeds_code(const maso_model *m, int i, unsigned char *derived)
{
    memset(derived, 0, (size_t)m->n_blobs);
    for (int k = 0; k < m->layers[i].n_out; k++)
        derived[m->layers[i].out[k]] = 1;
    for (int j = i + 1; j < m->n_layers; j++) {
        const core_layer *l = &m->layers[j];
        int reads = 0;
        for (int k = 0; k < l->n_in; k++)
            reads |= derived[l->in[k]];
        if (!reads)
            continue;
        if (l->code >= 0)
            return 1;
        for (int k = 0; k < l->n_out; k++)
            derived[l->out[k]] = 1;
    }
    return 0;
}

int maso_forward_limit_to_sketch(maso_forward *forward,
                                 const maso_sketch *sketch)
{
    if (!forward)
        return MASO_EINVAL_ARG;
    maso_forward *f = forward;
    const maso_model *m = f->model;
    f->errmsg[0] = '\0';
    clear_limit(f);
    if (!sketch)
        return 0;
    const maso_code_layer *layers;
    size_t n_layers = maso_sketch_layers(sketch, &layers);
    int same = n_layers == m->n_code_layers &&
               maso_sketch_code_bytes(sketch) == m->code_bytes;
    for (size_t i = 0; same && i < n_layers; i++)
        same = strcmp(layers[i].name, m->code_layers[i].name) == 0;
    if (!same)
        return core_forward_fail(f, MASO_EINVAL_ARG, "the sketch is not of "
                                 "this model's code layout");
    unsigned char *derived = f->derived;
    for (int i = 0; i < m->n_layers; i++) {
        const core_layer *l = &m->layers[i];
        if (l->op != CORE_OP_CONV || l->code < 0 ||
            !core_conv_sampled_supported(&l->conv,
                                         m->blobs[l->out[0]].shape) ||
            feeds_code(m, i, derived))
            continue;
        f->limit[i].mode = CORE_LIMIT_SAMPLE;
        f->limit[i].units = maso_sketch_positions(sketch, (size_t)l->code,
                                                  &f->limit[i].n);
        if (core_sample_plan_create(&l->conv, m->blobs[l->in[0]].shape,
                                    m->blobs[l->out[0]].shape,
                                    f->limit[i].units, f->limit[i].n,
                                    &f->limit[i].plan) != 0) {
            clear_limit(f);
            return core_forward_fail(f, ENOMEM, "out of memory");
        }
        f->limited = 1;
        /* what only it feeds is not run: no code reads it */
        for (int j = i + 1; j < m->n_layers; j++) {
            const core_layer *d = &m->layers[j];
            int reads = 0;
            for (int k = 0; k < d->n_in; k++)
                reads |= derived[d->in[k]];
            if (reads && f->limit[j].mode == CORE_LIMIT_RUN)
                f->limit[j].mode = CORE_LIMIT_SKIP;
        }
    }
    return 0;
}

const float *maso_forward_blob(const maso_forward *forward, const char *blob,
                               int *channels, int *height, int *width)
{
    if (!forward || !blob)
        return NULL;
    const maso_model *m = forward->model;
    for (int i = 0; i < m->n_blobs; i++) {
        if (strcmp(m->blobs[i].name, blob) != 0)
            continue;
        if (channels)
            *channels = m->blobs[i].shape.c;
        if (height)
            *height = m->blobs[i].shape.h;
        if (width)
            *width = m->blobs[i].shape.w;
        return forward->blob[i];
    }
    return NULL;
}

const char *maso_forward_errmsg(const maso_forward *forward)
{
    return forward ? forward->errmsg : "no forward context";
}

const maso_model *maso_forward_model(const maso_forward *forward)
{
    return forward ? forward->model : NULL;
}
