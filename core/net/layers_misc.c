/* layers_misc.c -- the small layers: Softmax across channels and Dropout's
 * inference-time scaling.  (Split, Concat and folded BatchNorm cost nothing:
 * see plan_aliases() in model.c.) */
#include "net/layers_internal.h"

#include <math.h>

void core_softmax_run(core_shape s, const float *src, float *dst)
{
    const size_t plane = (size_t)s.h * s.w;
    for (size_t i = 0; i < plane; i++) {
        /* Subtract the maximum so exp() cannot overflow. */
        float mx = src[i];
        for (int c = 1; c < s.c; c++)
            mx = fmaxf(mx, src[(size_t)c * plane + i]);
        float sum = 0.0f;
        for (int c = 0; c < s.c; c++) {
            float e = expf(src[(size_t)c * plane + i] - mx);
            dst[(size_t)c * plane + i] = e;
            sum += e;
        }
        for (int c = 0; c < s.c; c++)
            dst[(size_t)c * plane + i] /= sum;
    }
}

void core_scale_run(size_t n, const float *src, float *dst, float scale)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = src[i] * scale;
}
