/* summary.c -- the per-record summary: a fixed sample of sketch bits.
 *
 * Why a sample: the equal-weight distance is a mean over layers of the
 * fraction of differing units, so a unit drawn uniformly from a layer
 * chosen uniformly differs with probability equal to the distance (for
 * RELU; for MAXPOOL the parity of two different winners differs about half
 * the time).  Popcount over the sample is then an unbiased (resp. damped)
 * estimate of bits * distance, good enough to pick candidates that the
 * exact distance reranks.  Layers take turns (bit j belongs to layer j mod
 * n), so any chunk of the summary mixes all layers: a chunk of sparse-layer
 * bits alone would be almost always zero and useless for banding.
 * Within a layer the units are spread evenly from an offset drawn by a
 * fixed generator: deterministic, independent of data and weights.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "search_internal.h"

void search_mask_build(maso_search *s)
{
    size_t words = s->summary_bits / 64;
    memset(s->mask, 0, words * sizeof *s->mask);
    for (size_t j = 0; j < s->summary_bits; j++)
        if (s->weights[s->plan[j].layer] > 0)
            s->mask[j / 64] |= 1ull << (j % 64);
}

int search_plan_build(maso_search *s)
{
    size_t bits = s->summary_bits, n = s->n_layers;
    summary_bit *plan = calloc(bits, sizeof *plan);
    uint64_t *mask = calloc(bits / 64, sizeof *mask);
    if (!plan || !mask) {
        free(plan);
        free(mask);
        return ENOMEM;
    }
    for (size_t l = 0; l < n; l++) {
        const search_layer *L = &s->layers[l];
        size_t share = bits / n + (l < bits % n); /* bits j with j%n == l */
        if (share == 0)
            continue;
        uint64_t state = 0x6d61736f00000000ull + l; /* "maso" + layer */
        /* offset in [0, 1) of a step, in 1/2^32 units */
        uint64_t frac = maso_splitmix64_next(&state) >> 32; /* core's stored-format generator */
        for (size_t i = 0; i < share; i++) {
            /* unit = floor((i + frac) * units / share) */
            unsigned __int128 num =
                ((unsigned __int128)i << 32 | frac) * L->units;
            size_t unit = (size_t)(num / ((unsigned __int128)share << 32));
            summary_bit *b = &plan[i * n + l];
            size_t bitpos = unit * (size_t)L->bits_per_unit;
            b->byte = (uint32_t)(L->offset + bitpos / 8);
            b->shift = (uint8_t)(bitpos % 8);
            b->bits = (uint8_t)L->bits_per_unit;
            b->layer = (uint16_t)l;
        }
    }
    free(s->plan);
    free(s->mask);
    s->plan = plan;
    s->mask = mask;
    search_mask_build(s);
    return 0;
}

size_t maso_search_summary_weighted_bits(const maso_search *search)
{
    size_t n = 0;
    for (size_t w = 0; search && w < search->summary_bits / 64; w++)
        n += (size_t)__builtin_popcountll(search->mask[w]);
    return n;
}

int maso_search_summarize(const maso_search *search, const uint8_t *record,
                          uint8_t *summary)
{
    if (!search || !record || !summary)
        return MASO_EINVAL_ARG;
    size_t bytes = search->summary_bits / 8;
    memset(summary, 0, bytes);
    for (size_t j = 0; j < search->summary_bits; j++) {
        const summary_bit *b = &search->plan[j];
        unsigned v = record[b->byte] >> b->shift;
        if (b->bits == 1)
            v &= 1;
        else /* parity of the winner's index */
            v = (unsigned)__builtin_parity(v & (b->bits == 4 ? 0xFu : 0xFFu));
        summary[j / 8] |= (uint8_t)(v << (j % 8));
    }
    return 0;
}
