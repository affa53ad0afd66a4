/* search.h -- maso-query's search side: "which of my photos look like
 * this one?" (query_search) and "which are near-duplicates?"
 * (query_duplicates), over one or several stores searched as one. */
#ifndef MASO_QUERY_SEARCH_H
#define MASO_QUERY_SEARCH_H

#include <stddef.h>
#include <stdint.h>

#include "dupes.h"
#include "maso.h"
#include "maso_cli.h"
#include "maso_engine.h"

/* Output formats. */
typedef enum query_format {
    QUERY_FORMAT_TABLE = 0, /* aligned text table (default) */
    QUERY_FORMAT_JSON,      /* one JSON object per line */
    QUERY_FORMAT_TSV        /* tab-separated, one header line */
} query_format;

/* The default layers of every distance maso-query reports (searches and
 * near-duplicate groups alike) and the near-duplicate threshold, chosen on
 * planted copies of the Kodak and classify photos (bench/planted_dupes.sh,
 * README "Finding copies"): the late layers alone, equal weights, join
 * every planted copy from 0.16 to 0.25 with no false pair below 0.28 (all
 * 29 layers: only from 0.28, as good as the maso-eval fit's weights);
 * the threshold is the smallest that joins every planted copy, leaving
 * the widest margin to other photos of similar scenes. */
#define QUERY_DUPLICATES_THRESHOLD 0.16
#define QUERY_DEFAULT_LAYERS "fire6/squeeze1x1..conv10"

typedef struct search_options {
    const char *model_dir;    /* --model, or NULL */
    const char **dbs;         /* --db (repeated), --db-list, or DB */
    size_t n_dbs;
    char **images;            /* IMAGE... */
    size_t n_images;
    size_t k;                 /* -k (default 10) */
    double threshold;         /* --threshold, < 0: none */
    int include_self;         /* --include-self */
    int indexed;              /* --indexed: IMAGEs are stored paths */
    const char *layers;       /* --layers SPEC, or NULL */
    const char *weights_file; /* --weights FILE, or NULL */
    int explain;              /* --explain: per-layer distances */
    query_format format;      /* --json, --tsv */
    const char *html;         /* --html FILE, or NULL */
    int html_append;          /* --html-append FILE: add to the page */
    int exact;                /* --exact */
    int threads;              /* --threads (0: all cores) */
    long candidates;          /* --candidates (-1: automatic) */
    long bands;               /* --bands (0: none, -1: auto) */
    int allow_partial;        /* --allow-partial */
    char **missing;           /* shards left out (--allow-partial) */
    size_t n_missing;
    char **hosts;             /* after shardset_expand: the host of each
                                 of dbs ("*": any), or NULL (all any) */
    int no_orient;            /* --no-orient: the query as it is only */
    dupe_options dupes;       /* --duplicates: --keep, --reference, actions */
} search_options;

/* Initialise @p o with the defaults above. */
void search_options_init(search_options *o);

/* maso-query [OPTIONS] DB IMAGE...: the k nearest stored images of each
 * IMAGE.  Returns the exit status (0 found, 1 none, 2 error). */
int query_search(const search_options *o);

/* maso-query --duplicates DB: near-duplicate groups of the whole store(s).
 * Returns the exit status. */
int query_duplicates(const search_options *o);
/* Say on standard error that @p unoriented of the @p count images have no
 * orientation sketches, so --duplicates groups them only as they are
 * (duplicates.c; rank 0 of an MPI job alike). */
void query_say_unoriented(uint64_t unoriented, uint64_t count);

struct maso_job;

/* The same, as an MPI job (cluster.c): every rank searches the stores it
 * owns, rank 0 merges and writes; the output and exit status are the
 * single process's.  Collective; returns the status on every rank. */
int query_search_mpi(const search_options *o, struct maso_job *job);
int query_duplicates_mpi(const search_options *o, struct maso_job *job);

/* The summary-stage candidates of one query of an MPI search, agreed
 * over all ranks (cluster_cut.c): those of the @p wanted best of the whole
 * collection that lie in @p engine's stores (NULL: this rank has none),
 * into *chosen (malloc'ed, the caller frees it).  @p global_of maps the
 * engine's stores to their positions in the list of @p n_stores; @p bins
 * is the summary bits + 1.  Collective (every rank calls it, failed or
 * not); 0, or an error on every rank. */
int query_agree_candidates(maso_engine *engine, const size_t *global_of,
                           size_t n_stores, const maso_engine_probe *probes,
                           size_t n_probes, size_t wanted, size_t bins,
                           maso_engine_candidate **chosen, size_t *n_chosen);

/* With full codes: how many of this rank's sketch hits @p hits (n, sorted,
 * ids tagged by @p engine's stores, mapped to the list by @p global_of)
 * are among the @p wanted best of all ranks: *keep (cluster_cut.c).
 * Collective; 0, or ENOMEM on every rank. */
int query_agree_rerank(const maso_engine_match *hits, size_t n,
                       const size_t *global_of, size_t wanted, size_t *keep);

/* The edges of the banded --duplicates of an MPI job (cluster_bands.c):
 * the candidate pairs one process compares with @p bands bands, found by
 * exchanging band keys all-to-all, verified on the rank owning the first
 * record; those within @p max_distance into *edges (pairs of ids tagged
 * with their stores' places in the list; malloc'ed, the caller frees it),
 * *compared the pairs whose distance was computed here.  @p engine: this
 * rank's (NULL: none); @p global_of: its stores' places in the list;
 * @p owner: the rank of every store of the list.  Collective; a failure
 * aborts the job.  Returns 0. */
int query_band_edges(maso_engine *engine, const size_t *global_of,
                     const int *owner, size_t bands, double max_distance,
                     size_t sketch_bytes, size_t summary_bytes,
                     uint64_t **edges, size_t *n_edges, uint64_t *compared);

/* The edges of --duplicates with @p candidates (>= 1, < the records of
 * the job) of an MPI job (cluster_nearest.c): each record's @p candidates
 * nearest of all ranks' records by the summary distance, as one process
 * picks them (over the orientation sketches with @p orient), the pairs
 * verified on the record's rank with the candidates' sketches fetched
 * from their owners; those within @p max_distance into *edges, as
 * query_band_edges().  Collective; a failure to allocate aborts the job.
 * Returns 0, or QUERY_EXIT_ERROR (printed) on every rank when a rank
 * cannot read its orientation sketches. */
int query_nearest_edges(maso_engine *engine, const size_t *global_of,
                        const int *owner, size_t candidates, int orient,
                        double max_distance, size_t sketch_bytes,
                        size_t summary_bytes, uint64_t **edges,
                        size_t *n_edges);

/* Rank 0's @p status on every rank (collective under MPI; the status
 * itself otherwise). */
int query_job_status(struct maso_job *job, int status);

/* Decode the query image @p path, or standard input when it is "-"
 * (image_input.c); on failure @p err names the file and the cause. */
int query_image_load(maso_decoder *decoder, const char *path,
                     const maso_decode_params *params, maso_image *out,
                     char err[MASO_CLI_ERRLEN]);

/* Orientation @p o (1..8, maso_image_orient) of @p img coded by
 * @p forward into @p code and sketched into @p sketch (image_input.c; the
 * single process and the MPI ranks code queries alike).  On a coding
 * failure @p err names @p path and the cause; ENOMEM leaves @p err as it
 * is. */
int query_code_orientation(maso_forward *forward, const maso_sketch *sketch,
                           const maso_image *img, int o, uint8_t *code,
                           uint8_t *sketched, const char *path,
                           char err[MASO_CLI_ERRLEN]);

/* Append the image paths listed in @p file ("-": standard input), one a
 * line, or NUL-separated with @p nul, to *list (grown with realloc; the
 * strings are malloc'ed). */
int args_files_from(const char *file, int nul, char ***list, size_t *n);

/* Command-line helpers (args.c).  Each returns 0, or -1 after printing
 * what is wrong with the option. */
int args_size(const char *opt, const char *text, size_t min, size_t *out);
int args_distance(const char *opt, const char *text, double *out);
/* Append the stores listed in FILE (one path a line; blank lines and
 * lines starting with '#' ignored) to o->dbs (grown with realloc). */
int args_db_list(search_options *o, const char *file);
/* Append one store to o->dbs. */
int args_db_add(search_options *o, const char *db);

/* Replace each sharded index among o->dbs by its shard stores
 * (shardset.c) and fill o->hosts.  With @p check, each shard is opened
 * once to see that it is there: missing shards are an error, or with
 * o->allow_partial left out and listed in o->missing (an MPI job checks
 * on the ranks that own them instead).  0, or -1 after printing why. */
int shardset_expand(search_options *o, int check);

#endif
