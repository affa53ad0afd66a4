/* topk.c -- a bounded max-heap keeping the k smallest (distance, id).
 *
 * The worst kept pair sits at the root, so a scan rejects most records with
 * one comparison (search_heap_wants) and only better ones pay a sift-down.
 * Ties in distance are broken by id, which makes results independent of
 * the order (and thread split) in which records are seen.
 */
#include <stdlib.h>

#include "search_internal.h"

/* a worse than b: larger distance, or equal distance and larger id */
static inline int worse(const maso_search_hit *a, const maso_search_hit *b)
{
    return a->distance > b->distance ||
           (a->distance == b->distance && a->id > b->id);
}

static void sift_down(search_heap *h, size_t i)
{
    maso_search_hit *it = h->items;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->size && worse(&it[l], &it[m]))
            m = l;
        if (r < h->size && worse(&it[r], &it[m]))
            m = r;
        if (m == i)
            return;
        maso_search_hit t = it[i];
        it[i] = it[m];
        it[m] = t;
        i = m;
    }
}

void search_heap_push(search_heap *h, double distance, uint64_t id)
{
    if (!search_heap_wants(h, distance, id))
        return;
    maso_search_hit hit = { id, distance };
    if (h->size == h->cap) {
        h->items[0] = hit;
        sift_down(h, 0);
        return;
    }
    size_t i = h->size++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!worse(&hit, &h->items[p]))
            break;
        h->items[i] = h->items[p];
        i = p;
    }
    h->items[i] = hit;
}

int search_hit_cmp(const void *a, const void *b)
{
    const maso_search_hit *x = a, *y = b;
    if (worse(x, y))
        return 1;
    return worse(y, x) ? -1 : 0;
}

void search_heap_sort(search_heap *h)
{
    qsort(h->items, h->size, sizeof *h->items, search_hit_cmp);
}
