/* cluster_box.c -- values per destination rank, their all-to-all exchange,
 * and fetching records from their owners, for the MPI steps of maso-query
 * (cluster_box.h). */
#include "cluster_box.h"
#include "query.h"

#ifdef MASO_HAVE_MPI
#include <mpi.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t box_find_root(size_t *parent, size_t x)
{
    while (parent[x] != x)
        x = parent[x] = parent[parent[x]];
    return x;
}

void cluster_abort(const char *fmt, ...)
{
    int rank = 0, len = 0;
    char host[MPI_MAX_PROCESSOR_NAME] = "";
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Get_processor_name(host, &len);
    fprintf(stderr, "maso-query: rank %d on %s: ", rank, host);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, QUERY_EXIT_ERROR);
    abort(); /* MPI_Abort does not return; this tells the compiler so */
}

int outbox_init(outbox *o, int ranks)
{
    memset(o, 0, sizeof *o);
    o->ranks = ranks;
    o->v = calloc((size_t)ranks, sizeof *o->v);
    o->n = calloc((size_t)ranks, sizeof *o->n);
    o->cap = calloc((size_t)ranks, sizeof *o->cap);
    return o->v && o->n && o->cap ? 0 : ENOMEM;
}

void outbox_put(outbox *o, int to, const uint64_t *x, size_t n)
{
    if (o->failed)
        return;
    if (o->n[to] + n > o->cap[to]) {
        size_t cap = o->cap[to] ? 2 * o->cap[to] : 1024;
        while (cap < o->n[to] + n)
            cap *= 2;
        uint64_t *g = realloc(o->v[to], cap * sizeof *g);
        if (!g) {
            o->failed = 1;
            return;
        }
        o->v[to] = g;
        o->cap[to] = cap;
    }
    memcpy(o->v[to] + o->n[to], x, n * sizeof *x);
    o->n[to] += n;
}

void outbox_clear(outbox *o)
{
    for (int r = 0; r < o->ranks; r++)
        o->n[r] = 0;
}

void outbox_free(outbox *o)
{
    for (int r = 0; o->v && r < o->ranks; r++)
        free(o->v[r]);
    free(o->v);
    free(o->n);
    free(o->cap);
}

void box_exchange(const outbox *o, uint64_t **in, size_t *n_in)
{
    int ranks = o->ranks;
    int *sc = calloc((size_t)ranks, sizeof *sc);
    int *rc = calloc((size_t)ranks, sizeof *rc);
    int *sd = calloc((size_t)ranks, sizeof *sd);
    int *rd = calloc((size_t)ranks, sizeof *rd);
    uint64_t *out = NULL;
    size_t total = 0;
    for (int r = 0; r < ranks; r++)
        total += o->n[r];
    int failed = o->failed || !sc || !rc || !sd || !rd ||
                 total > INT_MAX || !(out = malloc((total + 1) * 8));
    MPI_Allreduce(MPI_IN_PLACE, &failed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (failed)
        cluster_abort("out of memory, or a message past MPI's 2^31-1 counts");
    size_t at = 0;
    for (int r = 0; r < ranks; r++) {
        sc[r] = (int)o->n[r];
        sd[r] = (int)at;
        if (o->n[r])
            memcpy(out + at, o->v[r], o->n[r] * 8);
        at += o->n[r];
    }
    MPI_Alltoall(sc, 1, MPI_INT, rc, 1, MPI_INT, MPI_COMM_WORLD);
    size_t got = 0;
    for (int r = 0; r < ranks; r++) {
        rd[r] = (int)got;
        got += (size_t)rc[r];
    }
    *in = got <= INT_MAX ? malloc((got + 1) * 8) : NULL;
    failed = !*in;
    MPI_Allreduce(MPI_IN_PLACE, &failed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (failed)
        cluster_abort("out of memory, or a message past MPI's 2^31-1 counts");
    MPI_Alltoallv(out, sc, sd, MPI_UINT64_T, *in, rc, rd, MPI_UINT64_T,
                  MPI_COMM_WORLD);
    *n_in = got;
    free(out);
    free(sc);
    free(rc);
    free(sd);
    free(rd);
}

int box_cmp3(const void *a, const void *b)
{
    const uint64_t *x = a, *y = b;
    for (int i = 0; i < 3; i++)
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    return 0;
}

int box_cmp2(const void *a, const void *b)
{
    const uint64_t *x = a, *y = b;
    for (int i = 0; i < 2; i++)
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    return 0;
}

int box_cmp1(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}


size_t box_sort_unique(uint64_t *v, size_t n, int width)
{
    if (n == 0)
        return 0; /* v may be NULL: an outbox nothing was put in */
    qsort(v, n, (size_t)width * 8, width == 3 ? box_cmp3
                                    : width == 2 ? box_cmp2 : box_cmp1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (k == 0 || memcmp(v + (k - 1) * width, v + i * width,
                             (size_t)width * 8))
            memmove(v + k++ * width, v + i * width, (size_t)width * 8);
    return k;
}

void box_fetch(const outbox *ask, size_t words,
               void (*answer)(uint64_t id, uint64_t *out, void *arg),
               void *arg, uint64_t **got)
{
    int ranks = ask->ranks;
    uint64_t *asked;
    size_t n_asked;
    box_exchange(ask, &asked, &n_asked);
    /* the ranks asked in rank order: how many ids each one asked */
    int *sent = calloc((size_t)ranks, sizeof *sent);
    int *counts = calloc((size_t)ranks, sizeof *counts);
    uint64_t *rec = calloc(words ? words : 1, 8);
    outbox answers;
    if (outbox_init(&answers, ranks) || !sent || !counts || !rec)
        cluster_abort("out of memory");
    for (int r = 0; r < ranks; r++)
        sent[r] = (int)ask->n[r];
    MPI_Alltoall(sent, 1, MPI_INT, counts, 1, MPI_INT, MPI_COMM_WORLD);
    size_t at = 0;
    for (int r = 0; r < ranks; r++)
        for (int k = 0; k < counts[r] && at < n_asked; k++, at++) {
            memset(rec, 0, words * 8);
            answer(asked[at], rec, arg);
            outbox_put(&answers, r, rec, words);
        }
    size_t n_got;
    box_exchange(&answers, got, &n_got);
    outbox_free(&answers);
    free(rec);
    free(counts);
    free(sent);
    free(asked);
}

#endif
