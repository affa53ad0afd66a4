/* conv_int8.c -- a convolution through the int8 GEMM (gemm_int8.h).
 *
 * The GEMM's K runs tap-major: k = (ky*kw + kx)*C4 + ch with C4 the input
 * channels rounded up to 4 (the extra channels have zero weights), so each
 * group of 4 along K is 4 channels of one input pixel.  The input is
 * rounded per tensor to uint8 straight into that form, 4 channels
 * interleaved per pixel ([C4/4][H*W] 32-bit words); for a 1x1 stride-1
 * convolution that is the GEMM's packed input as it stands, and for any
 * other shape im2col copies whole 32-bit words (runs of them along a row
 * for stride 1) instead of gathering bytes.
 *
 * The activation scale is the input's own maximum (max/255), taken for
 * every image: no calibration set to ship, and an image with unusually
 * bright activations is not clipped.  The network's first convolution
 * reads the pixels themselves: its input is pixel - mean (preprocessing
 * scale 1), so input + mean are integers 0..255, exact in uint8 with scale
 * 1, and the mean's product with the weights moves into the bias (an
 * unpadded convolution sees no padding that would break this). */
#include "kernels/cpu_internal.h"
#include "kernels/gemm_int8_internal.h"
#include "net/layers_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__) && defined(__x86_64__)
#define CONV8_HAVE_X86 1
#include <immintrin.h>
#endif

static int channels4(int c)
{
    return (c + 3) & ~3;
}

/* The input is its own column matrix: 1x1, stride 1, no padding. */
static int is_pointwise8(const core_conv_desc *c)
{
    return c->kw == 1 && c->kh == 1 && c->sw == 1 && c->sh == 1 &&
           !(c->pad_l | c->pad_r | c->pad_t | c->pad_b);
}

int core_conv8_k(const core_conv_desc *c, int in_channels)
{
    return c->kh * c->kw * channels4(in_channels);
}

size_t core_conv8_workspace(const core_conv_desc *c, core_shape in,
                            core_shape out)
{
    size_t pixels = (size_t)channels4(in.c) * in.h * in.w;
    size_t columns = is_pointwise8(c) ? 0
                     : (size_t)core_conv8_k(c, in.c) * out.h * out.w;
    return (pixels + columns + 63) & ~(size_t)63;
}

int core_conv8_pack_weights(const core_conv_desc *c, int in_channels,
                            int8_t *packed, float *scales)
{
    const int taps = c->kh * c->kw, c4 = channels4(in_channels);
    const int k = taps * c4;
    float *w = calloc((size_t)c->num_output * k, sizeof *w);
    if (!w)
        return ENOMEM;
    for (int o = 0; o < c->num_output; o++)
        for (int ch = 0; ch < in_channels; ch++)
            for (int t = 0; t < taps; t++)
                w[(size_t)o * k + (size_t)t * c4 + ch] =
                    c->weight[((size_t)o * in_channels + ch) * taps + t];
    core_gemm8_pack(w, c->num_output, k, packed, scales);
    free(w);
    return 0;
}

int core_conv8_fold_offset(core_conv_desc *c, int in_channels,
                           const float *mean)
{
    const int taps = c->kh * c->kw, c4 = channels4(in_channels);
    const int kp = core_gemm8_kpad(taps * c4), mr = CORE_GEMM8_MR;
    if (!c->qsums) {
        c->qsums = calloc((size_t)c->num_output * in_channels,
                          sizeof *c->qsums);
        if (!c->qsums)
            return ENOMEM;
        for (int o = 0; o < c->num_output; o++) {
            const int8_t *panel = c->qweight + (size_t)(o / mr) * mr * kp +
                                  (size_t)(o % mr) * 4;
            for (int t = 0; t < taps; t++)
                for (int ch = 0; ch < in_channels; ch++) {
                    int k = t * c4 + ch;
                    c->qsums[(size_t)o * in_channels + ch] +=
                        panel[(size_t)(k / 4) * mr * 4 + k % 4];
                }
        }
    }
    if (!c->qoffset)
        c->qoffset = malloc(sizeof(float) * (size_t)in_channels);
    if (!c->qbias)
        c->qbias = malloc(sizeof(float) * (size_t)c->num_output);
    if (!c->qoffset || !c->qbias)
        return ENOMEM;
    memcpy(c->qoffset, mean, sizeof(float) * (size_t)in_channels);
    /* sum_k w (p - mean) = sum_k w p - sum_ch mean[ch] sum_taps w */
    for (int o = 0; o < c->num_output; o++) {
        double folded = 0;
        for (int ch = 0; ch < in_channels; ch++)
            folded += (double)mean[ch] *
                      c->qsums[(size_t)o * in_channels + ch];
        c->qbias[o] = (float)((double)c->bias[o] - c->qscale[o] * folded);
    }
    return 0;
}

#ifdef CONV8_HAVE_X86
/* One row of the column matrix with AVX-512 (the VNNI set's CPUs have
 * it), 16 words a vector: r[ox] = s[x0 + sw*ox] (sw 1 or 2) where that is
 * inside [0, w), else 0.  Masked loads read only the words inside (stride
 * 1: a run; stride 2: the even words of two vectors) and leave the others
 * 0, so the borders need no separate zeroing and no row costs a library
 * call. */
CORE_TARGET_AVX512
static void im2col_row_avx512(uint32_t *r, int cols, const uint32_t *s,
                              int x0, int sw, int w)
{
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18,
                                           20, 22, 24, 26, 28, 30);
    for (int ox = 0; ox < cols; ox += 16) {
        const int left = cols - ox;
        const __mmask16 store = left >= 16 ? (__mmask16)0xffff
                                           : (__mmask16)((1u << left) - 1u);
        /* input words ix + i, i = 0 .. 31, inside [0, w): lo <= i < hi */
        const int ix = x0 + sw * ox;
        const int lo = ix < 0 ? -ix : 0, hi = w - ix;
        __m512i v = _mm512_setzero_si512();
        if (hi > 0 && sw == 1) {
            const uint32_t m = (hi >= 16 ? 0xffffu : (1u << hi) - 1u) &
                               (0xffffu << (lo > 16 ? 16 : lo));
            v = _mm512_maskz_loadu_epi32((__mmask16)m, s + ix);
        } else if (hi > 0) {
            const uint64_t m = (hi >= 32 ? ~0ull : (1ull << hi) - 1u) &
                               (~0ull << (lo > 32 ? 32 : lo));
            v = _mm512_permutex2var_epi32(
                _mm512_maskz_loadu_epi32((__mmask16)m, s + ix), even,
                _mm512_maskz_loadu_epi32((__mmask16)(m >> 16), s + ix + 16));
        }
        _mm512_mask_storeu_epi32(r + ox, store, v);
    }
}
#endif

/* im2col in 32-bit words: row (ky*kw + kx)*(C4/4) + g, column oy*ow + ox,
 * is pixel word [g][iy][ix], 0 outside the input; rows with AVX-512 when
 * @p avx512 (strides 1 and 2). */
static void im2col_words(const core_conv_desc *c, core_shape in,
                         const uint32_t *pix, core_shape out, uint32_t *b,
                         int avx512)
{
    const int groups = channels4(in.c) / 4;
    const size_t n = (size_t)out.h * out.w, plane = (size_t)in.h * in.w;
    avx512 = avx512 && (c->sw == 1 || c->sw == 2);
    for (int ky = 0; ky < c->kh; ky++) {
        for (int kx = 0; kx < c->kw; kx++) {
            const int x0 = kx * c->dw - c->pad_l;
            /* ox range whose ix = x0 + ox*sw lies inside [0, in.w) */
            int lo = x0 < 0 ? (-x0 + c->sw - 1) / c->sw : 0;
            int hi = in.w - x0 <= 0 ? 0 : (in.w - x0 - 1) / c->sw + 1;
            hi = hi > out.w ? out.w : hi;
            lo = lo > hi ? hi : lo;
            for (int g = 0; g < groups; g++) {
                uint32_t *row =
                    b + ((size_t)(ky * c->kw + kx) * groups + g) * n;
                const uint32_t *src = pix + (size_t)g * plane;
                for (int oy = 0; oy < out.h; oy++) {
                    uint32_t *r = row + (size_t)oy * out.w;
                    const int iy = oy * c->sh - c->pad_t + ky * c->dh;
                    if (iy < 0 || iy >= in.h) {
                        memset(r, 0, sizeof *r * (size_t)out.w);
                        continue;
                    }
                    const uint32_t *s = src + (size_t)iy * in.w;
#ifdef CONV8_HAVE_X86
                    if (avx512) {
                        im2col_row_avx512(r, out.w, s, x0, c->sw, in.w);
                        continue;
                    }
#endif
                    memset(r, 0, sizeof *r * (size_t)lo);
                    if (c->sw == 1)
                        memcpy(r + lo, s + x0 + lo,
                               sizeof *r * (size_t)(hi - lo));
                    else
                        for (int ox = lo; ox < hi; ox++)
                            r[ox] = s[x0 + ox * c->sw];
                    memset(r + hi, 0, sizeof *r * (size_t)(out.w - hi));
                }
            }
        }
    }
}

void core_conv8_run(const core_conv_desc *c, core_shape in, const float *src,
                    core_shape out, const core_gemm_out *o, void *workspace)
{
    const core_gemm8_isa isa = (core_gemm8_isa)c->qisa;
    const size_t plane = (size_t)in.h * in.w;
    uint8_t *pixels = workspace;
    /* integer pixels (first layer): scale 1; else the input's maximum */
    const float scale = c->qoffset ? 1.0f
                        : core_gemm8_input_scale(isa, src,
                                                 (size_t)in.c * plane);
    core_gemm8_pack_pixels(isa, src, in.c, plane, scale, c->qoffset, pixels);
    const uint8_t *packed = pixels;
    if (!is_pointwise8(c)) {
        uint8_t *columns = pixels + (size_t)channels4(in.c) * plane;
        im2col_words(c, in, (const uint32_t *)(const void *)pixels, out,
                     (uint32_t *)(void *)columns,
                     isa == CORE_GEMM8_AVX512VNNI);
        packed = columns;
    }
    const core_gemm8_args a = {c->qweight, c->qscale, packed, scale,
                               c->num_output, out.h * out.w,
                               core_conv8_k(c, in.c)};
    core_gemm8_run(isa, &a, o);
}
