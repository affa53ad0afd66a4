/* indexer.h -- the parts of the maso-index program.
 *
 * main.c parses the options and runs the stages in order:
 *   walk.c     collect the files named on the command line;
 *   plan.c     compare them with the store (one read snapshot) and decide
 *              what to index, what to skip and what to prune;
 *   pipeline.c workers decode and run the network, the calling thread
 *              writes the results to the store in batches;
 *   progress.c the progress line and the final summary.
 */
#ifndef MASO_INDEXER_H
#define MASO_INDEXER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "maso.h"
#include "maso_store.h"
#include "walk.h"

/* Exit status: everything indexed, some files failed, usage or fatal
 * error, interrupted by SIGINT/SIGTERM (128 + SIGINT, as shells report). */
enum {
    INDEX_EXIT_OK = 0,
    INDEX_EXIT_FAILED = 1,
    INDEX_EXIT_ERROR = 2,
    INDEX_EXIT_INTERRUPTED = 130
};

/* How verbose the program is on stderr. */
typedef enum index_verbosity {
    INDEX_QUIET = 0,   /* failures only */
    INDEX_NORMAL = 1,  /* + progress line (on a terminal) and summary */
    INDEX_VERBOSE = 2  /* + one line per file */
} index_verbosity;

/* One file to index: its absolute path (borrowed from the walk list) and
 * what stat() said, which is what the record will hold. */
typedef struct index_item {
    const char *path;
    uint64_t size;
    int64_t mtime_ns;
} index_item;

/* What plan.c decided. */
typedef struct index_plan {
    index_item *todo;        /* files to (re)index, in path order */
    size_t n_todo;
    char **prune;            /* stored paths whose file is gone (owned) */
    size_t n_prune;
    size_t skipped;          /* unchanged and already coded */
} index_plan;

/* Compare the walked files with the store's records (one read transaction
 * for all of them) and fill @p plan.  @p rescan: index every file;
 * @p prune: list stored paths whose file no longer exists.  Returns 0 or
 * an errno / MASO_* status; the store's message says why. */
int index_plan_build(maso_store *store, const walk_list *files, int rescan,
                     int prune, index_plan *plan);
void index_plan_free(index_plan *plan);

/* The progress line and the summary. */
typedef struct index_progress {
    int enabled;        /* draw the \r line (stderr is a terminal) */
    int drawn;          /* a line is on screen now */
    size_t total;
    double start, last_draw;
} index_progress;

double index_now(void);
void index_progress_start(index_progress *p, size_t total, int enabled);
/* Redraw when at least 0.25 s passed since the last draw (or @p force). */
void index_progress_update(index_progress *p, size_t done, int force);
/* Erase the line so that a message can be printed. */
void index_progress_clear(index_progress *p);

/* What a run did, for the summary and the exit status. */
typedef struct index_counts {
    size_t indexed, failed, skipped, pruned, walk_errors;
    size_t walk_skipped[WALK_SKIP_KINDS]; /* left out inside folders */
    double seconds;     /* of the pipeline */
    int interrupted;
} index_counts;

void index_summary_print(const index_counts *c, maso_store *store);

/* The pipeline's settings. */
typedef struct index_pipeline_options {
    int jobs;                 /* worker threads */
    size_t batch_ops;         /* commit every batch_ops records ... */
    double batch_seconds;     /* ... or batch_seconds */
    index_verbosity verbosity;
    volatile sig_atomic_t *stop; /* set by SIGINT/SIGTERM: stop feeding */
    int no_orient;            /* 1: keep no orientation sketches */
} index_pipeline_options;

/* Code the image file @p path as maso_forward_code_file() with
 * MASO_CODE_TRIM_BORDER does into @p code, and its MASO_STORE_ORIENTS other
 * orientations (MASO_STORE_ORIENTATIONS) through @p scratch (a code
 * buffer) into @p orients (their sketches, maso_sketch_bytes(@p sketch)
 * each) (orient.c).  0, or a status with a message naming the file in
 * @p err; ECANCELED (no message: the file is not coded, not failed) when
 * @p stop is set between two passes, so that a signal stops the run
 * within one pass rather than four. */
int index_code_orients(maso_forward *forward, maso_decoder *decoder,
                       const char *path, const maso_sketch *sketch,
                       volatile sig_atomic_t *stop, uint8_t *code,
                       uint8_t *scratch, uint8_t *orients, char *err,
                       size_t err_size);

/* Messages of failed files are cut to this many bytes. */
#define INDEX_REASON_MAX 1024

/* The reason stored for a failed file: @p message without the "path: "
 * prefix messages start with (the record already holds the path). */
const char *index_stored_reason(const char *path, const char *message);

/* Index @p plan's todo list into @p store (opened for writing with
 * @p model's identity) and apply its prunes.  Failures of single files are
 * reported on stderr, recorded and counted; the return value is 0, or a
 * fatal status (the store could not commit, out of memory), after which
 * what was committed before stays committed. */
int index_pipeline_run(maso_store *store, const maso_model *model,
                       const index_plan *plan,
                       const index_pipeline_options *opt,
                       index_progress *progress, index_counts *counts);

#endif
