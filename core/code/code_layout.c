/* code_layout.c -- the code layout table: which layers contribute to a code
 * and where their sections live.
 *
 * One entry per coded layer, in network order: a convolution or inner
 * product with a fused (leaky) ReLU, and a separate ReLU layer, each give a
 * RELU section (one bit per unit); each max pooling gives a MAXPOOL section
 * (the winner's index per window, a nibble when the window has at most 16
 * inputs, else a byte).  Sections start at multiples of 64 bytes and are
 * padded to 64 bytes so distance kernels can read whole 512-bit words. */
#include "net/network_internal.h"

#include <errno.h>
#include <stdlib.h>

#define SECTION_ALIGN 64

static int coded_kind(const core_layer *l, maso_layer_kind *kind)
{
    switch (l->op) {
    case CORE_OP_CONV:
    case CORE_OP_INNERPRODUCT:
        *kind = MASO_LAYER_RELU;
        return l->conv.act != CORE_ACT_NONE;
    case CORE_OP_RELU:
        *kind = MASO_LAYER_RELU;
        return 1;
    case CORE_OP_POOL:
        *kind = MASO_LAYER_MAXPOOL;
        return l->pool.max;
    default:
        return 0;
    }
}

int core_code_layout_build(maso_model *model)
{
    size_t n = 0;
    maso_layer_kind kind;
    for (int i = 0; i < model->n_layers; i++)
        n += coded_kind(&model->layers[i], &kind);
    model->code_layers = calloc(n ? n : 1, sizeof(maso_code_layer));
    if (!model->code_layers)
        return core_model_fail(model, ENOMEM, "out of memory");
    size_t offset = 0, k = 0;
    for (int i = 0; i < model->n_layers; i++) {
        core_layer *l = &model->layers[i];
        if (!coded_kind(l, &kind))
            continue;
        maso_code_layer *e = &model->code_layers[k];
        core_shape s = model->blobs[l->out[0]].shape;
        e->name = l->name;
        e->blob = model->blobs[l->out[0]].name;
        e->kind = kind;
        e->channels = s.c;
        e->height = s.h;
        e->width = s.w;
        e->units = (size_t)s.c * (size_t)s.h * (size_t)s.w;
        if (kind == MASO_LAYER_RELU) {
            e->window = 0;
            e->bits_per_unit = 1;
        } else {
            core_shape in = model->blobs[l->in[0]].shape;
            e->window = l->pool.global ? in.h * in.w : l->pool.k * l->pool.k;
            if (e->window > 256)
                return core_model_fail(
                    model, MASO_EUNSUPPORTED,
                    "%s:%d: layer '%s': max pooling window of %d inputs: "
                    "codes store the winner in at most one byte",
                    model->param_path, l->line, l->name, e->window);
            e->bits_per_unit = e->window <= 16 ? 4 : 8;
        }
        size_t bytes = (e->units * (size_t)e->bits_per_unit + 7) / 8;
        e->bytes = (bytes + SECTION_ALIGN - 1) / SECTION_ALIGN * SECTION_ALIGN;
        e->offset = offset;
        offset += e->bytes;
        l->code = (int)k;
        k++;
    }
    model->n_code_layers = n;
    model->code_bytes = offset;
    return 0;
}
