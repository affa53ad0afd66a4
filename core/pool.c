/* pool.c -- max pooling (recording each window's winner), average and
 * global pooling, ncnn semantics.
 *
 * Window (oy, ox) covers input rows oy*s - pad_t .. +k-1 and columns
 * ox*s - pad_l .. +k-1, clipped to the input (ncnn pads with -FLT_MAX for
 * max and leaves padding out of averages unless include_pad).  A max
 * window's winner is dy*k + dx relative to the unclipped window origin; the
 * first maximum in row-major order wins (strict > comparison). */
#include "layers.h"

#include <float.h>

static void put_unit(uint8_t *code, int bits_per_unit, size_t i, unsigned v)
{
    if (bits_per_unit == 4)
        code[i >> 1] |= (uint8_t)(v << ((i & 1) * 4));
    else
        code[i] = (uint8_t)v;
}

static void pool_global(const maso_pool_desc *p, maso_shape in,
                        const float *src, float *dst, uint8_t *code,
                        int bits_per_unit)
{
    const size_t plane = (size_t)in.h * in.w;
    for (int c = 0; c < in.c; c++) {
        const float *s = src + (size_t)c * plane;
        if (p->max) {
            float best = s[0];
            size_t arg = 0;
            for (size_t i = 1; i < plane; i++)
                if (s[i] > best) {
                    best = s[i];
                    arg = i;
                }
            dst[c] = best;
            if (code)
                put_unit(code, bits_per_unit, (size_t)c, (unsigned)arg);
        } else {
            float sum = 0.0f;
            for (size_t i = 0; i < plane; i++)
                sum += s[i];
            dst[c] = sum / (float)plane;
        }
    }
}

void maso_pool_run(const maso_pool_desc *p, maso_shape in, const float *src,
                   maso_shape out, float *dst, uint8_t *code,
                   int bits_per_unit)
{
    if (p->global) {
        pool_global(p, in, src, dst, code, bits_per_unit);
        return;
    }
    const int k = p->k;
    size_t unit = 0;
    for (int c = 0; c < in.c; c++) {
        const float *plane = src + (size_t)c * in.h * in.w;
        for (int oy = 0; oy < out.h; oy++) {
            const int y0 = oy * p->s - p->pad_t;
            const int ya = y0 < 0 ? 0 : y0;
            const int yb = y0 + k > in.h ? in.h : y0 + k;
            for (int ox = 0; ox < out.w; ox++, unit++) {
                const int x0 = ox * p->s - p->pad_l;
                const int xa = x0 < 0 ? 0 : x0;
                const int xb = x0 + k > in.w ? in.w : x0 + k;
                if (p->max) {
                    float best = -FLT_MAX;
                    int arg = (ya - y0) * k + (xa - x0);
                    for (int y = ya; y < yb; y++)
                        for (int x = xa; x < xb; x++) {
                            float v = plane[(size_t)y * in.w + x];
                            if (v > best) {
                                best = v;
                                arg = (y - y0) * k + (x - x0);
                            }
                        }
                    dst[unit] = best;
                    if (code)
                        put_unit(code, bits_per_unit, unit, (unsigned)arg);
                } else {
                    float sum = 0.0f;
                    for (int y = ya; y < yb; y++)
                        for (int x = xa; x < xb; x++)
                            sum += plane[(size_t)y * in.w + x];
                    int count = p->include_pad ? k * k : (yb - ya) * (xb - xa);
                    dst[unit] = count > 0 ? sum / (float)count : 0.0f;
                }
            }
        }
    }
}
