/* stats_internal.h -- helpers shared by the statistics files; not public. */
#ifndef MASO_EVAL_STATS_INTERNAL_H
#define MASO_EVAL_STATS_INTERNAL_H

#include <stddef.h>

/* MASO_EINVAL_ARG when v is NULL or holds a NaN (or an infinity unless
 * allow_inf), else MASO_SUCCESS. */
int meval_stats_check(const double *v, size_t n, int allow_inf);

/* order[] receives 0..n-1 sorted by ascending v, ties by index (a stable
 * order).  MASO_SUCCESS or ENOMEM. */
int meval_stats_order(const double *v, size_t n, size_t *order);

#endif
