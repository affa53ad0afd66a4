/* winograd_internal.h -- 3x3 stride-1 pad-1 convolution by Winograd F(2x2, 3x3)
 * on the fp32 GEMM (kernels/gemm_internal.h).  Internal.
 *
 * Each 2x2 output tile costs 16 multiplications per (in, out) channel pair
 * instead of 36: the input tiles (4x4, overlapping by 2) and the weights
 * are transformed into 16 "frequency" planes, each plane is one GEMM, and
 * the output transform adds the bias, applies the activation, writes the
 * blob (or its Concat slice) and records the code bits.  Every fp32 kernel
 * set (AVX-512, AVX2 + FMA, plain C) runs it. */
#ifndef CORE_WINOGRAD_INTERNAL_H
#define CORE_WINOGRAD_INTERNAL_H

#include "kernels/gemm_internal.h"
#include "net/network_internal.h"

#include <stddef.h>
#include <stdint.h>

/* The convolution this file computes: 3x3, stride 1, dilation 1, padding
 * 1 on every side (output size = input size). */
int core_winograd_applies(const core_conv_desc *c);

/* Floats of the transformed, packed weights of M x C x 3 x 3 weights. */
size_t core_winograd_packed_floats(int m, int c);

/* Transform and pack @p w (M x C x 3 x 3) into @p packed. */
void core_winograd_pack(const float *w, int m, int c, float *packed);

/* Floats of workspace core_winograd_run needs for this layer. */
size_t core_winograd_workspace(int m, core_shape in);

/* The convolution with bias, activation and bits (see gemm_internal.h's
 * core_gemm_out; out->c has row stride in.w, planes of in.h*in.w), with
 * kernel set @p isa, which core_gemm_usable() must have accepted. */
void core_winograd_run(core_gemm_isa isa, const float *packed, int m,
                       core_shape in, const float *src,
                       const struct core_gemm_out *out, float *workspace);

/* Output channels ahead of the output transform whose rows it fetches:
 * without, the stores of a channel's rows each waited for their line (the
 * blob is written for the first time, from beyond L2): 5-9 % less time
 * in the 3x3 layers with AVX-512 (noisy runs). */
#define CORE_WINOGRAD_FETCH_AHEAD 2

/* Fetch, while the output transform is at channel @p o of @p m, the rows
 * of a block (tile rows ty0 .. ty0+rows-1, contiguous in a channel's
 * plane) of channel o + CORE_WINOGRAD_FETCH_AHEAD. */
static inline void core_winograd_fetch_out(const struct core_gemm_out *out,
                                           core_shape in, int o, int m,
                                           int ty0, int rows)
{
    if (o + CORE_WINOGRAD_FETCH_AHEAD >= m)
        return;
    const int y_end = 2 * (ty0 + rows) < in.h ? 2 * (ty0 + rows) : in.h;
    core_gemm_fetch_row(out->c + (size_t)(o + CORE_WINOGRAD_FETCH_AHEAD) *
                                     in.h * in.w +
                            (size_t)(2 * ty0) * in.w,
                        (y_end - 2 * ty0) * in.w);
}

/* The vector transforms of core_winograd_run (winograd_avx2.c,
 * winograd_avx512.c) for one block of @p rows tile rows from tile row
 * @p ty0, @p tw tiles a row, nt = rows * tw: the input transform into
 * V[xi][ch][t], the output transform from M[xi][o][t] into @p out. */
void core_winograd_input_avx2(core_shape in, const float *src, int ty0,
                              int rows, int tw, float *v, int nt);
void core_winograd_output_avx2(int m, core_shape in, const float *mb,
                               int ty0, int rows, int tw, int nt,
                               const struct core_gemm_out *out);
void core_winograd_input_avx512(core_shape in, const float *src, int ty0,
                                int rows, int tw, float *v, int nt);
void core_winograd_output_avx512(int m, core_shape in, const float *mb,
                                 int ty0, int rows, int tw, int nt,
                                 const struct core_gemm_out *out);

#endif
