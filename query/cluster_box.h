/* cluster_box.h -- what the all-to-all steps of an MPI maso-query job share
 * (cluster_bands.c, cluster_nearest.c): values per destination rank, their
 * exchange, and fetching records from the ranks that own them.  Every call
 * here that is collective aborts the job when it runs out of memory or
 * past MPI's int counts: an MPI rank cannot half-answer.  MPI builds
 * only. */
#ifndef MASO_QUERY_CLUSTER_BOX_H
#define MASO_QUERY_CLUSTER_BOX_H

#include <stddef.h>
#include <stdint.h>

/* A rank that cannot go on: print "maso-query: rank R on HOST: " and the
 * printf-style message on stderr, then end the whole job (MPI_Abort with
 * QUERY_EXIT_ERROR; mpirun exits non-zero).  MPI_Abort alone says only
 * which rank called it, not why.  Never returns. */
_Noreturn void cluster_abort(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* A growing array of uint64_t per destination rank; a failed allocation
 * is remembered (failed) and ends the job at the next exchange. */
typedef struct outbox {
    uint64_t **v;
    size_t *n, *cap;
    int ranks, failed;
} outbox;

/* 0 or ENOMEM (then outbox_free() it all the same). */
int outbox_init(outbox *o, int ranks);
void outbox_put(outbox *o, int to, const uint64_t *x, size_t n);
void outbox_clear(outbox *o);
void outbox_free(outbox *o);

/* Send every rank its values; *in receives what all ranks sent here, in
 * rank order (malloc'ed, the caller frees it), *n_in its count of values.
 * Collective. */
void box_exchange(const outbox *o, uint64_t **in, size_t *n_in);

/* Each rank asks for records by id: @p ask->v[r] lists the ids it wants
 * of rank r.  Every rank answers each id asked of it with @p words 8-byte
 * words, which @p answer writes (zeroed before; it leaves them so for an
 * id it does not hold); *got receives the answers (malloc'ed), @p words
 * each, in the order asked: rank 0's ids first.  Collective. */
void box_fetch(const outbox *ask, size_t words,
               void (*answer)(uint64_t id, uint64_t *out, void *arg),
               void *arg, uint64_t **got);

/* Sort @p v (n items of @p width 1..3 values, compared value by value)
 * and drop repeats; returns the new n (v may be NULL when n is 0). */
size_t box_sort_unique(uint64_t *v, size_t n, int width);

/* The root of @p x in the union-find forest @p parent (halving the path
 * on the way). */
size_t box_find_root(size_t *parent, size_t x);

/* qsort comparisons of uint64_t items of 1, 2 and 3 values. */
int box_cmp1(const void *a, const void *b);
int box_cmp2(const void *a, const void *b);
int box_cmp3(const void *a, const void *b);

#endif
