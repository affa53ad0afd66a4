/* program.c -- the per-record "program" of the exact distance.
 *
 * The distance is sum over layers of w_l / (sum(w) * units_l) * diff_l.
 * Layers that share a factor (with equal weights: every RELU layer of one
 * size, every MAXPOOL layer of one size; SqueezeNet's default sketch has
 * just two) can add their integer counts first and multiply once: the
 * score of a record becomes a few long popcount loops and one multiply per
 * *group* instead of per layer, which is what lets the scan keep up with
 * memory.  Integer counts are exact, so grouping changes nothing but the
 * order of the floating-point sum, and that order is fixed here for every
 * kernel set:
 *
 *     d = 0;  for g = 0, 1, ...:  d += factor_g * (double)count_g
 *
 * (groups numbered by their first layer in memory order), so the fused and
 * the per-kernel paths give bit-identical distances.
 *
 * The program is a list of runs: a stretch of contiguous 64-byte blocks of
 * one kind (bits, nibbles, bytes) and one group.  Adjacent sections of the
 * same kind and group merge into one run.  With at most SEARCH_SLOTS
 * groups the runs follow memory order and each group has its own
 * accumulator (slot); with more, runs are sorted by group, all use slot 0,
 * and the last run of a group flushes the slot into the sum.
 */
#include "search_internal.h"

/* Group of factor f among the first n groups, or n when new. */
static size_t group_find(const double *factors, size_t n, double f)
{
    size_t g = 0;
    while (g < n && factors[g] != f)
        g++;
    return g;
}

/* Append the section of layer l to the program, merging it into the last
 * run when it continues it. */
static void run_append(maso_search *s, size_t l, uint16_t group, uint8_t slot)
{
    const search_layer *L = &s->layers[l];
    search_run *last = s->n_runs ? &s->runs[s->n_runs - 1] : NULL;
    if (last && last->bits == L->bits_per_unit && last->group == group &&
        last->offset + 64 * (size_t)last->blocks == L->offset) {
        last->blocks += (uint32_t)L->blocks;
        return;
    }
    search_run *r = &s->runs[s->n_runs++];
    r->offset = (uint32_t)L->offset;
    r->blocks = (uint32_t)L->blocks;
    r->bits = (uint8_t)L->bits_per_unit;
    r->slot = slot;
    r->flush = 0;
    r->group = group;
}

void search_program_build(maso_search *s)
{
    double sum = 0;
    for (size_t l = 0; l < s->n_layers; l++)
        sum += s->weights[l];
    /* the group of each layer (n_groups for a layer left out) */
    size_t n = 0;
    for (size_t l = 0; l < s->n_layers; l++) {
        s->layer_group[l] = UINT16_MAX;
        if (s->weights[l] <= 0)
            continue;
        double f = s->weights[l] / (sum * (double)s->layers[l].units);
        size_t g = group_find(s->group_factor, n, f);
        if (g == n)
            s->group_factor[n++] = f;
        s->layer_group[l] = (uint16_t)g;
    }
    s->n_groups = n;
    s->n_runs = 0;
    if (n <= SEARCH_SLOTS) {
        s->n_slots = n;
        for (size_t l = 0; l < s->n_layers; l++)
            if (s->layer_group[l] != UINT16_MAX)
                run_append(s, l, s->layer_group[l],
                           (uint8_t)s->layer_group[l]);
        return;
    }
    s->n_slots = 0;
    for (size_t g = 0; g < n; g++) {
        for (size_t l = 0; l < s->n_layers; l++)
            if (s->layer_group[l] == g)
                run_append(s, l, (uint16_t)g, 0);
        s->runs[s->n_runs - 1].flush = 1;
    }
}

double search_program_sum(const maso_search *s, double d,
                          const uint64_t *slots)
{
    for (size_t g = 0; g < s->n_slots; g++)
        d += s->group_factor[g] * (double)slots[g];
    return d;
}
