/* conv.c -- convolution as one GEMM: out[M][N] = W[M][K] * col[K][N] with
 * M output channels, K = in_channels*kh*kw, N = out_h*out_w.  The column
 * matrix is the input itself for a 1x1 stride-1 unpadded convolution and for
 * a kernel covering the whole unpadded input (an inner product); otherwise
 * im2col builds it in the context's workspace.  Bias, activation and code
 * bits follow in one pass (activation.c). */
#include "layers.h"

#include <cblas.h>
#include <string.h>

/* The column matrix equals the input: no im2col needed. */
static int is_direct(const maso_conv_desc *c, maso_shape in)
{
    int unpadded = !(c->pad_l | c->pad_r | c->pad_t | c->pad_b);
    int pointwise = c->kw == 1 && c->kh == 1 && c->sw == 1 && c->sh == 1;
    int whole = c->kw == in.w && c->kh == in.h;
    return unpadded && (pointwise || whole);
}

size_t maso_conv_workspace(const maso_conv_desc *c, maso_shape in,
                           maso_shape out)
{
    if (is_direct(c, in))
        return 0;
    return (size_t)in.c * c->kh * c->kw * (size_t)out.h * out.w;
}

/* col[(ch*kh + ky)*kw + kx][oy*ow + ox] = in[ch][iy][ix], 0 outside. */
static void im2col(const maso_conv_desc *c, maso_shape in, const float *src,
                   maso_shape out, float *col)
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

void maso_conv_run(const maso_conv_desc *c, maso_shape in, const float *src,
                   maso_shape out, float *dst, float *workspace,
                   uint8_t *bits)
{
    const int m = c->num_output;
    const int k = in.c * c->kh * c->kw;
    const int n = out.h * out.w;
    const float *col = src;
    if (!is_direct(c, in)) {
        im2col(c, in, src, out, workspace);
        col = workspace;
    }
    if (n == 1)
        cblas_sgemv(CblasRowMajor, CblasNoTrans, m, k, 1.0f, c->weight, k,
                    col, 1, 0.0f, dst, 1);
    else
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f,
                    c->weight, k, col, n, 0.0f, dst, n);
    maso_act_apply(dst, dst, m, (size_t)n, c->bias, c->act, c->slope, bits);
}
