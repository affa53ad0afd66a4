/*
 * maso_job.h -- the programs' view of an MPI job: whether this process was
 * started by an MPI launcher (mpirun, mpiexec, srun), its rank, the job's
 * size, the host of every rank, and which rank owns each shard of a
 * sharded index.  A process started without a launcher is a job of one
 * rank and never initialises MPI (so maso-index and maso-query run as
 * before, without an MPI runtime's start-up).
 *
 * Conventions of maso.h: status codes, messages into the caller's buffer,
 * no printing, no exit.  The functions are called from one thread (the
 * programs' main thread: MPI is initialised with MPI_THREAD_FUNNELED).
 * Programs talk MPI themselves (mpi.h, MPI_COMM_WORLD) once the job has
 * started: this header only spares each of them the start-up.
 */
#ifndef MASO_JOB_H
#define MASO_JOB_H

#include <stddef.h>

#include "maso.h"
#include "maso_cli.h"
#include "maso_shards.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct maso_job maso_job;

/** 1 when an MPI launcher started this process (its environment names a
 *  rank: Open MPI, MPICH/Hydra, PMIx, Slurm's PMI), else 0. */
int maso_job_launched(void);

/** 1 when this build can run as an MPI job. */
int maso_job_mpi_built(void);

/**
 * Start the job: under a launcher, MPI_Init_thread() (funneled) and an
 * exchange of host names; otherwise a job of one rank on this host.
 * *job is owned by the caller (maso_job_end()).  Errors: ENOTSUP (started
 * by a launcher but built without MPI), ENOMEM, MASO_EINVAL_ARG.
 */
int maso_job_start(int *argc, char ***argv, maso_job **job,
                   char err[MASO_CLI_ERRLEN]);

/** Finalise MPI when the job started it, and free the handle (NULL ok). */
void maso_job_end(maso_job *job);

/** 1 when MPI is running (the job was launched), else 0. */
int maso_job_is_mpi(const maso_job *job);
int maso_job_rank(const maso_job *job);
int maso_job_size(const maso_job *job);
/** This rank's host name; owned by the job. */
const char *maso_job_host(const maso_job *job);
/** The host of every rank, in rank order (maso_job_size() entries); the
 *  array and strings are owned by the job. */
const char *const *maso_job_hosts(const maso_job *job);
/** The distinct hosts in order of their first rank; *n receives how many.
 *  Owned by the job. */
const char *const *maso_job_distinct_hosts(const maso_job *job, size_t *n);

/**
 * The rank that owns (writes, and searches) each of @p n stores whose
 * hosts are @p hosts (maso_shards_host(): MASO_SHARDS_ANY_HOST when any
 * machine can open it): owner[i] for i < n.  A store any host can open
 * goes to rank i mod size; a store of a named host to the ranks on that
 * host in turn; -1 when no rank of the job runs on its host.
 */
void maso_job_owners(const maso_job *job, const char *const *hosts,
                     size_t n, int *owner);

#ifdef __cplusplus
}
#endif
#endif /* MASO_JOB_H */
