/* layer_params.c -- what each supported ncnn layer type means: its
 * parameter ids (from ncnn's operator documentation), their defaults, the
 * values libmaso implements, and the output shape.
 *
 * Every parameter id a layer carries must be known here: silently ignoring
 * one (a dilation, an int8 flag) would compute a different network. */
#include "net/network_internal.h"
#include "net/ncnn_param_internal.h"

#include <string.h>

#define LFAIL(st, ...) layer_fail(model, layer, st, __VA_ARGS__)

static int layer_fail(maso_model *model, const core_layer *layer, int status,
                      const char *what)
{
    return core_model_fail(model, status, "%s:%d: layer '%s': %s",
                           model->param_path, layer->line, layer->name, what);
}

/* Refuse parameter ids outside @p known (terminated by -1), and arrays
 * except for @p array_id. */
static int check_ids(maso_model *model, core_layer *layer,
                     const core_ncnn_line *l, const int *known, int array_id)
{
    for (int i = 0; i < l->n_values; i++) {
        const core_ncnn_value *v = &l->values[i];
        int ok = 0;
        for (const int *k = known; *k >= 0; k++)
            ok |= (*k == v->id);
        if (!ok || (v->is_array && v->id != array_id))
            return core_model_fail(
                model, MASO_EUNSUPPORTED,
                "%s:%d: layer '%s' (%s): %sparameter %d is not supported",
                model->param_path, layer->line, layer->name, l->type,
                v->is_array ? "array " : "", v->id);
        if (v->id == array_id && !v->is_array)
            return core_model_fail(model, MASO_EMODEL,
                                   "%s:%d: layer '%s': parameter %d must be an array",
                                   model->param_path, layer->line, layer->name,
                                   v->id);
    }
    return 0;
}

static int get_int(maso_model *model, core_layer *layer,
                   const core_ncnn_line *l, int id, int def, int lo, int hi,
                   int *out)
{
    int rc = core_ncnn_int(l, id, def, out);
    if (rc == -2)
        return core_model_fail(model, MASO_EUNSUPPORTED,
                               "%s:%d: layer '%s': parameter %d=%.0f out of "
                               "range (allowed %d..%d)",
                               model->param_path, layer->line, layer->name, id,
                               core_ncnn_find(l, id)->v[0], lo, hi);
    if (rc)
        return core_model_fail(model, MASO_EMODEL,
                               "%s:%d: layer '%s': parameter %d must be an integer",
                               model->param_path, layer->line, layer->name, id);
    if (*out < lo || *out > hi)
        return core_model_fail(model, MASO_EUNSUPPORTED,
                               "%s:%d: layer '%s': parameter %d=%d not supported "
                               "(allowed %d..%d)",
                               model->param_path, layer->line, layer->name, id,
                               *out, lo, hi);
    return 0;
}

static int check_io(maso_model *model, core_layer *layer, int min_in,
                    int max_in, int min_out, int max_out)
{
    if (layer->n_in < min_in || layer->n_in > max_in ||
        layer->n_out < min_out || layer->n_out > max_out)
        return LFAIL(MASO_EMODEL, "wrong number of input or output blobs");
    return 0;
}

/* Activation: 9=type, 10=params array (leaky ReLU: [slope]). */
static int configure_act(maso_model *model, core_layer *layer,
                         const core_ncnn_line *l)
{
    int t;
    int rc = get_int(model, layer, l, 9, 0, 0, 2, &t);
    if (rc)
        return rc;
    layer->conv.act = (core_act)t;
    layer->conv.slope = 0.0f;
    const core_ncnn_value *p = core_ncnn_find(l, 10);
    if (t == CORE_ACT_LEAKY) {
        if (!p || p->count != 1)
            return LFAIL(MASO_EMODEL,
                         "leaky ReLU needs -23310=1,<slope> (activation params)");
        layer->conv.slope = (float)p->v[0];
    }
    return 0;
}

static int configure_conv(maso_model *model, core_layer *layer,
                          const core_ncnn_line *l)
{
    static const int known[] = {0, 1, 11, 2, 12, 3, 13, 4, 14, 15, 16, 18,
                                5, 6, 8, 9, 10, 19, -1};
    core_conv_desc *c = &layer->conv;
    int rc, bias, zero;
    const int big = 1 << 20;
    if ((rc = check_io(model, layer, 1, 1, 1, 1)) ||
        (rc = check_ids(model, layer, l, known, 10)) ||
        (rc = get_int(model, layer, l, 0, 0, 1, big, &c->num_output)) ||
        (rc = get_int(model, layer, l, 1, 0, 1, 1024, &c->kw)) ||
        (rc = get_int(model, layer, l, 11, c->kw, 1, 1024, &c->kh)) ||
        (rc = get_int(model, layer, l, 2, 1, 1, 1024, &c->dw)) ||
        (rc = get_int(model, layer, l, 12, c->dw, 1, 1024, &c->dh)) ||
        (rc = get_int(model, layer, l, 3, 1, 1, 1024, &c->sw)) ||
        (rc = get_int(model, layer, l, 13, c->sw, 1, 1024, &c->sh)) ||
        (rc = get_int(model, layer, l, 4, 0, 0, 1024, &c->pad_l)) ||
        (rc = get_int(model, layer, l, 14, c->pad_l, 0, 1024, &c->pad_t)) ||
        (rc = get_int(model, layer, l, 15, c->pad_l, 0, 1024, &c->pad_r)) ||
        (rc = get_int(model, layer, l, 16, c->pad_t, 0, 1024, &c->pad_b)) ||
        (rc = get_int(model, layer, l, 5, 0, 0, 1, &bias)) ||
        (rc = get_int(model, layer, l, 6, -1, 1, 1 << 30, &c->weight_count)) ||
        (rc = get_int(model, layer, l, 8, 0, 0, 0, &zero)) ||
        (rc = get_int(model, layer, l, 19, 0, 0, 0, &zero)))
        return rc;
    float pad_value;
    if (core_ncnn_float(l, 18, 0.0f, &pad_value) || pad_value != 0.0f)
        return LFAIL(MASO_EUNSUPPORTED, "pad_value (18) other than 0");
    if (!core_ncnn_find(l, 6))
        return LFAIL(MASO_EMODEL, "missing weight_data_size (6)");
    c->bias_term = bias;
    return configure_act(model, layer, l);
}

static int configure_innerproduct(maso_model *model, core_layer *layer,
                                  const core_ncnn_line *l)
{
    static const int known[] = {0, 1, 2, 8, 9, 10, -1};
    core_conv_desc *c = &layer->conv;
    int rc, bias, zero;
    if ((rc = check_io(model, layer, 1, 1, 1, 1)) ||
        (rc = check_ids(model, layer, l, known, 10)) ||
        (rc = get_int(model, layer, l, 0, 0, 1, 1 << 20, &c->num_output)) ||
        (rc = get_int(model, layer, l, 1, 0, 0, 1, &bias)) ||
        (rc = get_int(model, layer, l, 2, -1, 1, 1 << 30, &c->weight_count)) ||
        (rc = get_int(model, layer, l, 8, 0, 0, 0, &zero)))
        return rc;
    if (!core_ncnn_find(l, 2))
        return LFAIL(MASO_EMODEL, "missing weight_data_size (2)");
    c->dw = c->dh = c->sw = c->sh = 1;
    c->bias_term = bias;
    return configure_act(model, layer, l);
}

static int configure_pool(maso_model *model, core_layer *layer,
                          const core_ncnn_line *l)
{
    static const int known[] = {0, 1, 11, 2, 12, 3, 13, 14, 15, 4, 5, 6, 7, -1};
    core_pool_desc *p = &layer->pool;
    int rc, type, kh, sh, mode, zero;
    if ((rc = check_io(model, layer, 1, 1, 1, 1)) ||
        (rc = check_ids(model, layer, l, known, -1)) ||
        (rc = get_int(model, layer, l, 0, 0, 0, 1, &type)) ||
        (rc = get_int(model, layer, l, 1, 0, 0, 1024, &p->k)) ||
        (rc = get_int(model, layer, l, 11, p->k, 0, 1024, &kh)) ||
        (rc = get_int(model, layer, l, 2, 1, 1, 1024, &p->s)) ||
        (rc = get_int(model, layer, l, 12, p->s, 1, 1024, &sh)) ||
        (rc = get_int(model, layer, l, 3, 0, 0, 1024, &p->pad_l)) ||
        (rc = get_int(model, layer, l, 13, p->pad_l, 0, 1024, &p->pad_t)) ||
        (rc = get_int(model, layer, l, 14, p->pad_l, 0, 1024, &p->pad_r)) ||
        (rc = get_int(model, layer, l, 15, p->pad_t, 0, 1024, &p->pad_b)) ||
        (rc = get_int(model, layer, l, 4, 0, 0, 1, &p->global)) ||
        (rc = get_int(model, layer, l, 5, 0, 0, 1, &mode)) ||
        (rc = get_int(model, layer, l, 6, 0, 0, 1, &p->include_pad)) ||
        (rc = get_int(model, layer, l, 7, 0, 0, 0, &zero)))
        return rc;
    if (kh != p->k || sh != p->s)
        return LFAIL(MASO_EUNSUPPORTED, "non-square pooling kernel or stride");
    if (!p->global && p->k < 1)
        return LFAIL(MASO_EMODEL, "pooling kernel size missing");
    if (!p->global && (p->pad_l >= p->k || p->pad_r >= p->k ||
                       p->pad_t >= p->k || p->pad_b >= p->k))
        return LFAIL(MASO_EUNSUPPORTED, "pooling padding >= kernel size");
    p->max = (type == 0);
    p->ceil_mode = (mode == 0);
    return 0;
}

int core_layer_configure(maso_model *model, core_layer *layer,
                         const core_ncnn_line *l)
{
    static const int none[] = {-1};
    static const int input_ids[] = {0, 1, 2, -1};
    static const int axis_ids[] = {0, -1};
    static const int softmax_ids[] = {0, 1, -1};
    static const int bn_ids[] = {0, 1, -1};
    const char *t = l->type;
    int rc, zero;
    layer->code = -1;
    if (!strcmp(t, "Input")) {
        layer->op = CORE_OP_INPUT;
        core_shape s;
        if ((rc = check_io(model, layer, 0, 0, 1, 1)) ||
            (rc = check_ids(model, layer, l, input_ids, -1)) ||
            (rc = get_int(model, layer, l, 0, 0, 1, 1 << 16, &s.w)) ||
            (rc = get_int(model, layer, l, 1, 0, 1, 1 << 16, &s.h)) ||
            (rc = get_int(model, layer, l, 2, 0, 1, 1 << 16, &s.c)))
            return rc;
        layer->conv.num_output = s.c; /* shape kept until inference */
        layer->conv.kh = s.h;
        layer->conv.kw = s.w;
        return 0;
    }
    if (!strcmp(t, "Convolution")) {
        layer->op = CORE_OP_CONV;
        return configure_conv(model, layer, l);
    }
    if (!strcmp(t, "InnerProduct")) {
        layer->op = CORE_OP_INNERPRODUCT;
        return configure_innerproduct(model, layer, l);
    }
    if (!strcmp(t, "Pooling")) {
        layer->op = CORE_OP_POOL;
        return configure_pool(model, layer, l);
    }
    if (!strcmp(t, "ReLU")) {
        static const int relu_ids[] = {0, -1};
        layer->op = CORE_OP_RELU;
        if ((rc = check_io(model, layer, 1, 1, 1, 1)) ||
            (rc = check_ids(model, layer, l, relu_ids, -1)))
            return rc;
        if (core_ncnn_float(l, 0, 0.0f, &layer->slope))
            return LFAIL(MASO_EMODEL, "bad slope");
        return 0;
    }
    if (!strcmp(t, "Split")) {
        layer->op = CORE_OP_ALIAS;
        if ((rc = check_io(model, layer, 1, 1, 1, 1 << 16)))
            return rc;
        return check_ids(model, layer, l, none, -1);
    }
    if (!strcmp(t, "Concat")) {
        layer->op = CORE_OP_CONCAT;
        if ((rc = check_io(model, layer, 1, 1 << 16, 1, 1)) ||
            (rc = check_ids(model, layer, l, axis_ids, -1)) ||
            (rc = get_int(model, layer, l, 0, 0, 0, 0, &zero)))
            return rc;
        return 0;
    }
    if (!strcmp(t, "Softmax")) {
        int fix;
        layer->op = CORE_OP_SOFTMAX;
        if ((rc = check_io(model, layer, 1, 1, 1, 1)) ||
            (rc = check_ids(model, layer, l, softmax_ids, -1)) ||
            (rc = get_int(model, layer, l, 0, 0, 0, 0, &zero)) ||
            (rc = get_int(model, layer, l, 1, 0, 0, 1, &fix)))
            return rc;
        return 0;
    }
    if (!strcmp(t, "Dropout")) {
        if ((rc = check_io(model, layer, 1, 1, 1, 1)) ||
            (rc = check_ids(model, layer, l, axis_ids, -1)))
            return rc;
        if (core_ncnn_float(l, 0, 1.0f, &layer->scale))
            return LFAIL(MASO_EMODEL, "bad scale");
        /* At inference Dropout multiplies by its scale; 1 is a no-op. */
        layer->op = layer->scale == 1.0f ? CORE_OP_ALIAS : CORE_OP_SCALE;
        return 0;
    }
    if (!strcmp(t, "BatchNorm")) {
        layer->op = CORE_OP_BATCHNORM;
        if ((rc = check_io(model, layer, 1, 1, 1, 1)) ||
            (rc = check_ids(model, layer, l, bn_ids, -1)) ||
            (rc = get_int(model, layer, l, 0, 0, 1, 1 << 20, &layer->bn_channels)))
            return rc;
        if (core_ncnn_float(l, 1, 0.0f, &layer->bn_eps))
            return LFAIL(MASO_EMODEL, "bad eps");
        return 0;
    }
    return core_model_fail(model, MASO_EUNSUPPORTED,
                           "%s:%d: layer '%s': unsupported layer type '%s'",
                           model->param_path, layer->line, layer->name, t);
}

/* ncnn's output size: ceil mode pads the tail so the last window fits. */
static int pool_out(int in, int k, int s, int pad0, int pad1, int ceil_mode)
{
    int span = in + pad0 + pad1 - k;
    if (span < 0)
        return 0;
    return (ceil_mode ? (span + s - 1) / s : span / s) + 1;
}

static int infer_conv(maso_model *model, core_layer *layer, core_shape in,
                      core_shape *out)
{
    core_conv_desc *c = &layer->conv;
    long long need;
    if (layer->op == CORE_OP_INNERPRODUCT) {
        need = (long long)c->num_output * in.c * in.h * in.w;
        out->c = c->num_output;
        out->h = out->w = 1;
        c->kw = in.w;
        c->kh = in.h;
    } else {
        need = (long long)c->num_output * in.c * c->kh * c->kw;
        int ekh = c->dh * (c->kh - 1) + 1, ekw = c->dw * (c->kw - 1) + 1;
        out->c = c->num_output;
        out->h = pool_out(in.h, ekh, c->sh, c->pad_t, c->pad_b, 0);
        out->w = pool_out(in.w, ekw, c->sw, c->pad_l, c->pad_r, 0);
    }
    if (need != c->weight_count)
        return core_model_fail(model, MASO_EMODEL,
                               "%s:%d: layer '%s': weight_data_size %d does not "
                               "match the shape (%lld expected for %d inputs)",
                               model->param_path, layer->line, layer->name,
                               c->weight_count, need, in.c);
    return 0;
}

int core_layer_infer_shape(maso_model *model, core_layer *layer)
{
    core_blob *b = model->blobs;
    core_shape in = layer->n_in ? b[layer->in[0]].shape : (core_shape){0, 0, 0};
    core_shape out = in;
    int rc = 0;
    switch (layer->op) {
    case CORE_OP_INPUT:
        out = (core_shape){layer->conv.num_output, layer->conv.kh,
                           layer->conv.kw};
        break;
    case CORE_OP_CONV:
    case CORE_OP_INNERPRODUCT:
        rc = infer_conv(model, layer, in, &out);
        break;
    case CORE_OP_POOL: {
        core_pool_desc *p = &layer->pool;
        if (p->global) {
            out.h = out.w = 1;
        } else {
            out.h = pool_out(in.h, p->k, p->s, p->pad_t, p->pad_b, p->ceil_mode);
            out.w = pool_out(in.w, p->k, p->s, p->pad_l, p->pad_r, p->ceil_mode);
        }
        break;
    }
    case CORE_OP_CONCAT:
        out.c = 0;
        for (int i = 0; i < layer->n_in; i++) {
            core_shape s = b[layer->in[i]].shape;
            if (s.h != in.h || s.w != in.w)
                return LFAIL(MASO_EMODEL, "concatenated blobs differ in height or width");
            out.c += s.c;
        }
        break;
    case CORE_OP_BATCHNORM:
        if (layer->bn_channels != in.c)
            return LFAIL(MASO_EMODEL, "channel count does not match its input");
        break;
    default:
        break;
    }
    if (rc)
        return rc;
    if (out.c < 1 || out.h < 1 || out.w < 1)
        return LFAIL(MASO_EMODEL, "input too small: empty output");
    if ((long long)out.c * out.h * out.w > (1LL << 31))
        return LFAIL(MASO_EUNSUPPORTED, "output blob too large");
    for (int i = 0; i < layer->n_out; i++)
        b[layer->out[i]].shape = out;
    return 0;
}
