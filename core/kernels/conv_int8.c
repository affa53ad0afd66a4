/* conv_int8.c -- a convolution through the int8 GEMM (gemm_int8.h): the
 * input rounded per tensor to uint8 and laid out in groups of 4 along K
 * (the column matrix of im2col, built from the rounded input: a quarter of
 * the fp32 column matrix's bytes), then one GEMM call whose epilogue adds
 * the bias, applies the activation and writes the code bits.
 *
 * The activation scale is the input's own maximum (max/255), taken for
 * every image: no calibration set to ship, and an image with unusually
 * bright activations is not clipped. */
#include "gemm_int8.h"
#include "layers.h"

#include <string.h>

static int is_direct8(const maso_conv_desc *c, maso_shape in)
{
    int unpadded = !(c->pad_l | c->pad_r | c->pad_t | c->pad_b);
    int pointwise = c->kw == 1 && c->kh == 1 && c->sw == 1 && c->sh == 1;
    int whole = c->kw == in.w && c->kh == in.h;
    return unpadded && (pointwise || whole);
}

size_t maso_conv8_workspace(const maso_conv_desc *c, maso_shape in,
                            maso_shape out)
{
    const int k = in.c * c->kh * c->kw;
    const size_t n = (size_t)out.h * out.w;
    size_t packed = (size_t)maso_gemm8_kpad(k) * n;
    size_t planar = is_direct8(c, in) ? 0 : (size_t)in.c * in.h * in.w;
    return (packed + planar + 63) & ~(size_t)63;
}

/* Rows k .. kpad-1 of the packed input are zero (their weights are too,
 * but the bytes are read). */
static void zero_pad_rows(uint8_t *b, int k, size_t n)
{
    for (int kk = k; kk < maso_gemm8_kpad(k); kk++)
        for (size_t j = 0; j < n; j++)
            b[((size_t)(kk / 4) * n + j) * 4 + kk % 4] = 0;
}

/* The input is the column matrix itself (K x N floats): round it straight
 * into the packed layout. */
static void pack_direct(const float *src, int k, size_t n, float scale,
                        uint8_t *b)
{
    for (int g = 0; g < k / 4; g++) {
        const float *r = src + (size_t)g * 4 * n;
        uint8_t *o = b + (size_t)g * n * 4;
        for (size_t j = 0; j < n; j++)
            for (int t = 0; t < 4; t++)
                o[j * 4 + (size_t)t] = maso_gemm8_round(r[(size_t)t * n + j],
                                                        scale);
    }
    for (int kk = k & ~3; kk < k; kk++)
        for (size_t j = 0; j < n; j++)
            b[((size_t)(kk / 4) * n + j) * 4 + kk % 4] =
                maso_gemm8_round(src[(size_t)kk * n + j], scale);
    zero_pad_rows(b, k, n);
}

/* im2col from the rounded planar input @p q into the packed layout: row
 * (ch*kh + ky)*kw + kx, column oy*ow + ox, 0 outside the input. */
static void pack_im2col(const maso_conv_desc *c, maso_shape in,
                        const uint8_t *q, maso_shape out, uint8_t *b)
{
    const size_t n = (size_t)out.h * out.w;
    for (int ch = 0; ch < in.c; ch++) {
        const uint8_t *plane = q + (size_t)ch * in.h * in.w;
        for (int ky = 0; ky < c->kh; ky++) {
            for (int kx = 0; kx < c->kw; kx++) {
                const int kk = (ch * c->kh + ky) * c->kw + kx;
                uint8_t *row = b + (size_t)(kk / 4) * n * 4 + kk % 4;
                const int x0 = kx * c->dw - c->pad_l;
                for (int oy = 0; oy < out.h; oy++) {
                    uint8_t *r = row + (size_t)oy * out.w * 4;
                    const int iy = oy * c->sh - c->pad_t + ky * c->dh;
                    const uint8_t *s = iy >= 0 && iy < in.h
                                           ? plane + (size_t)iy * in.w
                                           : NULL;
                    for (int ox = 0; ox < out.w; ox++) {
                        const int ix = x0 + ox * c->sw;
                        r[(size_t)ox * 4] =
                            s && ix >= 0 && ix < in.w ? s[ix] : 0;
                    }
                }
            }
        }
    }
    zero_pad_rows(b, in.c * c->kh * c->kw, n);
}

void maso_conv8_run(const maso_conv_desc *c, maso_shape in, const float *src,
                    maso_shape out, const maso_gemm_out *o, void *workspace)
{
    const int k = in.c * c->kh * c->kw;
    const size_t n = (size_t)out.h * out.w;
    const size_t in_n = (size_t)in.c * in.h * in.w;
    uint8_t *packed = workspace;
    const float scale = maso_gemm8_input_scale(src, in_n);
    if (is_direct8(c, in)) {
        pack_direct(src, k, n, scale, packed);
    } else {
        uint8_t *planar = packed + (size_t)maso_gemm8_kpad(k) * n;
        maso_gemm8_quantize(src, in_n, scale, planar);
        pack_im2col(c, in, planar, out, packed);
    }
    const maso_gemm8_args a = {c->qweight, c->qscale, packed, scale,
                               c->num_output, (int)n, k};
    maso_gemm8_run((maso_gemm8_isa)c->qisa, &a, o);
}
