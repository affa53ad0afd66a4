/* conv.c -- convolution as one GEMM: out[M][N] = W[M][K] * col[K][N] with
 * M output channels, K = in_channels*kh*kw, N = out_h*out_w.  The column
 * matrix is the input itself for a 1x1 stride-1 unpadded convolution and for
 * a kernel covering the whole unpadded input (an inner product); otherwise
 * im2col builds it in the context's workspace.
 *
 * The GEMM is the model's fp32 kernel set (kernels/gemm_internal.h:
 * AVX-512, AVX2 + FMA or plain C) over weights packed at model load, with
 * bias, activation and code bits fused into its stores.
 *
 * A padded 1x1 stride-1 convolution (SqueezeNet's conv10) multiplies only
 * the unpadded interior: the border outputs see nothing but zero padding,
 * so they are the bias alone.  3x3 stride-1 pad-1 convolutions go through
 * Winograd F(2x2, 3x3) (winograd.c) in every kernel set.
 *
 * With int8 precision, every convolution whose input is >= 0 (it comes out
 * of ReLUs, max pools and concatenations of them), and the first one when
 * its input is integer pixels minus the mean, runs through
 * kernels/conv_int8.c instead, on any CPU; the others stay fp32. */
#include "kernels/cpu_internal.h"
#include "kernels/gemm_internal.h"
#include "kernels/gemm_int8_internal.h"
#include "net/layers_internal.h"
#include "net/winograd_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The column matrix equals the input: no im2col needed. */
static int is_direct(const core_conv_desc *c, core_shape in)
{
    int unpadded = !(c->pad_l | c->pad_r | c->pad_t | c->pad_b);
    int pointwise = c->kw == 1 && c->kh == 1 && c->sw == 1 && c->sh == 1;
    int whole = c->kw == in.w && c->kh == in.h;
    return unpadded && (pointwise || whole);
}

/* 1x1 stride-1 with padding: the output is the input's product framed by
 * a border of bias values. */
static int is_padded_pointwise(const core_conv_desc *c)
{
    int pointwise = c->kw == 1 && c->kh == 1 && c->sw == 1 && c->sh == 1;
    return pointwise && (c->pad_l | c->pad_r | c->pad_t | c->pad_b) &&
           c->pad_l >= 0 && c->pad_r >= 0 && c->pad_t >= 0 && c->pad_b >= 0;
}

/* Winograd where the weights were transformed for it. */
static int uses_winograd(const core_conv_desc *c)
{
    return c->packed && c->winograd;
}

/* Floats of the padded 1x1 convolution's interior product. */
static size_t interior_floats(const core_conv_desc *c, core_shape in)
{
    return (size_t)c->num_output * in.h * in.w;
}

size_t core_conv_workspace(const core_conv_desc *c, core_shape in,
                           core_shape out)
{
    if (c->qweight) {
        /* the interior (padded 1x1), then the int8 operands */
        size_t head = is_padded_pointwise(c) ? interior_floats(c, in) : 0;
        core_shape inner = head ? in : out;
        return ((head + 15) & ~(size_t)15) +
               (core_conv8_workspace(c, in, inner) + 3) / 4;
    }
    if (uses_winograd(c))
        return core_winograd_workspace(c->num_output, in);
    if (is_direct(c, in))
        return 0;
    size_t col = (size_t)in.c * c->kh * c->kw * (size_t)out.h * out.w;
    size_t inner = interior_floats(c, in);
    return is_padded_pointwise(c) && inner > col ? inner : col;
}

/* Blob @p b holds no negative value whatever the input: it comes out of
 * a ReLU (or a convolution with a fused ReLU), or out of max pooling,
 * concatenation or aliasing of such blobs. */
static int is_nonnegative(const maso_model *model, int b, int depth)
{
    const core_layer *l = &model->layers[model->blobs[b].producer];
    if (depth > model->n_layers)
        return 0;
    switch (l->op) {
    case CORE_OP_RELU:
        return l->slope == 0.0f;
    case CORE_OP_CONV:
    case CORE_OP_INNERPRODUCT:
        return l->conv.act == CORE_ACT_RELU;
    case CORE_OP_POOL:
    case CORE_OP_ALIAS:
        return is_nonnegative(model, l->in[0], depth + 1);
    case CORE_OP_CONCAT:
        for (int k = 0; k < l->n_in; k++)
            if (!is_nonnegative(model, l->in[k], depth + 1))
                return 0;
        return 1;
    default:
        return 0;
    }
}

/* @p l is a convolution of the network input whose values are integer
 * pixels minus the mean (preprocessing scale 1 on every channel) and that
 * pads nothing: int8 reads the pixels exactly (kernels/conv_int8.c). */
static int reads_pixels(const maso_model *model, const core_layer *l)
{
    const core_conv_desc *c = &l->conv;
    if (l->op != CORE_OP_CONV || l->in[0] != model->input_blob ||
        model->blobs[l->in[0]].shape.c != 3 ||
        (c->pad_l | c->pad_r | c->pad_t | c->pad_b))
        return 0;
    for (int ch = 0; ch < 3; ch++)
        if (model->pre.scale[ch] != 1.0f)
            return 0;
    return 1;
}

int core_conv_preprocess_changed(maso_model *model)
{
    for (int i = 0; i < model->n_layers; i++) {
        core_layer *l = &model->layers[i];
        if (l->op != CORE_OP_CONV || !l->conv.qoffset)
            continue;
        if (!reads_pixels(model, l))
            return core_model_fail(model, MASO_EINVAL_ARG, "with int8 "
                                   "precision the preprocessing scale must "
                                   "stay 1 once the model is loaded (layer "
                                   "'%s' reads integer pixels); set it "
                                   "before maso_model_load()", l->name);
        /* the sums are kept: nothing to allocate */
        core_conv8_fold_offset(&l->conv, 3, model->pre.mean);
    }
    return 0;
}

/* Round @p c's weights to int8 for the kernel set @p isa. */
static int prepare_int8(maso_model *model, const core_layer *l,
                        core_conv_desc *c, core_gemm8_isa isa)
{
    const int ch = model->blobs[l->in[0]].shape.c;
    c->qweight = malloc(
        core_gemm8_packed_bytes(c->num_output, core_conv8_k(c, ch)));
    c->qscale = malloc(sizeof(float) * (size_t)c->num_output);
    if (!c->qweight || !c->qscale ||
        core_conv8_pack_weights(c, ch, c->qweight, c->qscale) != 0)
        return core_model_fail(model, ENOMEM, "layer '%s': out of memory "
                               "rounding weights to int8", l->name);
    c->qisa = (int)isa;
    return 0;
}

int core_conv_prepare_all(maso_model *model)
{
    if (model->kernels == MASO_MODEL_KERNELS_BEST && core_gemm_avx512_usable())
        model->simd = CORE_SIMD_AVX512;
    else if (model->kernels != MASO_MODEL_KERNELS_SCALAR &&
             core_cpu_supports(CORE_CPU_AVX2))
        model->simd = CORE_SIMD_AVX2;
    else
        model->simd = CORE_SIMD_NONE;
    const core_gemm_isa isa32 = core_gemm_best(
        model->kernels == MASO_MODEL_KERNELS_BEST       ? CORE_GEMM_AVX512
        : model->kernels == MASO_MODEL_KERNELS_PORTABLE ? CORE_GEMM_AVX2
                                                        : CORE_GEMM_PLAIN);
    const core_gemm8_isa isa8 = core_gemm8_best(
        model->kernels == MASO_MODEL_KERNELS_BEST       ? CORE_GEMM8_AVX512VNNI
        : model->kernels == MASO_MODEL_KERNELS_PORTABLE ? CORE_GEMM8_AVX2
                                                        : CORE_GEMM8_SCALAR);
    for (int i = 0; i < model->n_layers; i++) {
        core_layer *l = &model->layers[i];
        l->pool.simd = model->simd;
        l->conv.simd = model->simd;
        if (l->op != CORE_OP_CONV && l->op != CORE_OP_INNERPRODUCT)
            continue;
        core_conv_desc *c = &l->conv;
        const int ch = model->blobs[l->in[0]].shape.c;
        const int k = ch * c->kh * c->kw;
        const int pixels = reads_pixels(model, l);
        if (model->precision == MASO_PRECISION_INT8 &&
            (pixels || is_nonnegative(model, l->in[0], 0))) {
            int rc = prepare_int8(model, l, c, isa8);
            if (rc == 0 && pixels &&
                core_conv8_fold_offset(c, ch, model->pre.mean) != 0)
                rc = core_model_fail(model, ENOMEM, "layer '%s': out of "
                                     "memory folding the mean", l->name);
            if (rc)
                return rc;
            continue;
        }
        c->gemm = (int)isa32;
        c->winograd = l->op == CORE_OP_CONV && core_winograd_applies(c);
        size_t n = c->winograd ? core_winograd_packed_floats(c->num_output, ch)
                               : core_gemm_packed_floats(c->num_output, k);
        c->packed = malloc(sizeof(float) * n);
        if (!c->packed)
            return core_model_fail(model, ENOMEM,
                                   "layer '%s': out of memory packing weights",
                                   l->name);
        if (c->winograd)
            core_winograd_pack(c->weight, c->num_output, ch, c->packed);
        else
            core_gemm_pack(c->weight, c->num_output, k, c->packed);
    }
    return 0;
}

/* col[(ch*kh + ky)*kw + kx][oy*ow + ox] = in[ch][iy][ix], 0 outside. */
static void im2col(const core_conv_desc *c, core_shape in, const float *src,
                   core_shape out, float *col)
{
    const size_t n = (size_t)out.h * out.w;
    for (int ch = 0; ch < in.c; ch++) {
        const float *plane = src + (size_t)ch * in.h * in.w;
        for (int ky = 0; ky < c->kh; ky++) {
            for (int kx = 0; kx < c->kw; kx++) {
                float *row = col + ((size_t)(ch * c->kh + ky) * c->kw + kx) * n;
                const int x0 = kx * c->dw - c->pad_l;
                /* ox range whose ix = x0 + ox*sw lies inside [0, in.w) */
                int lo = x0 < 0 ? (-x0 + c->sw - 1) / c->sw : 0;
                int hi = in.w - x0 <= 0 ? 0 : (in.w - x0 - 1) / c->sw + 1;
                if (hi > out.w)
                    hi = out.w;
                if (lo > hi)
                    lo = hi;
                for (int oy = 0; oy < out.h; oy++) {
                    float *r = row + (size_t)oy * out.w;
                    const int iy = oy * c->sh - c->pad_t + ky * c->dh;
                    if (iy < 0 || iy >= in.h) {
                        memset(r, 0, sizeof(float) * (size_t)out.w);
                        continue;
                    }
                    const float *s = plane + (size_t)iy * in.w;
                    memset(r, 0, sizeof(float) * (size_t)lo);
                    if (c->sw == 1) {
                        memcpy(r + lo, s + x0 + lo,
                               sizeof(float) * (size_t)(hi - lo));
                    } else {
                        for (int ox = lo; ox < hi; ox++)
                            r[ox] = s[x0 + ox * c->sw];
                    }
                    memset(r + hi, 0, sizeof(float) * (size_t)(out.w - hi));
                }
            }
        }
    }
}

/* Padded 1x1 convolution: GEMM over the input into @p workspace, framed
 * by zeros into @p dst, then bias + activation + bits over whole planes. */
static void conv_padded_pointwise(const core_conv_desc *c, core_shape in,
                                  const float *src, core_shape out,
                                  float *dst, float *workspace, uint8_t *bits)
{
    const int m = c->num_output, n = in.h * in.w;
    if (c->qweight) {
        /* the same convolution without its padding, into the interior */
        core_conv_desc inner = *c;
        inner.pad_l = inner.pad_r = inner.pad_t = inner.pad_b = 0;
        core_gemm_out raw = {workspace, (size_t)n, NULL, CORE_ACT_NONE, 0.0f,
                             NULL};
        core_conv8_run(&inner, in, src, in, &raw,
                       workspace + ((interior_floats(c, in) + 15) &
                                    ~(size_t)15));
    } else {
        core_gemm_out raw = {workspace, (size_t)n, NULL, CORE_ACT_NONE, 0.0f,
                             NULL};
        core_gemm_run((core_gemm_isa)c->gemm, c->packed, m, n, in.c, src,
                      (size_t)n, &raw);
    }
    const size_t plane = (size_t)out.h * out.w;
    memset(dst, 0, sizeof(float) * plane * (size_t)m);
    for (int o = 0; o < m; o++)
        for (int y = 0; y < in.h; y++)
            memcpy(dst + o * plane + (size_t)(y + c->pad_t) * out.w + c->pad_l,
                   workspace + (size_t)o * n + (size_t)y * in.w,
                   sizeof(float) * (size_t)in.w);
    core_act_apply(dst, dst, m, plane, c->bias, c->act, c->slope, bits,
                   c->simd);
}

void core_conv_run(const core_conv_desc *c, core_shape in, const float *src,
                   core_shape out, float *dst, float *workspace,
                   uint8_t *bits)
{
    if (uses_winograd(c)) {
        core_gemm_out o = {dst, (size_t)in.w, c->bias, c->act, c->slope, bits};
        core_winograd_run((core_gemm_isa)c->gemm, c->packed, c->num_output,
                          in, src, &o, workspace);
        return;
    }
    if (c->qweight && !is_padded_pointwise(c)) {
        core_gemm_out o = {dst, (size_t)out.h * out.w,
                           c->qbias ? c->qbias : c->bias, c->act, c->slope,
                           bits};
        core_conv8_run(c, in, src, out, &o, workspace);
        return;
    }
    if (is_padded_pointwise(c) && out.w == in.w + c->pad_l +
        c->pad_r && out.h == in.h + c->pad_t + c->pad_b) {
        conv_padded_pointwise(c, in, src, out, dst, workspace, bits);
        return;
    }
    const int m = c->num_output;
    const int k = in.c * c->kh * c->kw;
    const int n = out.h * out.w;
    const float *col = src;
    if (!is_direct(c, in)) {
        im2col(c, in, src, out, workspace);
        col = workspace;
    }
    core_gemm_out o = {dst, (size_t)n, c->bias, c->act, c->slope, bits};
    core_gemm_run((core_gemm_isa)c->gemm, c->packed, m, n, k, col, (size_t)n,
                  &o);
}
