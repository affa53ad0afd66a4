/* layers_internal.h -- the compute kernels of the forward pass.  Internal.
 *
 * Tensors are CHW float32.  Kernels that produce a code write into a code
 * section that the caller has zeroed: RELU bits (unit i = bit i%8 of byte
 * i/8) or MAXPOOL winners (nibble or byte per window). */
#ifndef CORE_LAYERS_INTERNAL_H
#define CORE_LAYERS_INTERNAL_H

#include "net/network_internal.h"

/* Set the low @p count bits of @p word (higher bits zero) at bit @p pos of
 * @p bits by OR; reads and writes the whole 64-bit words they touch, so
 * sections must be padded to 8 bytes (code_layout.c pads to 64). */
static inline void core_bits_put(uint8_t *bits, size_t pos, uint64_t word,
                                 size_t count)
{
    uint8_t *p = bits + (pos >> 6) * 8;
    unsigned s = (unsigned)(pos & 63);
    uint64_t w;
    __builtin_memcpy(&w, p, 8);
    w |= word << s;
    __builtin_memcpy(p, &w, 8);
    if (s && s + count > 64) {
        __builtin_memcpy(&w, p + 8, 8);
        w |= word >> (64 - s);
        __builtin_memcpy(p + 8, &w, 8);
    }
}

/* activation.c: dst[c][i] = act(src[c][i] + bias[c]) (bias may be NULL,
 * src may be dst); when @p bits is not NULL, also set bit c*plane+i of
 * @p bits when the pre-activation is > 0.  @p simd: the vector code
 * allowed (CORE_SIMD_NONE forces the scalar path). */
void core_act_apply(float *dst, const float *src, int channels, size_t plane,
                    const float *bias, core_act act, float slope,
                    uint8_t *bits, core_simd simd);

/* conv.c: floats of im2col workspace the convolution needs (0 for the
 * direct 1x1 path). */
size_t core_conv_workspace(const core_conv_desc *c, core_shape in,
                           core_shape out);

/* conv.c: convolution (or inner product when @p in matches the kernel),
 * bias, activation and code bits in one call. */
void core_conv_run(const core_conv_desc *c, core_shape in, const float *src,
                   core_shape out, float *dst, float *workspace,
                   uint8_t *bits);

/* sampled.c: whether core_conv_run_sampled() gives @p c's code bits as
 * core_conv_run() does (int8; fp32 1x1 stride-1 through any fp32 GEMM set,
 * whose unit indices fit 32 bits; with an activation). */
int core_conv_sampled_supported(const core_conv_desc *c, core_shape out);

/* sampled.c: the input pixel (y * in.w + x) that a 1x1 stride-1
 * convolution reads for @p unit (channel * out.h * out.w + pixel), or -1
 * on the padded border. */
int core_conv_sampled_pixel(const core_conv_desc *c, core_shape in,
                            core_shape out, uint32_t unit);

/* sampled_plan.c: for a convolution that core_conv_sampled_supported()
 * accepts (the caller checks), in fp32 with the AVX-512 or AVX2 kernel
 * set: the @p n sampled @p units grouped by the input pixel they read,
 * with their weights copied lane by lane (core_sample_plan_bytes() of
 * them), made once when a limit is set, so that each k step of a sampled
 * run is one load and one FMA.  *plan is NULL (and 0 returned) for int8
 * layers and the plain C set; ENOMEM.  Independent of the convolution
 * once made. */
typedef struct core_sample_plan core_sample_plan;
int core_sample_plan_create(const core_conv_desc *c, core_shape in,
                            core_shape out, const uint32_t *units, size_t n,
                            core_sample_plan **plan);
void core_sample_plan_destroy(core_sample_plan *plan);
size_t core_sample_plan_bytes(const core_sample_plan *plan);
/* The plan's bits from input @p src, OR-ed into @p bits. */
void core_sample_plan_run(const core_sample_plan *plan, const float *src,
                          uint8_t *bits);

/* sampled.c: the code bits of convolution @p c at the @p n units
 * @p units only (unit = channel * out.h * out.w + pixel), OR-ed into
 * @p bits (which the caller zeroed), bit for bit those of core_conv_run();
 * no output is written.  @p workspace as for core_conv_run(), of
 * @p workspace_bytes (more lets int8 1x1 layers use AVX-512 VNNI).
 * @p plan: core_sample_plan_create()'s for these units, required where it
 * makes one (fp32 with the AVX-512 or AVX2 set), else NULL. */
void core_conv_run_sampled(const core_conv_desc *c, core_shape in,
                           const float *src, core_shape out, void *workspace,
                           size_t workspace_bytes, const uint32_t *units,
                           size_t n, const core_sample_plan *plan,
                           uint8_t *bits);

/* pool.c: max/average/global pooling; max pooling writes the winner of each
 * window into @p code (NULL: not recorded) with @p bits_per_unit 4 or 8. */
void core_pool_run(const core_pool_desc *p, core_shape in, const float *src,
                   core_shape out, float *dst, uint8_t *code,
                   int bits_per_unit);

/* layers_misc.c: softmax across channels at every (y, x). */
void core_softmax_run(core_shape s, const float *src, float *dst);

/* layers_misc.c: dst = src * scale. */
void core_scale_run(size_t n, const float *src, float *dst, float scale);

#endif
