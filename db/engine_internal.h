/* engine_internal.h -- the engine's state, shared by its modules
 * (engine.c: the set of stores; engine_query.c: ranked matches;
 * engine_dupes.c: near-duplicate groups).  Not installed. */
#ifndef MASO_ENGINE_INTERNAL_H
#define MASO_ENGINE_INTERNAL_H

#include "maso_engine.h"

struct maso_engine {
    size_t n;                   /* stores */
    char **paths;               /* copies of the paths */
    maso_store **stores;
    maso_store_view **views;    /* view i tagged i */
    maso_search_segment *segs;  /* all views' segments, store 0 first */
    size_t n_segs;
    uint64_t count;
    maso_search *search;
    int full_codes;
    const maso_code_layer *layers;        /* code layout (store 0) */
    size_t n_layers;
    const maso_code_layer *sketch_layers; /* sketch layout */
    double *weights;            /* NULL: equal */
    uint64_t unoriented;        /* of the last duplicates call */
    int prefetched;             /* maso_engine_prefetch() done */
    maso_search_hit *hits;      /* scratch of a query, cap entries */
    size_t cap;
    char errmsg[MASO_ERRMSG_SIZE];
};

/* Set the message (printf-like) and return @p rc. */
#define engine_fail(e, rc, ...) \
    maso_errmsg_format((e)->errmsg, (rc), __VA_ARGS__)

/* Grow e->hits to at least @p n entries.  0 or ENOMEM. */
int engine_reserve_hits(maso_engine *e, size_t n);

/* The exact full-code distance of two codes with the engine's weights. */
double engine_code_distance(const maso_engine *e, const uint8_t *a,
                            const uint8_t *b, double *per_layer);

/* The view holding tagged id @p id (and its store index), or NULL. */
maso_store_view *engine_view_of(const maso_engine *e, uint64_t id,
                                size_t *index);

/* The orientation variants of every record of e->segs in segment order
 * (maso_search_variants with n = MASO_STORE_ORIENTS) into *sketches
 * (malloc'ed, owned by the caller); e->unoriented counts the records
 * without.  0, ENOMEM or MASO_EDATA (engine_dupes.c). */
int engine_orient_variants(maso_engine *e, const uint8_t ***sketches);

#endif
