/* activation.c -- bias, (leaky) ReLU and the ReLU code bits in one pass
 * over a convolution's output, so the data is touched once after the GEMM.
 *
 * Bits are gathered 64 at a time in a register and OR-ed into the code at
 * their (unaligned) bit position: channels need not be multiples of 8. */
#include "layers.h"

#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "activation.c packs bits through little-endian 64-bit words"
#endif

/* OR the low @p count bits of @p word into @p bits at bit @p pos. */
static void put_bits(uint8_t *bits, size_t pos, uint64_t word, size_t count)
{
    uint8_t *p = bits + (pos >> 6) * 8;
    unsigned s = (unsigned)(pos & 63);
    uint64_t w;
    memcpy(&w, p, 8);
    w |= word << s;
    memcpy(p, &w, 8);
    if (s && s + count > 64) {
        memcpy(&w, p + 8, 8);
        w |= word >> (64 - s);
        memcpy(p + 8, &w, 8);
    }
}

void maso_act_apply(float *dst, const float *src, int channels, size_t plane,
                    const float *bias, maso_act act, float slope,
                    uint8_t *bits)
{
    size_t pos = 0;
    for (int c = 0; c < channels; c++) {
        const float b = bias ? bias[c] : 0.0f;
        const float *s = src + (size_t)c * plane;
        float *d = dst + (size_t)c * plane;
        for (size_t i = 0; i < plane; i += 64) {
            size_t n = plane - i < 64 ? plane - i : 64;
            uint64_t word = 0;
            if (act == MASO_ACT_RELU) {
                for (size_t j = 0; j < n; j++) {
                    float v = s[i + j] + b;
                    word |= (uint64_t)(v > 0.0f) << j;
                    d[i + j] = v > 0.0f ? v : 0.0f;
                }
            } else if (act == MASO_ACT_LEAKY) {
                for (size_t j = 0; j < n; j++) {
                    float v = s[i + j] + b;
                    word |= (uint64_t)(v > 0.0f) << j;
                    d[i + j] = v > 0.0f ? v : v * slope;
                }
            } else {
                for (size_t j = 0; j < n; j++)
                    d[i + j] = s[i + j] + b;
            }
            if (bits)
                put_bits(bits, pos, word, n);
            pos += n;
        }
    }
}
