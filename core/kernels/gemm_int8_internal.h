/* gemm_int8.h -- the int8 convolution GEMM: C = act(sa*sw[m] * (Wq*Bq) + bias)
 * with the ReLU code bits written in the same pass.  Internal.
 *
 * Wq (M x K) holds the weights rounded per output channel (row) to
 * symmetric int8, wq = rint(w / sw[m]) with sw[m] = max|w[m][.]| / 127;
 * Bq (K x N) the convolution's input rounded per tensor to uint8,
 * bq = rint(b / sa) with sa = max(b) / 255 (inputs are >= 0: they come out
 * of ReLUs and max pools).  The u8 x s8 products are summed exactly in
 * int32 (|sum| <= 255*127*K < 2^31 for K < 66000), so every kernel set
 * gives the same integers; the epilogue then does the same float
 * operations in every set: y = (float)sum * (sw[m] * sa) + bias[m], the
 * bit set when y > 0 (no fused multiply-add: the library is built as ISO C,
 * whose default is -ffp-contract=off, and the vector code uses separate
 * multiply and add instructions).  So the scalar, AVX2 and AVX-512 VNNI
 * sets agree bit for bit, in outputs and in codes.
 *
 * Layouts, both in groups of 4 along K (the VNNI dot product's width;
 * K is padded with zeros to a multiple of 4):
 *   - packed weights: panels of CORE_GEMM8_MR rows; inside a panel, per
 *     group g, MR runs of 4 bytes (row i's wq[4g .. 4g+3]); rows past M
 *     are zero;
 *   - packed input: per group g, N runs of 4 bytes (column j's
 *     bq[4g .. 4g+3]), i.e. row g of a (K/4) x N matrix of 32-bit words.
 * The output C is M x N floats with row stride ldc (a blob or a Concat
 * slice), through gemm.h's core_gemm_out. */
#ifndef CORE_GEMM_INT8_INTERNAL_H
#define CORE_GEMM_INT8_INTERNAL_H

#include "kernels/gemm_internal.h"

#include <stddef.h>
#include <stdint.h>

#define CORE_GEMM8_MR 8

/* The kernel sets, slowest first. */
typedef enum core_gemm8_isa {
    CORE_GEMM8_SCALAR = 0,     /* plain C, any CPU: the reference */
    CORE_GEMM8_AVX2 = 1,       /* AVX2: widened to 16 bits, vpmaddwd */
    CORE_GEMM8_VNNI256 = 2,    /* AVX-VNNI (or AVX-512 VNNI + VL): 256-bit
                                * vpdpbusd */
    CORE_GEMM8_AVX512VNNI = 3  /* AVX-512 VNNI: 512-bit vpdpbusd */
} core_gemm8_isa;

/* The packed operands of one call. */
typedef struct core_gemm8_args {
    const int8_t *w;          /* packed weights (core_gemm8_pack) */
    const float *w_scale;     /* M per-row scales sw[m] */
    const uint8_t *b;         /* packed input (layout above) */
    float b_scale;            /* sa */
    int m, n, k;              /* k before padding */
} core_gemm8_args;

/* K rounded up to the group width. */
static inline int core_gemm8_kpad(int k)
{
    return (k + 3) & ~3;
}

/* Bytes of packed M x K weights. */
size_t core_gemm8_packed_bytes(int m, int k);

/* Round row-major @p w (M x K) per row to int8 into @p packed
 * (core_gemm8_packed_bytes) and @p scales (M floats); an all-zero row gets
 * scale 1. */
void core_gemm8_pack(const float *w, int m, int k, int8_t *packed,
                     float *scales);

/* One value rounded to uint8 with @p scale: min(255, rint(x/scale)), 0
 * for x <= 0 (rint: half to even, the default rounding mode, as the
 * vector conversion does). */
static inline uint8_t core_gemm8_round(float x, float scale)
{
    float v = __builtin_rintf(x / scale);
    return (uint8_t)(v > 255.0f ? 255.0f : v > 0.0f ? v : 0.0f);
}

/* The per-tensor scale of @p n values >= 0: max/255, or 1 when all are
 * zero (or negative: clamped to 0).  Same value from every set. */
float core_gemm8_input_scale(core_gemm8_isa isa, const float *x, size_t n);

/* Round @p channels planes of @p plane floats (CHW) plus @p offset[ch]
 * (NULL: 0) to uint8 with @p scale into 4-channel pixel words: byte
 * 4*(g*plane + p) + t is channel 4g+t at pixel p (0 past the last
 * channel); (channels rounded up to 4) * plane bytes.  Same bytes from
 * every set. */
void core_gemm8_pack_pixels(core_gemm8_isa isa, const float *x,
                            int channels, size_t plane, float scale,
                            const float *offset, uint8_t *pixels);

/* The sets' versions of the two, called through the functions above. */
float core_gemm8_input_scale_avx512(const float *x, size_t n);
void core_gemm8_pack_pixels_avx512(const float *x, int channels,
                                   size_t plane, float scale,
                                   const float *offset, uint8_t *pixels);
float core_gemm8_input_scale_avx2(const float *x, size_t n);
void core_gemm8_pack_pixels_avx2(const float *x, int channels, size_t plane,
                                 float scale, const float *offset,
                                 uint8_t *pixels);

/* The kernel set this CPU runs, at most @p limit. */
core_gemm8_isa core_gemm8_best(core_gemm8_isa limit);

/* C = act(...) as above with the set @p isa (which the CPU must run:
 * core_gemm8_best()).  Bits (when out->bits and act is not NONE) are OR-ed
 * into a section the caller zeroed. */
void core_gemm8_run(core_gemm8_isa isa, const core_gemm8_args *a,
                    const core_gemm_out *out);

/* The sets, called through core_gemm8_run(). */
void core_gemm8_scalar(const core_gemm8_args *a, const core_gemm_out *out);
void core_gemm8_avx2(const core_gemm8_args *a, const core_gemm_out *out);
void core_gemm8_vnni256(const core_gemm8_args *a, const core_gemm_out *out);
int core_gemm8_vnni256_usable(void);
void core_gemm8_avx512vnni(const core_gemm8_args *a,
                           const core_gemm_out *out);

/* The epilogue of row @p row's columns j0 .. j0+cols-1 (cols <= 64) from
 * their int32 sums: stores and code bits (gemm_int8.c). */
void core_gemm8_finish_row(const core_gemm8_args *a, const core_gemm_out *out,
                           int row, int j0, int cols, const int32_t *sum);

/* The epilogue of one output, shared by every set's tail handling: the
 * float value stored and, through @p bit, whether the pre-activation is
 * > 0.  Same operations as the vector epilogues. */
static inline float core_gemm8_finish(int32_t sum, float scale, float bias,
                                      core_act act, float slope, int *bit)
{
    float y = (float)sum * scale;
    y = y + bias;
    *bit = y > 0.0f;
    if (*bit || act == CORE_ACT_NONE)
        return y;
    return act == CORE_ACT_LEAKY ? y * slope : 0.0f;
}

/* conv_int8.c: the GEMM's K of convolution @p c (tap-major, channels
 * rounded up to 4). */
int core_conv8_k(const core_conv_desc *c, int in_channels);

/* conv_int8.c: @p c's weights in that order, rounded and packed into
 * @p packed (core_gemm8_packed_bytes(num_output, core_conv8_k())) and
 * @p scales (num_output); ENOMEM. */
int core_conv8_pack_weights(const core_conv_desc *c, int in_channels,
                            int8_t *packed, float *scales);

/* conv_int8.c: the first convolution reads integer pixels, input +
 * @p mean[ch]: c->qoffset and c->qbias (allocated here when NULL) from
 * @p mean and c->qsums (allocated and summed from c->qweight when NULL).
 * ENOMEM. */
int core_conv8_fold_offset(core_conv_desc *c, int in_channels,
                           const float *mean);

/* conv_int8.c: bytes of workspace core_conv8_run() needs. */
size_t core_conv8_workspace(const core_conv_desc *c, core_shape in,
                            core_shape out);

/* conv_int8.c: the convolution @p c (packed int8 weights in c->qweight)
 * of @p src into @p o, through the kernel set c->qisa; @p src must be
 * >= 0 (negative values read as 0). */
void core_conv8_run(const core_conv_desc *c, core_shape in, const float *src,
                    core_shape out, const core_gemm_out *o, void *workspace);

#endif
