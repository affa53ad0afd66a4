/* winograd.c -- Winograd F(2x2, 3x3) convolution (see winograd_internal.h).
 *
 * With d a 4x4 input tile and g a 3x3 kernel, the 2x2 output tile is
 * A^T [(G g G^T) .* (B^T d B)] A (Lavin & Gray, "Fast Algorithms for
 * Convolutional Neural Networks", 2015), with
 *   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1],
 *   G   = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1],
 *   A^T = [1 1 1 0; 0 1 -1 -1].
 * The element-wise product summed over input channels is, for each of the
 * 16 positions xi of the 4x4 tile, a GEMM U[xi] (M x C) * V[xi] (C x T)
 * over the T tiles.  F(2x2) and not F(4x4): its transforms only add and
 * subtract (and G halves), so the rounding stays close to direct
 * convolution and the code bits near zero do not move.
 *
 * Tiles are processed in blocks of whole tile rows (about 64 tiles) so the
 * transformed input and the 16 GEMM results stay in L2 between the three
 * steps.  The GEMMs are those of the model's fp32 kernel set
 * (kernels/gemm_internal.h); the transforms are this file's plain C ones
 * or their vector forms (winograd_avx2.c, 8 tiles a vector;
 * winograd_avx512.c, 16), which add and subtract in the same order, so
 * the transforms give the same floats in every set. */
#include "net/winograd_internal.h"
#include "kernels/gemm_internal.h"

#include <string.h>

#define TILES_PER_BLOCK 64

int core_winograd_applies(const core_conv_desc *c)
{
    return c->kw == 3 && c->kh == 3 && c->sw == 1 && c->sh == 1 &&
           c->dw == 1 && c->dh == 1 && c->pad_l == 1 && c->pad_r == 1 &&
           c->pad_t == 1 && c->pad_b == 1;
}

size_t core_winograd_packed_floats(int m, int c)
{
    return 16 * core_gemm_packed_floats(m, c);
}

void core_winograd_pack(const float *w, int m, int c, float *packed)
{
    static const float G[4][3] = {
        {1.0f, 0.0f, 0.0f}, {0.5f, 0.5f, 0.5f}, {0.5f, -0.5f, 0.5f},
        {0.0f, 0.0f, 1.0f}};
    const size_t plane = core_gemm_packed_floats(m, c);
    memset(packed, 0, sizeof(float) * 16 * plane); /* padding rows */
    for (int o = 0; o < m; o++)
        for (int ch = 0; ch < c; ch++) {
            const float *g = w + ((size_t)o * c + ch) * 9;
            float t[4][3];
            for (int a = 0; a < 4; a++)
                for (int k = 0; k < 3; k++)
                    t[a][k] = G[a][0] * g[k] + G[a][1] * g[3 + k] +
                              G[a][2] * g[6 + k];
            /* gemm_internal.h layout: panels of MR rows, k-major inside a panel */
            size_t at = (size_t)(o / CORE_GEMM_MR) * CORE_GEMM_MR * c +
                        (size_t)ch * CORE_GEMM_MR + o % CORE_GEMM_MR;
            for (int a = 0; a < 4; a++)
                for (int b = 0; b < 4; b++)
                    packed[(size_t)(a * 4 + b) * plane + at] =
                        t[a][0] * G[b][0] + t[a][1] * G[b][1] +
                        t[a][2] * G[b][2];
        }
}

/* Tile rows per block and tiles per tile row. */
static void block_shape(core_shape in, int *tw, int *th, int *rows)
{
    *tw = (in.w + 1) / 2;
    *th = (in.h + 1) / 2;
    *rows = TILES_PER_BLOCK / *tw > 0 ? TILES_PER_BLOCK / *tw : 1;
    if (*rows > *th)
        *rows = *th;
}

size_t core_winograd_workspace(int m, core_shape in)
{
    int tw, th, rows;
    block_shape(in, &tw, &th, &rows);
    return 16 * (size_t)(in.c + m) * (size_t)(rows * tw);
}

/* Input value (y, x) of channel plane @p plane, 0 outside (the padding). */
static inline float at(const float *plane, core_shape in, int y, int x)
{
    return y >= 0 && y < in.h && x >= 0 && x < in.w
               ? plane[(size_t)y * in.w + x]
               : 0.0f;
}

/* V[xi][ch][t] = (B^T d B)[xi] for the tiles of one block; t counts the
 * block's tiles row by row, @p nt of them. */
static void input_plain(core_shape in, const float *src, int ty0, int rows,
                        int tw, float *v, int nt)
{
    const size_t step = (size_t)in.c * nt; /* next xi */
    for (int ch = 0; ch < in.c; ch++) {
        const float *plane = src + (size_t)ch * in.h * in.w;
        for (int r = 0; r < rows; r++) {
            const int y0 = 2 * (ty0 + r) - 1;
            float *out = v + (size_t)ch * nt + (size_t)r * tw;
            for (int tx = 0; tx < tw; tx++) {
                float t[4][4];
                for (int i = 0; i < 4; i++) { /* rows times B */
                    const float d0 = at(plane, in, y0 + i, 2 * tx - 1);
                    const float d1 = at(plane, in, y0 + i, 2 * tx);
                    const float d2 = at(plane, in, y0 + i, 2 * tx + 1);
                    const float d3 = at(plane, in, y0 + i, 2 * tx + 2);
                    t[i][0] = d0 - d2;
                    t[i][1] = d1 + d2;
                    t[i][2] = d2 - d1;
                    t[i][3] = d1 - d3;
                }
                for (int j = 0; j < 4; j++) { /* B^T times columns */
                    out[(0 * 4 + j) * step + tx] = t[0][j] - t[2][j];
                    out[(1 * 4 + j) * step + tx] = t[1][j] + t[2][j];
                    out[(2 * 4 + j) * step + tx] = t[2][j] - t[1][j];
                    out[(3 * 4 + j) * step + tx] = t[1][j] - t[3][j];
                }
            }
        }
    }
}

/* Bias, activation, store and bits of output unit @p at of value @p pre. */
static inline uint64_t store_one(const struct core_gemm_out *out, float pre,
                                 float bias, size_t at)
{
    const float x = pre + bias;
    const int pos = x > 0.0f;
    out->c[at] = out->act == CORE_ACT_NONE || pos ? x
                 : out->act == CORE_ACT_LEAKY     ? x * out->slope
                                                  : 0.0f;
    return (uint64_t)pos;
}

/* Y = A^T M A for the block's tiles, stored with bias, activation and
 * bits; a row's bits go out in words of up to 32 outputs (16 tiles). */
static void output_plain(int m, core_shape in, const float *mb, int ty0,
                         int rows, int tw, int nt,
                         const struct core_gemm_out *out)
{
    const size_t plane = (size_t)in.h * in.w;
    const size_t step = (size_t)m * nt; /* next xi */
    const int want_bits = out->bits && out->act != CORE_ACT_NONE;
    for (int o = 0; o < m; o++) {
        const float bias = out->bias ? out->bias[o] : 0.0f;
        for (int r = 0; r < rows; r++) {
            const int ty = ty0 + r;
            for (int tx0 = 0; tx0 < tw; tx0 += 16) {
                const int tiles = tw - tx0 < 16 ? tw - tx0 : 16;
                const int x0 = 2 * tx0;
                const int count = in.w - x0 < 32 ? in.w - x0 : 32;
                uint64_t word[2] = {0, 0};
                for (int l = 0; l < tiles; l++) {
                    const float *p = mb + (size_t)o * nt + (size_t)r * tw +
                                     tx0 + l;
                    float s[4][2];
                    for (int a = 0; a < 4; a++) { /* rows times A */
                        const float m0 = p[(a * 4 + 0) * step];
                        const float m1 = p[(a * 4 + 1) * step];
                        const float m2 = p[(a * 4 + 2) * step];
                        const float m3 = p[(a * 4 + 3) * step];
                        s[a][0] = (m0 + m1) + m2;
                        s[a][1] = (m1 - m2) - m3;
                    }
                    for (int dy = 0; dy < 2; dy++) {
                        const int y = 2 * ty + dy;
                        if (y >= in.h)
                            break;
                        const size_t row = (size_t)o * plane +
                                           (size_t)y * in.w + x0;
                        for (int dx = 0; dx < 2 && 2 * l + dx < count;
                             dx++) { /* A^T times columns */
                            const float v =
                                dy == 0 ? (s[0][dx] + s[1][dx]) + s[2][dx]
                                        : (s[1][dx] - s[2][dx]) - s[3][dx];
                            word[dy] |= store_one(out, v, bias,
                                                  row + 2 * l + dx)
                                        << (2 * l + dx);
                        }
                    }
                }
                for (int dy = 0; dy < 2 && want_bits; dy++)
                    if (2 * ty + dy < in.h)
                        core_bits_put(out->bits,
                                      (size_t)o * plane +
                                          (size_t)(2 * ty + dy) * in.w + x0,
                                      word[dy], (size_t)count);
            }
        }
    }
}

void core_winograd_run(core_gemm_isa isa, const float *packed, int m,
                       core_shape in, const float *src,
                       const struct core_gemm_out *out, float *workspace)
{
    int tw, th, rows;
    block_shape(in, &tw, &th, &rows);
    const size_t wplane = core_gemm_packed_floats(m, in.c);
    float *v = workspace;
    float *mb = workspace + 16 * (size_t)in.c * (size_t)(rows * tw);
    for (int ty0 = 0; ty0 < th; ty0 += rows) {
        const int r = th - ty0 < rows ? th - ty0 : rows;
        const int nt = r * tw;
#if defined(__GNUC__) && defined(__x86_64__)
        if (isa == CORE_GEMM_AVX512)
            core_winograd_input_avx512(in, src, ty0, r, tw, v, nt);
        else if (isa == CORE_GEMM_AVX2)
            core_winograd_input_avx2(in, src, ty0, r, tw, v, nt);
        else
#endif
            input_plain(in, src, ty0, r, tw, v, nt);
        for (int xi = 0; xi < 16; xi++) {
            core_gemm_out raw = {mb + (size_t)xi * m * nt, (size_t)nt, NULL,
                                 CORE_ACT_NONE, 0.0f, NULL};
            core_gemm_run(isa, packed + xi * wplane, m, nt, in.c,
                          v + (size_t)xi * in.c * nt, (size_t)nt, &raw);
        }
#if defined(__GNUC__) && defined(__x86_64__)
        if (isa == CORE_GEMM_AVX512)
            core_winograd_output_avx512(m, in, mb, ty0, r, tw, nt, out);
        else if (isa == CORE_GEMM_AVX2)
            core_winograd_output_avx2(m, in, mb, ty0, r, tw, nt, out);
        else
#endif
            output_plain(m, in, mb, ty0, r, tw, nt, out);
    }
}
