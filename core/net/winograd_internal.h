/* winograd_internal.h -- 3x3 stride-1 pad-1 convolution by Winograd F(2x2, 3x3)
 * on the AVX-512 GEMM (kernels/gemm_internal.h).  Internal.
 *
 * Each 2x2 output tile costs 16 multiplications per (in, out) channel pair
 * instead of 36: the input tiles (4x4, overlapping by 2) and the weights
 * are transformed into 16 "frequency" planes, each plane is one GEMM, and
 * the output transform adds the bias, applies the activation, writes the
 * blob (or its Concat slice) and records the code bits. */
#ifndef CORE_WINOGRAD_INTERNAL_H
#define CORE_WINOGRAD_INTERNAL_H

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
 * core_gemm_out; out->c has row stride in.w, planes of in.h*in.w).  Only
 * on CPUs where core_gemm_avx512_usable(). */
struct core_gemm_out;
void core_winograd_run(const float *packed, int m, core_shape in,
                       const float *src, const struct core_gemm_out *out,
                       float *workspace);

#endif
