/* gemm_int8.c -- the int8 GEMM's packing, input rounding, kernel choice and
 * the scalar kernel set, which is the reference the vector sets are tested
 * against bit for bit (see gemm_int8.h). */
#include "kernels/cpu_internal.h"
#include "kernels/gemm_int8_internal.h"

#include "net/layers_internal.h"

#include <math.h>
#include <string.h>

#define MR CORE_GEMM8_MR

size_t core_gemm8_packed_bytes(int m, int k)
{
    return (size_t)((m + MR - 1) / MR) * MR * (size_t)core_gemm8_kpad(k);
}

void core_gemm8_pack(const float *w, int m, int k, int8_t *packed,
                     float *scales)
{
    const int kp = core_gemm8_kpad(k);
    memset(packed, 0, core_gemm8_packed_bytes(m, k));
    for (int r = 0; r < m; r++) {
        const float *row = w + (size_t)r * k;
        float top = 0.0f;
        for (int p = 0; p < k; p++)
            top = fabsf(row[p]) > top ? fabsf(row[p]) : top;
        const float s = top > 0.0f ? top / 127.0f : 1.0f;
        scales[r] = s;
        int8_t *panel = packed + (size_t)(r / MR) * MR * kp;
        for (int p = 0; p < k; p++) {
            float q = rintf(row[p] / s);
            q = q > 127.0f ? 127.0f : q < -127.0f ? -127.0f : q;
            panel[(size_t)(p / 4) * MR * 4 + (size_t)(r % MR) * 4 + p % 4] =
                (int8_t)q;
        }
    }
}

float core_gemm8_input_scale(core_gemm8_isa isa, const float *x, size_t n)
{
#if defined(__GNUC__) && defined(__x86_64__)
    if (isa == CORE_GEMM8_AVX512VNNI)
        return core_gemm8_input_scale_avx512(x, n);
    if (isa == CORE_GEMM8_AVX2 || isa == CORE_GEMM8_VNNI256)
        return core_gemm8_input_scale_avx2(x, n);
#endif
    (void)isa;
    float top = 0.0f;
    for (size_t i = 0; i < n; i++)
        top = x[i] > top ? x[i] : top;
    return top > 0.0f ? top / 255.0f : 1.0f;
}

void core_gemm8_pack_pixels(core_gemm8_isa isa, const float *x,
                            int channels, size_t plane, float scale,
                            const float *offset, uint8_t *pixels)
{
#if defined(__GNUC__) && defined(__x86_64__)
    if (isa == CORE_GEMM8_AVX512VNNI) {
        core_gemm8_pack_pixels_avx512(x, channels, plane, scale, offset,
                                      pixels);
        return;
    }
    if (isa == CORE_GEMM8_AVX2 || isa == CORE_GEMM8_VNNI256) {
        core_gemm8_pack_pixels_avx2(x, channels, plane, scale, offset,
                                    pixels);
        return;
    }
#endif
    (void)isa;
    for (int g = 0; g < (channels + 3) / 4; g++) {
        uint8_t *o = pixels + (size_t)g * plane * 4;
        for (int t = 0; t < 4; t++) {
            const int ch = 4 * g + t;
            const float *r = x + (size_t)ch * plane;
            const float off = offset && ch < channels ? offset[ch] : 0.0f;
            for (size_t p = 0; p < plane; p++)
                o[p * 4 + (size_t)t] =
                    ch < channels ? core_gemm8_round(r[p] + off, scale) : 0;
        }
    }
}

core_gemm8_isa core_gemm8_best(core_gemm8_isa limit)
{
#if defined(__GNUC__) && defined(__x86_64__)
    if (limit >= CORE_GEMM8_AVX512VNNI &&
        core_cpu_supports(CORE_CPU_AVX512F | CORE_CPU_AVX512BW |
                          CORE_CPU_AVX512VNNI))
        return CORE_GEMM8_AVX512VNNI;
    if (limit >= CORE_GEMM8_VNNI256 && core_cpu_supports(CORE_CPU_AVX2) &&
        core_gemm8_vnni256_usable())
        return CORE_GEMM8_VNNI256;
    if (limit >= CORE_GEMM8_AVX2 && core_cpu_supports(CORE_CPU_AVX2))
        return CORE_GEMM8_AVX2;
#else
    (void)limit;
#endif
    return CORE_GEMM8_SCALAR;
}

void core_gemm8_run(core_gemm8_isa isa, const core_gemm8_args *a,
                    const core_gemm_out *out)
{
#if defined(__GNUC__) && defined(__x86_64__)
    if (isa == CORE_GEMM8_AVX512VNNI) {
        core_gemm8_avx512vnni(a, out);
        return;
    }
    if (isa == CORE_GEMM8_VNNI256) {
        core_gemm8_vnni256(a, out);
        return;
    }
    if (isa == CORE_GEMM8_AVX2) {
        core_gemm8_avx2(a, out);
        return;
    }
#else
    (void)isa;
#endif
    core_gemm8_scalar(a, out);
}

/* One output row's epilogue over columns j0 .. j0+cols-1 (cols <= 64),
 * shared by the vector sets' column tails. */
void core_gemm8_finish_row(const core_gemm8_args *a, const core_gemm_out *out,
                           int row, int j0, int cols, const int32_t *sum)
{
    const float scale = a->w_scale[row] * a->b_scale;
    const float bias = out->bias ? out->bias[row] : 0.0f;
    float *c = out->c + (size_t)row * out->ldc + j0;
    uint64_t word = 0;
    for (int j = 0; j < cols; j++) {
        int bit;
        c[j] = core_gemm8_finish(sum[j], scale, bias, out->act, out->slope,
                                 &bit);
        word |= (uint64_t)bit << j;
    }
    if (out->bits && out->act != CORE_ACT_NONE)
        core_bits_put(out->bits, (size_t)row * (size_t)a->n + (size_t)j0,
                      word, (size_t)cols);
}

void core_gemm8_scalar(const core_gemm8_args *a, const core_gemm_out *out)
{
    const int groups = core_gemm8_kpad(a->k) / 4;
    int32_t sum[64];
    for (int r = 0; r < a->m; r++) {
        const int8_t *panel = a->w + (size_t)(r / MR) * MR * 4 * groups +
                              (size_t)(r % MR) * 4;
        for (int j0 = 0; j0 < a->n; j0 += 64) {
            const int cols = a->n - j0 < 64 ? a->n - j0 : 64;
            for (int j = 0; j < cols; j++) {
                int32_t s = 0;
                for (int g = 0; g < groups; g++) {
                    const int8_t *w = panel + (size_t)g * MR * 4;
                    const uint8_t *x =
                        a->b + ((size_t)g * a->n + (size_t)(j0 + j)) * 4;
                    s += w[0] * x[0] + w[1] * x[1] + w[2] * x[2] +
                         w[3] * x[3];
                }
                sum[j] = s;
            }
            core_gemm8_finish_row(a, out, r, j0, cols, sum);
        }
    }
}
