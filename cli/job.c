/* job.c -- start-up of an MPI job, or a job of one rank without MPI (see
 * maso_job.h). */
#include "maso_job.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef MASO_HAVE_MPI
#include <mpi.h>
#endif

#define HOST_LEN 256

struct maso_job {
    int mpi, rank, size;
    char host[HOST_LEN];
    char *host_table;         /* size * HOST_LEN bytes */
    const char **hosts;       /* into host_table, rank order */
    const char **distinct;
    size_t n_distinct;
};

int maso_job_launched(void)
{
    static const char *const vars[] = {
        "OMPI_COMM_WORLD_SIZE", /* Open MPI's mpirun */
        "PMI_SIZE",             /* MPICH's Hydra, Slurm PMI-1/2 */
        "PMIX_RANK",            /* PMIx launchers (srun --mpi=pmix) */
        "MPI_LOCALNRANKS",      /* MPICH */
    };
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        if (getenv(vars[i]))
            return 1;
    return 0;
}

int maso_job_mpi_built(void)
{
#ifdef MASO_HAVE_MPI
    return 1;
#else
    return 0;
#endif
}

/* The host table, and the distinct hosts in order of first rank. */
static int job_tables(maso_job *j)
{
    j->hosts = calloc((size_t)j->size, sizeof *j->hosts);
    j->distinct = calloc((size_t)j->size, sizeof *j->distinct);
    if (!j->hosts || !j->distinct)
        return ENOMEM;
    for (int r = 0; r < j->size; r++) {
        j->hosts[r] = j->host_table + (size_t)r * HOST_LEN;
        size_t d = 0;
        while (d < j->n_distinct && strcmp(j->distinct[d], j->hosts[r]))
            d++;
        if (d == j->n_distinct)
            j->distinct[j->n_distinct++] = j->hosts[r];
    }
    return 0;
}

int maso_job_start(int *argc, char ***argv, maso_job **out,
                   char err[MASO_CLI_ERRLEN])
{
    *out = NULL;
    maso_job *j = calloc(1, sizeof *j);
    if (!j) {
        snprintf(err, MASO_CLI_ERRLEN, "out of memory");
        return ENOMEM;
    }
    j->size = 1;
    if (gethostname(j->host, sizeof j->host) != 0 || !j->host[0])
        snprintf(j->host, sizeof j->host, "localhost");
    j->host[HOST_LEN - 1] = '\0';
    if (maso_job_launched()) {
#ifdef MASO_HAVE_MPI
        int provided;
        if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) !=
            MPI_SUCCESS) {
            snprintf(err, MASO_CLI_ERRLEN, "MPI_Init_thread failed");
            free(j);
            return MASO_EINVAL_ARG;
        }
        j->mpi = 1;
        MPI_Comm_rank(MPI_COMM_WORLD, &j->rank);
        MPI_Comm_size(MPI_COMM_WORLD, &j->size);
#else
        (void)argc;
        (void)argv;
        snprintf(err, MASO_CLI_ERRLEN, "started by an MPI launcher, but "
                 "this build has no MPI (configure with -DMASO_MPI=ON)");
        free(j);
        return ENOTSUP;
#endif
    }
    j->host_table = calloc((size_t)j->size, HOST_LEN);
    int rc = j->host_table ? 0 : ENOMEM;
#ifdef MASO_HAVE_MPI
    if (!rc && j->mpi)
        MPI_Allgather(j->host, HOST_LEN, MPI_CHAR, j->host_table, HOST_LEN,
                      MPI_CHAR, MPI_COMM_WORLD);
#endif
    if (!rc && !j->mpi)
        memcpy(j->host_table, j->host, HOST_LEN);
    if (!rc)
        rc = job_tables(j);
    if (rc) {
        snprintf(err, MASO_CLI_ERRLEN, "out of memory");
        maso_job_end(j);
        return rc;
    }
    *out = j;
    return 0;
}

void maso_job_end(maso_job *j)
{
    if (!j)
        return;
#ifdef MASO_HAVE_MPI
    if (j->mpi)
        MPI_Finalize();
#endif
    free(j->distinct);
    free(j->hosts);
    free(j->host_table);
    free(j);
}

int maso_job_is_mpi(const maso_job *j) { return j->mpi; }
int maso_job_rank(const maso_job *j) { return j->rank; }
int maso_job_size(const maso_job *j) { return j->size; }
const char *maso_job_host(const maso_job *j) { return j->host; }
const char *const *maso_job_hosts(const maso_job *j) { return j->hosts; }

const char *const *maso_job_distinct_hosts(const maso_job *j, size_t *n)
{
    *n = j->n_distinct;
    return j->distinct;
}

void maso_job_owners(const maso_job *j, const char *const *hosts, size_t n,
                     int *owner)
{
    for (size_t i = 0; i < n; i++) {
        const char *host = hosts[i];
        if (strcmp(host, MASO_SHARDS_ANY_HOST) == 0) {
            owner[i] = (int)(i % (size_t)j->size);
            continue;
        }
        /* The turn of this shard among its host's shards, then the rank
         * of that turn among the host's ranks. */
        size_t turn = 0, ranks = 0;
        for (size_t k = 0; k < i; k++)
            turn += strcmp(hosts[k], host) == 0;
        for (int r = 0; r < j->size; r++)
            ranks += strcmp(j->hosts[r], host) == 0;
        owner[i] = -1;
        if (ranks == 0)
            continue;
        turn %= ranks;
        for (int r = 0; r < j->size; r++)
            if (strcmp(j->hosts[r], host) == 0 && turn-- == 0) {
                owner[i] = r;
                break;
            }
    }
}
