/* segments.c -- several segments seen as one array of records. */
#include <errno.h>
#include <stdlib.h>

#include "search_internal.h"

int search_span_init(maso_search *s, search_span *sp,
                     const maso_search_segment *segments, size_t n_segments,
                     int need_summaries)
{
    sp->seg = segments;
    sp->n_seg = n_segments;
    sp->total = 0;
    sp->start = NULL;
    if (n_segments && !segments)
        return search_fail(s, MASO_EINVAL_ARG, "segments is NULL");
    for (size_t i = 0; i < n_segments; i++) {
        const maso_search_segment *g = &segments[i];
        if (g->count == 0)
            continue;
        if (!g->base || ((uintptr_t)g->base & 7))
            return search_fail(s, MASO_EINVAL_ARG,
                               "segment %zu: base %p is NULL or not 8-byte "
                               "aligned", i, (const void *)g->base);
        if (g->stride % 64 || g->stride < s->record_bytes)
            return search_fail(s, MASO_EINVAL_ARG,
                               "segment %zu: stride %zu is not a multiple of "
                               "64 of at least %zu bytes", i, g->stride,
                               s->record_bytes);
        if (need_summaries && (!g->summaries || ((uintptr_t)g->summaries & 7)))
            return search_fail(s, MASO_EINVAL_ARG,
                               "segment %zu: summaries missing or not 8-byte "
                               "aligned", i);
        if (sp->total + g->count < sp->total)
            return search_fail(s, MASO_EINVAL_ARG, "too many records");
        sp->total += g->count;
    }
    sp->start = malloc((n_segments + 1) * sizeof *sp->start);
    if (!sp->start)
        return search_fail(s, ENOMEM, "no memory for %zu segments",
                           n_segments);
    sp->start[0] = 0;
    for (size_t i = 0; i < n_segments; i++)
        sp->start[i + 1] = sp->start[i] + segments[i].count;
    return 0;
}

void search_span_free(search_span *sp)
{
    free(sp->start);
    sp->start = NULL;
}

size_t search_span_find(const search_span *sp, size_t g)
{
    /* last segment whose start <= g (empty segments share a start; the
     * search skips them because their end equals their start) */
    size_t lo = 0, hi = sp->n_seg;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (sp->start[mid] <= g)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

int search_span_init_grouping(maso_search *s, search_span *sp,
                              const maso_search_segment *segments,
                              size_t n_segments, int need_summaries)
{
    int rc = search_span_init(s, sp, segments, n_segments, need_summaries);
    if (rc == 0 && sp->total >= UINT32_MAX) {
        search_span_free(sp);
        return search_fail(s, MASO_EINVAL_ARG, "%zu records: at most 2^32-2",
                           sp->total);
    }
    return rc;
}
