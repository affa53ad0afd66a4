/*
 * mpi_topk.c -- what merging the top k of every rank costs maso-query as
 * an MPI job (query/cluster.c): each rank packs its k best matches as the
 * program does (status, count, then per match the distance, the tagged id
 * and a 64-byte path), rank 0 gathers them (MPI_Gather of the sizes, then
 * MPI_Gatherv) and keeps the k best by (distance, id).  Timed from a
 * barrier to the end of the merge on rank 0, median of ROUNDS rounds.
 *
 * usage: mpirun -np N mpi_topk [ROUNDS]   (k = 10, 100, 1000)
 * Prints one line per k on rank 0: ranks, k, median and p90 in ms.
 */
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATH_BYTES 64

typedef struct hit {
    double distance;
    uint64_t id;
    const char *path;
} hit;

static int hit_cmp(const void *a, const void *b)
{
    const hit *x = a, *y = b;
    if (x->distance != y->distance)
        return x->distance < y->distance ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static int dbl_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static uint64_t rng(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* This rank's answer: k matches, packed as query/cluster.c packs them. */
static size_t pack(uint8_t *out, size_t k, int rank, uint64_t *seed)
{
    uint8_t *p = out;
    int32_t status = 0;
    uint32_t count = (uint32_t)k;
    memcpy(p, &status, 4);
    memcpy(p + 4, &count, 4);
    p += 8;
    double d = 0.3;
    for (size_t i = 0; i < k; i++) {
        d += (double)(rng(seed) % 1000) * 1e-6;
        uint64_t id = ((uint64_t)rank << 48) | (rng(seed) >> 20);
        memcpy(p, &d, 8);
        memcpy(p + 8, &id, 8);
        p += 16;
        int n = snprintf((char *)p, PATH_BYTES, "/data/photos/2025/%06d/"
                         "IMG_%08llu.jpg", rank, (unsigned long long)id);
        memset(p + n, 'x', PATH_BYTES - 1 - (size_t)n);
        p[PATH_BYTES - 1] = '\0';
        p += PATH_BYTES;
    }
    return (size_t)(p - out);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int rounds = argc > 1 ? atoi(argv[1]) : 200;
    if (rounds < 1)
        rounds = 1;
    static const size_t ks[] = { 10, 100, 1000 };
    uint64_t seed = 0x9e3779b97f4a7c15ULL ^ (uint64_t)(rank + 1);
    for (size_t t = 0; t < sizeof ks / sizeof ks[0]; t++) {
        size_t k = ks[t];
        size_t cap = 8 + k * (16 + PATH_BYTES);
        uint8_t *mine = malloc(cap);
        uint8_t *all = rank == 0 ? malloc(cap * (size_t)size) : NULL;
        int *counts = calloc((size_t)size, sizeof *counts);
        int *displs = calloc((size_t)size, sizeof *displs);
        hit *hits = malloc(k * (size_t)size * sizeof *hits);
        double *ms = malloc((size_t)rounds * sizeof *ms);
        if (!mine || (rank == 0 && !all) || !counts || !displs || !hits ||
            !ms)
            MPI_Abort(MPI_COMM_WORLD, 2);
        double check = 0;
        for (int r = -5; r < rounds; r++) {  /* 5 rounds of warm-up */
            MPI_Barrier(MPI_COMM_WORLD);
            double t0 = MPI_Wtime();
            int n = (int)pack(mine, k, rank, &seed);
            MPI_Gather(&n, 1, MPI_INT, counts, 1, MPI_INT, 0,
                       MPI_COMM_WORLD);
            if (rank == 0) {
                int total = 0;
                for (int i = 0; i < size; i++) {
                    displs[i] = total;
                    total += counts[i];
                }
            }
            MPI_Gatherv(mine, n, MPI_BYTE, all, counts, displs, MPI_BYTE, 0,
                        MPI_COMM_WORLD);
            if (rank == 0) {
                size_t m = 0;
                for (int i = 0; i < size; i++) {
                    const uint8_t *p = all + displs[i] + 8;
                    uint32_t c;
                    memcpy(&c, all + displs[i] + 4, 4);
                    for (uint32_t j = 0; j < c; j++, m++) {
                        memcpy(&hits[m].distance, p, 8);
                        memcpy(&hits[m].id, p + 8, 8);
                        hits[m].path = (const char *)p + 16;
                        p += 16 + strlen(hits[m].path) + 1;
                    }
                }
                qsort(hits, m, sizeof *hits, hit_cmp);
                check += hits[0].distance + (double)strlen(hits[k - 1].path);
                if (r >= 0)
                    ms[r] = (MPI_Wtime() - t0) * 1e3;
            }
        }
        if (rank == 0) {
            qsort(ms, (size_t)rounds, sizeof *ms, dbl_cmp);
            printf("ranks %2d  k %4zu  merge median %.3f ms  p90 %.3f ms"
                   "  (check %.0f)\n", size, k, ms[rounds / 2],
                   ms[rounds * 9 / 10], check);
            fflush(stdout);
        }
        free(ms);
        free(hits);
        free(displs);
        free(counts);
        free(all);
        free(mine);
    }
    MPI_Finalize();
    return 0;
}
