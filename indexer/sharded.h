/* sharded.h -- maso-index over a sharded index (maso_shards.h) or as an
 * MPI job: the layer above the single-store stages of indexer.h.
 *
 *   sharded.c  which stores this run writes (the manifest, created on
 *              first use, or the single store DB), and the run without
 *              MPI: the files split by shard, then plan and pipeline per
 *              shard, one shard after the other;
 *   cluster.c  the run as an MPI job: rank 0 hands out the files in small
 *              chunks (dynamic balancing), every rank codes them, and the
 *              one rank that owns a shard writes its records in batches.
 */
#ifndef MASO_INDEXER_SHARDED_H
#define MASO_INDEXER_SHARDED_H

#include "indexer.h"
#include "maso_job.h"
#include "maso_shards.h"

typedef struct index_shard_options {
    const char *db;
    size_t shards;           /* --shards (0: not given) */
    const char *shard_dir;   /* --shard-dir TEMPLATE, or NULL */
    int rescan, prune, full_codes;
    const index_pipeline_options *pipe;
} index_shard_options;

/* The stores of one run: a sharded index's shards, or the single store
 * DB as a set of one. */
typedef struct index_shard_set {
    maso_shards *manifest;      /* NULL: the single store DB */
    size_t n;
    const char *db;
    maso_store_identity identity; /* what shards are created with */
    char pre[MASO_CLI_PREPROCESS_LEN];
} index_shard_set;

/* 1 when this run needs this layer: DB is sharded, --shards >= 2 or
 * --shard-dir asks for a new sharded index, or the job has several
 * ranks. */
int index_sharded_wanted(const index_shard_options *o, const maso_job *job);

/* Open (rank 0: create when asked) the shard set; 0, or an exit status
 * after printing why.  Collective under MPI. */
int index_shard_set_open(index_shard_set *set, const index_shard_options *o,
                         const maso_job *job, const maso_model *model);
void index_shard_set_close(index_shard_set *set);
/* Where shard @p i is opened. */
const char *index_shard_location(const index_shard_set *set, size_t i);
/* The shard of a file. */
size_t index_shard_of(const index_shard_set *set, const char *path);
/* Open shard @p i for writing (created when missing); 0 or an errno /
 * MASO_* status with the message in @p err. */
int index_shard_open_store(const index_shard_set *set, size_t i,
                           maso_store **store, char err[MASO_CLI_ERRLEN]);

/* Split @p files by shard: sub[i] borrows the paths (free only
 * sub[i].path). */
int index_shard_split(const index_shard_set *set, const walk_list *files,
                      walk_list *sub);

/* The run without MPI: 0, or INDEX_EXIT_ERROR after a fatal error
 * (printed); per-file results are in @p counts. */
int index_sharded_local(const index_shard_set *set,
                        const index_shard_options *o,
                        const maso_model *model, const walk_list *files,
                        index_counts *counts);

/* The run as an MPI job; @p files is rank 0's walk (empty elsewhere).
 * Returns 0 or INDEX_EXIT_ERROR like index_sharded_local(), on every
 * rank, and @p counts summed over the job on every rank. */
int index_sharded_cluster(const index_shard_set *set,
                          const index_shard_options *o, maso_job *job,
                          const maso_model *model, const walk_list *files,
                          index_counts *counts);

/* The worst of every rank's @p status, on every rank (collective under
 * MPI; @p status itself otherwise). */
int index_sharded_agree(const maso_job *job, int status);

/* A fatal error of this rank: print it naming the rank and host, and end
 * the whole job (MPI_Abort; without MPI, _exit).  Programs only. */
void index_sharded_abort(const maso_job *job, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

/* The summary's last line for several shards: images and size in all. */
void index_shards_summary(const index_shard_set *set);

#endif
