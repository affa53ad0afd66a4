/* search_internal.h -- what the modules of libmaso_search share (not installed). */
#ifndef SEARCH_INTERNAL_H
#define SEARCH_INTERNAL_H

#include <stdarg.h>

#include "maso_search.h"

/* One layer as the distance loop needs it: where, how, and its factor. */
typedef struct search_layer {
    size_t offset;      /* byte offset of the section */
    size_t blocks;      /* 64-byte blocks holding its units */
    size_t units;
    int bits_per_unit;  /* 1, 4 or 8 */
} search_layer;

/* A run of the distance program (program.c): contiguous 64-byte blocks of
 * one kind, counted into accumulator `slot`; with `flush`, slot 0 is then
 * multiplied by the factor of `group`, added to the distance and cleared. */
typedef struct search_run {
    uint32_t offset;    /* byte offset in the sketch */
    uint32_t blocks;
    uint8_t bits;       /* bits per unit: 1, 4 or 8 */
    uint8_t slot;       /* < SEARCH_SLOTS */
    uint8_t flush;
    uint16_t group;
} search_run;

/* Groups that get their own accumulator; more fall back to flushing. */
#define SEARCH_SLOTS 4

/* One summary bit: which byte of the sketch, and how to read the bit. */
typedef struct summary_bit {
    uint32_t byte;      /* byte offset in the sketch */
    uint8_t shift;      /* bit (RELU) or nibble (MAXPOOL) position */
    uint8_t bits;       /* bits_per_unit of the layer */
    uint16_t layer;     /* index in the layout */
} summary_bit;

/* Scores one sketch against the query: the distance program. */
typedef double (*search_score_fn)(const struct maso_search *s,
                                  const uint8_t *q, const uint8_t *r);
/* Scores records base + i*stride, i < n, into out[i]: what the exact scan
 * calls, so that a kernel can overlap records and prefetch ahead. */
typedef void (*search_batch_fn)(const struct maso_search *s, const uint8_t *q,
                                const uint8_t *base, size_t stride, size_t n,
                                double *out);
/* Masked popcount distance between two summaries of `words` words. */
typedef uint32_t (*search_summary_fn)(const uint8_t *a, const uint8_t *b,
                                      const uint64_t *mask, size_t words);

struct maso_search {
    size_t n_layers;
    search_layer *layers;
    double *weights;        /* n_layers, as set */
    /* The distance program (program.c): layers with a non-zero weight
     * grouped by their factor w / (sum(w) * units), as runs of blocks. */
    uint16_t *layer_group;  /* n_layers; UINT16_MAX = weight zero */
    double *group_factor;   /* n_groups (room for n_layers) */
    size_t n_groups;
    size_t n_slots;         /* groups with their own slot; 0 = flushing */
    search_run *runs;       /* n_runs (room for n_layers) */
    size_t n_runs;
    size_t record_bytes;
    int threads;
    size_t summary_bits;
    summary_bit *plan;      /* summary_bits entries */
    uint64_t *mask;         /* summary_bits/64 words; 0 = zero-weight layer */
    const maso_kernels *kernels; /* libmaso set used by the generic path */
    search_score_fn score;
    search_batch_fn score_batch;
    search_summary_fn summary_distance;
    char errmsg[MASO_ERRMSG_SIZE];
};

/* Record a failure message on the handle and return `status`. */
#define search_fail(s, status, ...) \
    maso_errmsg_format((s)->errmsg, (status), __VA_ARGS__)

/* Rebuild the groups and runs from the weights (program.c). */
void search_program_build(maso_search *s);
/* d + sum over the slot groups g (in order) of factor_g * slots[g]: the
 * end of every kernel's score, so that all sum in the same order. */
double search_program_sum(const maso_search *s, double d,
                          const uint64_t *slots);

/* Pick the fastest score / summary kernels for this CPU (distance.c). */
void search_pick_kernels(maso_search *s);

/* Rebuild the summary plan and mask (summary.c). */
int search_plan_build(maso_search *s);
void search_mask_build(maso_search *s);

/* Bounded max-heap of the k best (distance, id) pairs (topk.c).  The
 * worst kept entry is at the top so a better one replaces it. */
typedef struct search_heap {
    maso_search_hit *items;
    size_t size, cap;
} search_heap;

void search_heap_push(search_heap *h, double distance, uint64_t id);
/* Would (distance, id) enter the heap? */
static inline int search_heap_wants(const search_heap *h, double distance,
                                    uint64_t id)
{
    if (h->size < h->cap)
        return 1;
    const maso_search_hit *top = &h->items[0];
    return distance < top->distance ||
           (distance == top->distance && id < top->id);
}
/* Sort the items ascending by (distance, id); the heap is spent. */
void search_heap_sort(search_heap *h);
/* Ascending (distance, id) comparison for qsort. */
int search_hit_cmp(const void *a, const void *b);

/* Segments seen as one array of records (segments.c). */
typedef struct search_span {
    const maso_search_segment *seg;
    size_t n_seg;
    size_t *start;          /* n_seg + 1 prefix sums of counts */
    size_t total;
} search_span;

int search_span_init(maso_search *s, search_span *sp,
                     const maso_search_segment *segments, size_t n_segments,
                     int need_summaries);
void search_span_free(search_span *sp);
/* search_span_init for grouping: records are numbered with uint32_t, so at
 * most 2^32-2 of them (MASO_EINVAL_ARG beyond). */
int search_span_init_grouping(maso_search *s, search_span *sp,
                              const maso_search_segment *segments,
                              size_t n_segments, int need_summaries);
/* Segment holding global record g. */
size_t search_span_find(const search_span *sp, size_t g);
static inline uint64_t search_span_id(const search_span *sp, size_t seg,
                                      size_t i)
{
    const maso_search_segment *x = &sp->seg[seg];
    return x->ids ? x->ids[i] : (uint64_t)(sp->start[seg] + i);
}
static inline const uint8_t *search_span_record(const search_span *sp,
                                                size_t seg, size_t i)
{
    return sp->seg[seg].base + i * sp->seg[seg].stride;
}

/* Union-find root of @p x, halving paths (dupes.c). */
uint32_t search_find_root(uint32_t *parent, uint32_t x);

/* The components of size >= 2 of the forest @p parent over the n records
 * of @p sp (sketches rec[]) into @p g: members in record order, groups
 * ordered by their first member (the root must be the smallest index),
 * max_distance over all pairs of each group, by search_pair_distance()
 * (dupes.c). */
int search_groups_collect(maso_search *s, const search_span *sp,
                          const uint8_t *const *rec,
                          const maso_search_variants *var, uint32_t *parent,
                          size_t n, maso_search_groups *g);

/* The distance of records a and b (sketches rec[], variants @p var or
 * NULL) as maso_search_distance_variants(); it returns as soon as a pair
 * of sketches is within @p stop (a negative stop: the smallest of all)
 * (groups.c). */
double search_pair_distance(const maso_search *s, const uint8_t *const *rec,
                            const maso_search_variants *var, uint32_t a,
                            uint32_t b, double stop);

/* Run fn(arg_i) for i in [0, n) on n threads (the caller's thread runs the
 * first, and any part whose thread could not be created) (threads.c). */
void search_run_threads(int n, void *(*fn)(void *), void *args,
                       size_t arg_size);

#endif
