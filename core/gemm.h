/* gemm.h -- the convolution GEMM of the AVX-512 path: C = act(W*B + bias)
 * with the ReLU code bits written in the same pass.  Internal.
 *
 * W (M x K, row-major) is packed once at model load into panels of
 * MASO_GEMM_MR rows, k-major inside a panel, rows past M zero: the
 * micro-kernel then reads its weights as one sequential stream.  B is a
 * K x N row-major matrix at any address (the input blob or an im2col
 * buffer); C is M x N with row stride ldc (a blob or a Concat slice). */
#ifndef MASO_GEMM_H
#define MASO_GEMM_H

#include "network.h"

#include <stddef.h>
#include <stdint.h>

#define MASO_GEMM_MR 8

/* What happens to each finished tile before it is stored. */
typedef struct maso_gemm_out {
    float *c;             /* M x N result */
    size_t ldc;
    const float *bias;    /* M entries, or NULL */
    maso_act act;
    float slope;          /* MASO_ACT_LEAKY */
    uint8_t *bits;        /* NULL, or bit i*N + j set when pre-act > 0 */
} maso_gemm_out;

/* Floats of a packed M x K weight matrix. */
size_t maso_gemm_packed_floats(int m, int k);

/* Pack row-major @p w (M x K) into @p packed (maso_gemm_packed_floats). */
void maso_gemm_pack(const float *w, int m, int k, float *packed);

/* Nonzero when this CPU runs maso_gemm_avx512 (AVX-512F). */
int maso_gemm_avx512_usable(void);

/* C = act(W*B + bias) for packed W; only on CPUs where
 * maso_gemm_avx512_usable().  Bits (when out->bits and act is not NONE)
 * are OR-ed into a section the caller zeroed. */
void maso_gemm_avx512(const float *packed, int m, int n, int k,
                      const float *b, size_t ldb, const maso_gemm_out *out);

/* Set the low @p count bits of @p word (higher bits zero) at bit @p pos of
 * @p bits by OR; reads and writes the whole 64-bit words they touch, so
 * sections must be padded to 8 bytes (code_layout.c pads to 64). */
static inline void maso_bits_put(uint8_t *bits, size_t pos, uint64_t word,
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

#endif
