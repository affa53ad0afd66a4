/*
 * distance.c -- layer and code distances between spline codes.
 *
 * A layer's section is a run of 1-, 4- or 8-bit fields; two codes differ in
 * a unit when its field differs, so every layer reduces to one kernel call
 * over the section's whole 64-bit words, plus the last partial word, which
 * is copied into a zero-extended word so that padding bytes (zero by
 * contract, but never trusted) are not counted.
 */
#include "kernels/popcount_internal.h"
#include "maso.h"

#include <string.h>

typedef uint64_t (*diff_fn)(const uint64_t *, const uint64_t *, size_t);

static diff_fn layer_kernel(const maso_kernels *k, int bits_per_unit)
{
    switch (bits_per_unit) {
    case 1: return k->xor_popcount;
    case 4: return k->nibble_diff;
    case 8: return k->byte_diff;
    default: return NULL;
    }
}

/* The first @p bits bits (< 64) of @p p, little-endian, as a word. */
static uint64_t load_partial(const uint8_t *p, size_t bits)
{
    /* Codes are little-endian bit strings (unit i is bit i%8 of byte i/8);
     * assemble explicitly so that the mask below is right on any host. */
    uint64_t w = 0;
    for (size_t i = (bits + 7) / 8; i-- > 0;)
        w = w << 8 | p[i];
    return w & ((UINT64_C(1) << bits) - 1);
}

/* maso_layer_diff() with the kernel set chosen by the caller, so that a
 * whole-code distance asks for the CPU's features once, not per layer. */
static uint64_t layer_diff(const maso_kernels *k, const maso_code_layer *layer,
                           const uint8_t *a, const uint8_t *b)
{
    if (layer == NULL || a == NULL || b == NULL)
        return 0;
    diff_fn diff = layer_kernel(k, layer->bits_per_unit);
    if (diff == NULL)
        return 0;
    /* Never read past the section, even with an inconsistent table. */
    size_t bits = layer->bytes * 8;
    if (layer->units <= bits / (size_t)layer->bits_per_unit)
        bits = layer->units * (size_t)layer->bits_per_unit;
    const uint8_t *pa = a + layer->offset, *pb = b + layer->offset;
    size_t words = bits / 64, rest = bits % 64;
    /* The kernels take uint64_t pointers but load them unaligned, so a code
     * at any address is fine. */
    uint64_t n = diff((const uint64_t *)(const void *)pa,
                      (const uint64_t *)(const void *)pb, words);
    if (rest) {
        uint64_t wa = load_partial(pa + 8 * words, rest);
        uint64_t wb = load_partial(pb + 8 * words, rest);
        n += diff(&wa, &wb, 1);
    }
    return n;
}

uint64_t maso_layer_diff(const maso_code_layer *layer, const uint8_t *a,
                         const uint8_t *b)
{
    return layer_diff(maso_kernels_best(), layer, a, b);
}

static double layer_distance(const maso_kernels *k,
                             const maso_code_layer *layer, const uint8_t *a,
                             const uint8_t *b)
{
    if (layer == NULL || layer->units == 0)
        return 0.0;
    return (double)layer_diff(k, layer, a, b) / (double)layer->units;
}

double maso_layer_distance(const maso_code_layer *layer, const uint8_t *a,
                           const uint8_t *b)
{
    return layer_distance(maso_kernels_best(), layer, a, b);
}

double maso_code_distance(const maso_code_layer *layers, size_t n_layers,
                          const double *weights, const uint8_t *a,
                          const uint8_t *b, double *per_layer)
{
    const maso_kernels *k = maso_kernels_best();
    double sum = 0.0, total_weight = 0.0;
    if (layers == NULL) /* no table: no layers (and no &NULL[i]) */
        n_layers = 0;
    for (size_t i = 0; i < n_layers; i++) {
        double w = weights ? weights[i] : 1.0;
        /* "!(w > 0)" also leaves out NaN and (invalid) negative weights. */
        int used = w > 0.0;
        if (!used && per_layer == NULL)
            continue;
        double d = layer_distance(k, &layers[i], a, b);
        if (per_layer)
            per_layer[i] = d;
        if (used) {
            sum += w * d;
            total_weight += w;
        }
    }
    if (!(total_weight > 0.0))
        return 0.0;
    double d = sum / total_weight;
    return d > 1.0 ? 1.0 : d; /* rounding cannot push it over, but be sure */
}
