/*
 * sampled.c -- a convolution computed only at the units a sketch samples
 * (maso_forward_limit_to_sketch()), with the code bits the whole
 * convolution would give them.
 *
 * Only where the same arithmetic can be repeated unit by unit:
 *   - int8 (any kernel shape): the u8 x s8 sums are exact integers in any
 *     order, and the epilogue is core_gemm8_finish()'s float operations,
 *     as every int8 kernel set does them (gemm_int8_internal.h);
 *   - fp32 1x1 stride-1 convolutions through the GEMM (no Winograd, more
 *     than one column), in every kernel set: the sum of one output is, in
 *     the AVX-512 and AVX2 sets, a chain of fused multiply-adds over k in
 *     order from 0, then + bias, which a chain of vector FMAs one unit a
 *     lane repeats exactly (sampled_plan.c, the units grouped by input
 *     pixel); in plain C the same chain of rounded products and sums,
 *     repeated by the same C expression (here).
 * The input is read as the whole convolution reads it: int8 rounds the
 * whole input with its own maximum first (the scale is the tensor's).
 */
#include "kernels/cpu_internal.h"
#include "kernels/gemm_internal.h"
#include "kernels/gemm_int8_internal.h"
#include "net/layers_internal.h"

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

static int channels4(int c)
{
    return (c + 3) & ~3;
}

int core_conv_sampled_supported(const core_conv_desc *c, core_shape out)
{
    if (c->act == CORE_ACT_NONE) /* no code bits to give */
        return 0;
    if (c->qweight)
        return 1;
    /* unit and pixel indices are 32-bit (units, sampled_plan.c's pixels) */
    const size_t k = c->num_output > 0
                         ? (size_t)c->weight_count / (size_t)c->num_output : 0;
    const size_t plane = (size_t)out.h * out.w;
    if (plane * k >= INT_MAX ||
        ((size_t)c->num_output + CORE_GEMM_MR) * k >= INT_MAX)
        return 0;
    return c->packed && !c->winograd && c->kw == 1 && c->kh == 1 &&
           c->sw == 1 && c->sh == 1 && plane > 1;
}

/* Bit @p unit of @p bits set when @p on. */
static void put_bit(uint8_t *bits, uint32_t unit, int on)
{
    if (on)
        bits[unit / 8] |= (uint8_t)(1u << (unit % 8));
}

/* The int8 sum of output channel @p m at output pixel (oy, ox): the packed
 * weights of row m (panel layout of gemm_int8_internal.h) against the
 * input's 4-channel pixel words, taps outside the input contributing 0. */
static int32_t sum8(const core_conv_desc *c, core_shape in,
                    const uint32_t *pix, int m, int oy, int ox)
{
    const int c4 = channels4(in.c), groups = c4 / 4, mr = CORE_GEMM8_MR;
    const int kp = core_gemm8_kpad(core_conv8_k(c, in.c));
    const int8_t *panel = c->qweight + (size_t)(m / mr) * mr * kp +
                          (size_t)(m % mr) * 4;
    const size_t plane = (size_t)in.h * in.w;
    int32_t sum = 0;
    for (int ky = 0; ky < c->kh; ky++) {
        const int iy = oy * c->sh - c->pad_t + ky * c->dh;
        if (iy < 0 || iy >= in.h)
            continue;
        for (int kx = 0; kx < c->kw; kx++) {
            const int ix = ox * c->sw - c->pad_l + kx * c->dw;
            if (ix < 0 || ix >= in.w)
                continue;
            const int tap = ky * c->kw + kx;
            const uint32_t *b = pix + (size_t)iy * in.w + ix;
            for (int g = 0; g < groups; g++) {
                const uint32_t word = b[(size_t)g * plane];
                const int8_t *w = panel + (size_t)(tap * groups + g) * mr * 4;
                for (int t = 0; t < 4; t++)
                    sum += (int32_t)((word >> (8 * t)) & 0xff) * w[t];
            }
        }
    }
    return sum;
}

/* Whether sums8_vnni() takes convolution @p c: 1x1 stride 1 with AVX-512
 * VNNI, and room in the workspace for the pixel-major copy and the sums. */
#if defined(__GNUC__) && defined(__x86_64__)
static int vnni_sampled(const core_conv_desc *c, core_shape in, size_t n,
                        size_t workspace_bytes)
{
    const size_t gpad = (size_t)((channels4(in.c) / 4 + 15) & ~15);
    const size_t need = (size_t)channels4(in.c) * in.h * in.w +
                        gpad * 4 * in.h * in.w + 4 * n + 128;
    return (core_gemm8_isa)c->qisa == CORE_GEMM8_AVX512VNNI &&
           c->kw == 1 && c->kh == 1 && c->sw == 1 && c->sh == 1 &&
           need <= workspace_bytes;
}
#endif

#if defined(__GNUC__) && defined(__x86_64__)
static void sums8_vnni(const core_conv_desc *c, core_shape in,
                       core_shape out, const uint32_t *pix,
                       uint32_t *by_pixel, const uint32_t *units, size_t n,
                       int32_t *sums);
#endif

/* The input pixel a 1x1 stride-1 convolution reads for output pixel @p p,
 * or -1 on the padded border. */
static int input_pixel(const core_conv_desc *c, core_shape in, core_shape out,
                       int p)
{
    const int iy = p / out.w - c->pad_t, ix = p % out.w - c->pad_l;
    return iy >= 0 && iy < in.h && ix >= 0 && ix < in.w ? iy * in.w + ix
                                                         : -1;
}

int core_conv_sampled_pixel(const core_conv_desc *c, core_shape in,
                            core_shape out, uint32_t unit)
{
    return input_pixel(c, in, out, (int)(unit % ((size_t)out.h * out.w)));
}

/* fp32, plain C set: gemm_plain.c's chain for each unit, written as the
 * same expression (acc + w * b, over k in order from 0; 0 on the padded
 * border), then + bias. */
static void run32_plain(const core_conv_desc *c, core_shape in,
                        const float *src, core_shape out,
                        const uint32_t *units, size_t n, uint8_t *bits)
{
    const size_t plane = (size_t)in.h * in.w, oplane = (size_t)out.h * out.w;
    const int k = in.c, mr = CORE_GEMM_MR;
    for (size_t i = 0; i < n; i++) {
        const int m = (int)(units[i] / oplane);
        const int ip = input_pixel(c, in, out, (int)(units[i] % oplane));
        float acc = 0.0f;
        if (ip >= 0) {
            const float *pw = c->packed + (size_t)(m / mr) * mr * k + m % mr;
            const float *b = src + ip;
            for (int q = 0; q < k; q++)
                acc = acc + pw[(size_t)q * mr] * b[(size_t)q * plane];
        }
        const float y = acc + (c->bias ? c->bias[m] : 0.0f);
        put_bit(bits, units[i], y > 0.0f);
    }
}

static void run8(const core_conv_desc *c, core_shape in, const float *src,
                 core_shape out, void *workspace, size_t workspace_bytes,
                 const uint32_t *units, size_t n, uint8_t *bits)
{
    const core_gemm8_isa isa = (core_gemm8_isa)c->qisa;
    const size_t plane = (size_t)in.h * in.w, oplane = (size_t)out.h * out.w;
    const float scale = c->qoffset ? 1.0f
                        : core_gemm8_input_scale(isa, src,
                                                 (size_t)in.c * plane);
    uint8_t *pixels = workspace;
    core_gemm8_pack_pixels(isa, src, in.c, plane, scale, c->qoffset, pixels);
    const uint32_t *pix = (const uint32_t *)(void *)pixels;
    int32_t *sums = NULL;
#if defined(__GNUC__) && defined(__x86_64__)
    if (vnni_sampled(c, in, n, workspace_bytes)) {
        uint32_t *by_pixel =
            (uint32_t *)(void *)(pixels + (size_t)channels4(in.c) * plane);
        const size_t gpad = (size_t)((channels4(in.c) / 4 + 15) & ~15);
        sums = (int32_t *)(void *)(by_pixel + gpad * plane);
        sums8_vnni(c, in, out, pix, by_pixel, units, n, sums);
    }
#endif
    const float *bias = c->qbias ? c->qbias : c->bias;
    for (size_t i = 0; i < n; i++) {
        const int m = (int)(units[i] / oplane);
        const int p = (int)(units[i] % oplane);
        const int32_t sum = sums ? sums[i]
                                 : sum8(c, in, pix, m, p / out.w, p % out.w);
        int bit;
        (void)core_gemm8_finish(sum, c->qscale[m] * scale,
                                bias ? bias[m] : 0.0f, c->act, c->slope,
                                &bit);
        put_bit(bits, units[i], bit);
    }
}

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>

/* int8 with AVX-512 VNNI: per unit, 16 groups of 4 channels a vector: the
 * input's words of that pixel (transposed once to pixel-major) against
 * the row's weight words gathered from its panel; exact int32 sums, so the
 * order does not matter.  For 1x1 stride-1 convolutions (conv10); others
 * take the plain loop. */
CORE_TARGET_AVX512VNNI static void sums8_vnni(const core_conv_desc *c,
                                              core_shape in, core_shape out,
                                              const uint32_t *pix,
                                              uint32_t *by_pixel,
                                              const uint32_t *units, size_t n,
                                              int32_t *sums)
{
    const int groups = channels4(in.c) / 4, mr = CORE_GEMM8_MR;
    const int kp = core_gemm8_kpad(core_conv8_k(c, in.c));
    const size_t plane = (size_t)in.h * in.w, oplane = (size_t)out.h * out.w;
    const int gpad = (groups + 15) & ~15;
    for (size_t p = 0; p < plane; p++) {
        for (int g = 0; g < groups; g++)
            by_pixel[p * gpad + g] = pix[(size_t)g * plane + p];
        for (int g = groups; g < gpad; g++)
            by_pixel[p * gpad + g] = 0;
    }
    const __m512i gidx = _mm512_mullo_epi32(
        _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
                          15),
        _mm512_set1_epi32(mr)); /* words between groups in a panel */
    for (size_t i = 0; i < n; i++) {
        const int m = (int)(units[i] / oplane);
        const int ip = input_pixel(c, in, out, (int)(units[i] % oplane));
        if (ip < 0) {
            sums[i] = 0;
            continue;
        }
        const int32_t *panel =
            (const int32_t *)(const void *)(c->qweight +
                                            (size_t)(m / mr) * mr * kp) +
            m % mr;
        const uint32_t *b = by_pixel + (size_t)ip * gpad;
        __m512i acc = _mm512_setzero_si512();
        for (int g = 0; g < groups; g += 16) {
            const __mmask16 live = groups - g >= 16
                ? (__mmask16)0xffff : (__mmask16)((1u << (groups - g)) - 1u);
            __m512i w = _mm512_mask_i32gather_epi32(
                _mm512_setzero_si512(), live, gidx, panel + (size_t)g * mr, 4);
            acc = _mm512_dpbusd_epi32(acc, _mm512_loadu_si512(b + g), w);
        }
        sums[i] = _mm512_reduce_add_epi32(acc);
    }
}
#endif

void core_conv_run_sampled(const core_conv_desc *c, core_shape in,
                           const float *src, core_shape out, void *workspace,
                           size_t workspace_bytes, const uint32_t *units,
                           size_t n, const core_sample_plan *plan,
                           uint8_t *bits)
{
    if (!bits)
        return;
    if (c->qweight) {
        run8(c, in, src, out, workspace, workspace_bytes, units, n, bits);
        return;
    }
    if (plan) {
        core_sample_plan_run(plan, src, bits);
        return;
    }
    run32_plain(c, in, src, out, units, n, bits);
}
