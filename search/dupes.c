/* dupes.c -- near-duplicate groups without comparing all pairs.
 *
 * Banding on the summaries: cut each (masked) summary into `bands` chunks;
 * for each chunk sort (chunk value, record) and take every pair inside a
 * run of equal values as a candidate.  Pigeonhole: summaries differing in
 * fewer than `bands` bits leave at least one chunk untouched, so such a
 * pair is always a candidate.  A pair equal in several chunks is verified
 * only in the first of them, and never when union-find already put both in
 * one component: exact duplicates cost one verification per record, not
 * one per pair.  Pairs whose summaries differ in `bands` bits or more are
 * dropped before the exact distance: the promise is about the others.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "search_internal.h"

typedef struct keyed {
    uint64_t key;
    uint32_t rec;
} keyed;

typedef struct dupes {
    maso_search *s;
    const search_span *sp;
    size_t chunk_bytes;         /* 1..8 */
    uint32_t *parent;
    const uint8_t **rec;        /* sketch of every record */
    const uint8_t **sum;        /* summary of every record */
    double limit;
    size_t bands;
} dupes;

static uint64_t chunk_of(const dupes *d, uint32_t r, size_t band)
{
    const uint8_t *p = d->sum[r] + band * d->chunk_bytes;
    const uint8_t *m = (const uint8_t *)d->s->mask + band * d->chunk_bytes;
    uint64_t v = 0;
    for (size_t b = 0; b < d->chunk_bytes; b++)
        v |= (uint64_t)(p[b] & m[b]) << (8 * b);
    return v;
}

uint32_t search_find_root(uint32_t *parent, uint32_t x)
{
    while (parent[x] != x) {
        parent[x] = parent[parent[x]]; /* path halving */
        x = parent[x];
    }
    return x;
}

/* LSD radix sort on the low `bytes` bytes of the keys; tmp is scratch. */
static void radix_sort(keyed *a, keyed *tmp, size_t n, size_t bytes)
{
    size_t count[256];
    for (size_t b = 0; b < bytes; b++) {
        memset(count, 0, sizeof count);
        for (size_t i = 0; i < n; i++)
            count[(a[i].key >> (8 * b)) & 255]++;
        if (count[(a[0].key >> (8 * b)) & 255] == n)
            continue; /* every key has this byte: the pass changes nothing */
        size_t sum = 0;
        for (size_t v = 0; v < 256; v++) {
            size_t c = count[v];
            count[v] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++)
            tmp[count[(a[i].key >> (8 * b)) & 255]++] = a[i];
        memcpy(a, tmp, n * sizeof *a);
    }
}

/* Candidate pair (a, b) met in `band`: verify and join. */
static void consider(dupes *d, uint32_t a, uint32_t b, size_t band)
{
    uint32_t ra = search_find_root(d->parent, a);
    uint32_t rb = search_find_root(d->parent, b);
    if (ra == rb)
        return;
    /* Only pairs whose summaries differ in fewer than `bands` bits are
     * promised (pigeonhole); others can be dropped after a 64-byte
     * popcount instead of a whole-sketch distance.  This keeps the cost of
     * big clusters of similar, non-duplicate records low. */
    if (!maso_search_band_pair(d->s, d->sum[a], d->sum[b], d->bands))
        return;
    for (size_t e = 0; e < band; e++)
        if (chunk_of(d, a, e) == chunk_of(d, b, e))
            return; /* already a candidate in band e */
    if (d->s->score(d->s, d->rec[a], d->rec[b]) > d->limit)
        return;
    /* the smaller index becomes the root: groups keep their first member */
    if (ra < rb)
        d->parent[rb] = ra;
    else
        d->parent[ra] = rb;
}

static size_t auto_bands(size_t bits, double max_distance)
{
    double l = (double)bits * max_distance;
    double need = l + 6 * sqrt(l) + 6;
    size_t b = 8;
    while (b < bits / 8 && (double)b < need)
        b *= 2;
    return b;
}

size_t maso_search_bands(const maso_search *search, double max_distance)
{
    return auto_bands(search->summary_bits, max_distance);
}

/* 0 when @p bands cuts the summary into chunks of 8..64 bits, else the
 * failure. */
static int bands_check(maso_search *s, size_t bands)
{
    size_t bits = s->summary_bits;
    if (bands == 0 || bits % bands || (bits / bands) % 8 || bits / bands > 64)
        return search_fail(s, MASO_EINVAL_ARG,
                           "%zu bands: must cut %zu summary bits into chunks "
                           "of 8, 16, ... 64 bits", bands, bits);
    return 0;
}

int maso_search_band_keys(maso_search *search, const uint8_t *summary,
                          size_t bands, uint64_t *keys)
{
    if (!search)
        return MASO_EINVAL_ARG;
    search->errmsg[0] = 0;
    int rc = bands_check(search, bands);
    if (rc)
        return rc;
    if (!summary || !keys)
        return search_fail(search, MASO_EINVAL_ARG,
                           "summary and keys must not be NULL");
    dupes d = { .s = search, .chunk_bytes = search->summary_bits / bands / 8,
                .sum = &summary, .bands = bands };
    for (size_t b = 0; b < bands; b++)
        keys[b] = chunk_of(&d, 0, b);
    return 0;
}

int maso_search_band_pair(const maso_search *search, const uint8_t *a,
                          const uint8_t *b, size_t bands)
{
    return search->summary_distance(a, b, search->mask,
                                     search->summary_bits / 64) < bands;
}

int search_groups_collect(maso_search *s, const search_span *sp,
                          const uint8_t *const *rec,
                          const maso_search_variants *var, uint32_t *parent,
                          size_t n, maso_search_groups *g)
{
    uint32_t *size = calloc(n ? n : 1, sizeof *size);
    size_t *slot = malloc((n ? n : 1) * sizeof *slot);
    if (!size || !slot)
        goto nomem;
    size_t members = 0, groups = 0;
    for (size_t r = 0; r < n; r++)
        size[search_find_root(parent, (uint32_t)r)]++;
    for (size_t r = 0; r < n; r++)
        if (size[r] >= 2) {
            members += size[r];
            groups++;
        }
    g->offsets = malloc((groups + 1) * sizeof *g->offsets);
    g->ids = malloc((members ? members : 1) * sizeof *g->ids);
    g->max_distance = malloc((groups ? groups : 1) * sizeof *g->max_distance);
    if (!g->offsets || !g->ids || !g->max_distance)
        goto nomem;
    /* roots are their group's smallest index, so groups in root order are
     * ordered by first member; slot[root] = next free place of the group */
    size_t at = 0, k = 0;
    for (size_t r = 0; r < n; r++)
        if (parent[r] == r && size[r] >= 2) {
            g->offsets[k++] = at;
            slot[r] = at;
            at += size[r];
        }
    g->offsets[k] = at;
    g->n_groups = groups;
    size_t *pos = slot; /* reuse: positions of members, in record order */
    size_t *idx = malloc((members ? members : 1) * sizeof *idx);
    if (!idx)
        goto nomem;
    for (size_t r = 0; r < n; r++) {
        uint32_t root = search_find_root(parent, (uint32_t)r);
        if (size[root] < 2)
            continue;
        size_t p = pos[root]++;
        idx[p] = r;
        size_t seg = search_span_find(sp, r);
        g->ids[p] = search_span_id(sp, seg, r - sp->start[seg]);
    }
    for (size_t q = 0; q < groups; q++) {
        double mx = 0;
        /* all pairs of small groups; of a large one (quadratic) the pairs
         * with its first member only */
        size_t first = g->offsets[q], last = g->offsets[q + 1];
        int all = last - first <= MASO_SEARCH_GROUP_DIAMETER_MAX;
        for (size_t a = first; a < (all ? last : first + 1); a++)
            for (size_t b = a + 1; b < last; b++) {
                double x = search_pair_distance(s, rec, var,
                                                (uint32_t)idx[a],
                                                (uint32_t)idx[b], -1);
                mx = x > mx ? x : mx;
            }
        g->max_distance[q] = mx;
    }
    free(idx);
    free(size);
    free(slot);
    return 0;
nomem:
    free(size);
    free(slot);
    maso_search_groups_free(g);
    return search_fail(s, ENOMEM, "no memory for the groups of %zu records",
                       n);
}

void maso_search_groups_free(maso_search_groups *groups)
{
    if (!groups)
        return;
    free(groups->offsets);
    free(groups->ids);
    free(groups->max_distance);
    memset(groups, 0, sizeof *groups);
}

int maso_search_duplicates(maso_search *search,
                           const maso_search_segment *segments,
                           size_t n_segments, double max_distance,
                           size_t bands, maso_search_groups *groups)
{
    if (!search)
        return MASO_EINVAL_ARG;
    search->errmsg[0] = 0;
    if (!groups)
        return search_fail(search, MASO_EINVAL_ARG, "groups is NULL");
    memset(groups, 0, sizeof *groups);
    if (!(max_distance >= 0 && max_distance < 1))
        return search_fail(search, MASO_EINVAL_ARG,
                           "max_distance %g is not in [0, 1)", max_distance);
    size_t bits = search->summary_bits;
    if (bands == 0)
        bands = auto_bands(bits, max_distance);
    int rc = bands_check(search, bands);
    if (rc)
        return rc;
    search_span sp;
    rc = search_span_init_grouping(search, &sp, segments, n_segments, 1);
    if (rc)
        return rc;
    size_t n = sp.total;
    dupes d = { .s = search, .sp = &sp, .chunk_bytes = bits / bands / 8,
                .limit = max_distance, .bands = bands };
    d.parent = malloc((n ? n : 1) * sizeof *d.parent);
    d.rec = malloc((n ? n : 1) * sizeof *d.rec);
    d.sum = malloc((n ? n : 1) * sizeof *d.sum);
    keyed *a = malloc((n ? n : 1) * sizeof *a);
    keyed *tmp = malloc((n ? n : 1) * sizeof *tmp);
    if (!d.parent || !d.rec || !d.sum || !a || !tmp) {
        rc = search_fail(search, ENOMEM, "no memory for %zu records", n);
        goto out;
    }
    for (size_t seg = 0, r = 0; seg < sp.n_seg; seg++)
        for (size_t i = 0; i < sp.seg[seg].count; i++, r++) {
            d.parent[r] = (uint32_t)r;
            d.rec[r] = search_span_record(&sp, seg, i);
            d.sum[r] = sp.seg[seg].summaries + i * (bits / 8);
        }
    for (size_t band = 0; band < bands && n > 1; band++) {
        for (size_t r = 0; r < n; r++) {
            a[r].key = chunk_of(&d, (uint32_t)r, band);
            a[r].rec = (uint32_t)r;
        }
        radix_sort(a, tmp, n, d.chunk_bytes);
        for (size_t lo = 0, hi; lo < n; lo = hi) {
            for (hi = lo + 1; hi < n && a[hi].key == a[lo].key; hi++)
                ;
            for (size_t x = lo; x < hi; x++)
                for (size_t y = x + 1; y < hi; y++)
                    consider(&d, a[x].rec, a[y].rec, band);
        }
    }
    rc = search_groups_collect(search, &sp, d.rec, NULL, d.parent, n,
                               groups);
out:
    free(d.parent);
    free(d.rec);
    free(d.sum);
    free(a);
    free(tmp);
    search_span_free(&sp);
    return rc;
}
