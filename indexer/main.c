/* main.c -- maso-index: command line, and the stages in order (collect
 * the files, open the store, plan, run the pipeline, summarise). */
#include "indexer.h"
#include "maso_cli.h"
#include "sharded.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void usage(FILE *out)
{
    fputs(
"usage: maso-index [OPTIONS] DB [PATH...]\n"
"\n"
"Index the images in PATHs (files, or directories searched recursively)\n"
"into the store DB (a directory, created when missing).  Unchanged files\n"
"(same size and modification time) are skipped, so an interrupted run\n"
"resumes when it is started again.\n"
"\n"
"  --files-from FILE  also index the paths listed in FILE, one a line\n"
"                     (- reads standard input)\n"
"  -0, --null         the list is NUL-separated (find -print0)\n"
"  -L, --follow       follow symbolic links inside directories\n"
"  --exclude PATTERN  leave out files and folders matching PATTERN (shell\n"
"                     wildcards; without '/' it matches a name at any depth,\n"
"                     as '*.tmp' or 'Backups'; with '/' a path or the folder\n"
"                     it lies in); may be repeated\n"
"  --exclude-from FILE  patterns read from FILE, one a line (# comments)\n"
"  --hidden           also walk hidden files and folders, thumbnail caches,\n"
"                     trash and snapshot folders (.thumbnails, @eaDir,\n"
"                     .Trash-*, $RECYCLE.BIN...), skipped by default\n"
"  --rescan           index every file again, changed or not\n"
"  --prune            remove the records of files that no longer exist\n"
"  --repair           first remove the records that maso-query --check\n"
"                     finds damaged, then index their files again\n"
"  -j, --jobs N       worker threads (default: all cores)\n"
"  --batch N          commit every N files (default 64) ...\n"
"  --batch-seconds T  ... or every T seconds (default 2)\n"
"  --full-codes       keep full codes for exact re-ranking (new store)\n"
"  --precision P      the network's arithmetic for a new store: fp32 (the\n"
"                     default: the pretrained network's codes) or int8\n"
"                     (faster with VNNI; ~1.6 % of the code units differ);\n"
"                     an existing store keeps its own\n"
"  --no-orient        keep no mirrored and turned sketches: faster, smaller;\n"
"                     maso-query --duplicates then groups images only as\n"
"                     they are (searches stay orientation-invariant)\n"
"  --shards S         a new sharded index: DB holds a manifest and S shard\n"
"                     stores, a file going to the shard its path hashes to\n"
"                     (default 1: one store)\n"
"  --shard-dir T      where a new index's shards live: T with %n the shard\n"
"                     number and %h the host (default DB/shard-%n)\n"
"  --model DIR        model directory (default: $MASO_MODEL, ../shared, or\n"
"                     the user cache, downloaded and checked on first use)\n"
"  -q, --quiet        no progress line or summary (failures still shown)\n"
"  -v, --verbose      one line per file, and every file left out and why\n"
"  -h, --help         this text\n"
"      --version      the program's version\n"
"\n"
"As an MPI job (mpirun -np N maso-index ...), the ranks share the files\n"
"and each shard is written by one rank, with the contents one process\n"
"writes (orientation sketches included); each rank codes on one thread.\n"
"\n"
"Exit status: 0 all indexed, 1 some files failed, 2 usage or fatal error,\n"
"130 interrupted (what was done is committed).\n", out);
}

typedef struct index_options {
    const char *db;
    char **paths;
    int n_paths;
    const char *files_from;
    int nul, follow, rescan, prune, full_codes, hidden, repair;
    int precision_given;  /* --precision was on the command line */
    maso_model_precision precision;
    walk_patterns exclude;
    const char *model_dir;
    long shards;
    const char *shard_dir;
    index_pipeline_options pipe;
} index_options;

static volatile sig_atomic_t stop_requested;

/* SIGINT/SIGTERM: stop feeding the workers; the writer commits what is
 * done.  A second signal means "now": every batch committed so far is
 * safe, so leaving at once only loses the current one. */
static void on_signal(int sig)
{
    (void)sig;
    if (stop_requested)
        _exit(INDEX_EXIT_INTERRUPTED);
    stop_requested = 1;
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static int parse_count(const char *s, const char *what, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 1 || v > max) {
        fprintf(stderr, "maso-index: %s: expected a number from 1 to %ld, "
                "got '%s'\n", what, max, s);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_args(int argc, char **argv, index_options *o)
{
    enum { OPT_FILES_FROM = 256, OPT_RESCAN, OPT_PRUNE, OPT_BATCH,
           OPT_BATCH_SECONDS, OPT_FULL_CODES, OPT_NO_ORIENT, OPT_MODEL,
           OPT_SHARDS,
           OPT_SHARD_DIR, OPT_VERSION, OPT_EXCLUDE, OPT_EXCLUDE_FROM,
           OPT_HIDDEN, OPT_REPAIR, OPT_PRECISION };
    static const struct option longopts[] = {
        { "files-from", required_argument, NULL, OPT_FILES_FROM },
        { "null", no_argument, NULL, '0' },
        { "follow", no_argument, NULL, 'L' },
        { "exclude", required_argument, NULL, OPT_EXCLUDE },
        { "exclude-from", required_argument, NULL, OPT_EXCLUDE_FROM },
        { "hidden", no_argument, NULL, OPT_HIDDEN },
        { "rescan", no_argument, NULL, OPT_RESCAN },
        { "prune", no_argument, NULL, OPT_PRUNE },
        { "repair", no_argument, NULL, OPT_REPAIR },
        { "jobs", required_argument, NULL, 'j' },
        { "batch", required_argument, NULL, OPT_BATCH },
        { "batch-seconds", required_argument, NULL, OPT_BATCH_SECONDS },
        { "full-codes", no_argument, NULL, OPT_FULL_CODES },
        { "precision", required_argument, NULL, OPT_PRECISION },
        { "no-orient", no_argument, NULL, OPT_NO_ORIENT },
        { "model", required_argument, NULL, OPT_MODEL },
        { "shards", required_argument, NULL, OPT_SHARDS },
        { "shard-dir", required_argument, NULL, OPT_SHARD_DIR },
        { "quiet", no_argument, NULL, 'q' },
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, OPT_VERSION },
        { NULL, 0, NULL, 0 },
    };
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    o->pipe.jobs = cores > 0 ? (int)cores : 1;
    o->pipe.batch_ops = 64;
    o->pipe.batch_seconds = 2.0;
    o->pipe.verbosity = INDEX_NORMAL;
    long v;
    int c;
    while ((c = getopt_long(argc, argv, "0Lj:qvh", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_FILES_FROM: o->files_from = optarg; break;
        case '0': o->nul = 1; break;
        case 'L': o->follow = 1; break;
        case OPT_HIDDEN: o->hidden = 1; break;
        case OPT_EXCLUDE: {
            int rc = walk_patterns_add(&o->exclude, optarg);
            if (rc) {
                fprintf(stderr, "maso-index: --exclude '%s': %s\n", optarg,
                        rc == EINVAL ? "empty pattern" : strerror(rc));
                return -1;
            }
            break;
        }
        case OPT_EXCLUDE_FROM: {
            FILE *in = fopen(optarg, "r");
            int rc = in ? walk_patterns_read(&o->exclude, in) : errno;
            if (in)
                fclose(in);
            if (rc) {
                fprintf(stderr, "maso-index: --exclude-from %s: %s\n", optarg,
                        strerror(rc));
                return -1;
            }
            break;
        }
        case OPT_PRECISION:
            if (maso_precision_parse(optarg, &o->precision) != 0) {
                fprintf(stderr, "maso-index: --precision: expected fp32 or "
                        "int8, got '%s'\n", optarg);
                return -1;
            }
            o->precision_given = 1;
            break;
        case OPT_RESCAN: o->rescan = 1; break;
        case OPT_PRUNE: o->prune = 1; break;
        case OPT_REPAIR: o->repair = 1; break;
        case 'j':
            if (parse_count(optarg, "--jobs", 1024, &v))
                return -1;
            o->pipe.jobs = (int)v;
            break;
        case OPT_BATCH:
            if (parse_count(optarg, "--batch", 1000000, &v))
                return -1;
            o->pipe.batch_ops = (size_t)v;
            break;
        case OPT_BATCH_SECONDS: {
            char *end;
            double t = strtod(optarg, &end);
            if (end == optarg || *end || !(t > 0 && t <= 86400)) {
                fprintf(stderr, "maso-index: --batch-seconds: expected "
                        "seconds (> 0), got '%s'\n", optarg);
                return -1;
            }
            o->pipe.batch_seconds = t;
            break;
        }
        case OPT_FULL_CODES: o->full_codes = 1; break;
        case OPT_NO_ORIENT: o->pipe.no_orient = 1; break;
        case OPT_MODEL: o->model_dir = optarg; break;
        case OPT_SHARDS:
            if (parse_count(optarg, "--shards", MASO_SHARDS_MAX, &o->shards))
                return -1;
            break;
        case OPT_SHARD_DIR: o->shard_dir = optarg; break;
        case 'q': o->pipe.verbosity = INDEX_QUIET; break;
        case 'v': o->pipe.verbosity = INDEX_VERBOSE; break;
        case 'h': usage(stdout); exit(0);
        case OPT_VERSION: puts("maso-index " MASO_VERSION); exit(0);
        default:
            /* getopt named the option; the whole usage would bury it. */
            fputs("Try 'maso-index --help' for more information.\n", stderr);
            return -1;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return -1;
    }
    o->db = argv[optind];
    o->paths = argv + optind + 1;
    o->n_paths = argc - optind - 1;
    if (o->n_paths == 0 && !o->files_from && !o->prune && !o->repair) {
        fprintf(stderr, "maso-index: nothing to index: name PATHs, "
                "--files-from, --prune or --repair\n");
        return -1;
    }
    return 0;
}

/* Open (or create) the store with the identity of @p model. */
static int open_store(const index_options *o, const maso_model *model,
                      maso_store **out)
{
    char pre[MASO_CLI_PREPROCESS_LEN];
    maso_store_identity id;
    maso_cli_store_identity(model, &id, pre);
    id.full_codes = o->full_codes;

    maso_store *s = NULL;
    int rc = maso_store_create(&s);
    if (rc) {
        fprintf(stderr, "maso-index: %s\n", maso_strerror(rc));
        return rc;
    }
    rc = maso_store_open(s, o->db, MASO_STORE_CREATE, &id);
    if (rc == MASO_EMISMATCH)
        fprintf(stderr, "maso-index: %s (index with the model the store "
                "was built with, or into another DB)\n",
                maso_store_errmsg(s));
    else if (rc)
        fprintf(stderr, "maso-index: cannot open the store %s: %s\n", o->db,
                maso_store_errmsg(s));
    if (rc) {
        maso_store_destroy(s);
        return rc;
    }
    if (o->full_codes && !maso_store_get_identity(s)->full_codes)
        fprintf(stderr, "maso-index: warning: %s was created without full "
                "codes; --full-codes applies to new stores only\n", o->db);
    *out = s;
    return 0;
}

static void on_walk_error(void *opaque, const char *path, int err)
{
    size_t *errors = opaque;
    char msg[MASO_CLI_ERRLEN];
    snprintf(msg, sizeof msg, "%s: %s", path, strerror(err));
    maso_cli_print_error("maso-index", msg);
    (*errors)++;
}

/* --repair: what maso_store_repair() removed, whose files exist, to be
 * indexed again. */
typedef struct repaired {
    walk_list files;
    size_t removed;
} repaired;

static int on_repaired(void *arg, const maso_store_damage *d)
{
    repaired *r = arg;
    struct stat st;
    r->removed++;
    char msg[MASO_CLI_ERRLEN];
    snprintf(msg, sizeof msg, "removed the damaged record %llu (%s) of %s%s",
             (unsigned long long)d->id, d->what,
             d->path ? d->path : "an unknown path",
             d->path && lstat(d->path, &st) != 0 ? " (the file is gone)" :
             d->path ? ", to index again" : "");
    maso_cli_print_error("maso-index", msg); /* names escaped */
    if (!d->path || lstat(d->path, &st) != 0)
        return 0;
    walk_options wo = { .follow_symlinks = 0 };
    return walk_add(&r->files, d->path, &wo) == ENOMEM ? ENOMEM : 0;
}

/* Collect the files to index (with the repaired ones, may be NULL); 0, or
 * -1 after a fatal error. */
static int collect(const index_options *o, const walk_list *again,
                   walk_list *files, size_t *errors)
{
    walk_options wo = { o->follow, on_walk_error, errors, o->hidden,
                        &o->exclude };
    for (size_t i = 0; again && i < again->count; i++)
        if (walk_add(files, again->path[i], &wo) == ENOMEM) {
            fprintf(stderr, "maso-index: out of memory\n");
            return -1;
        }
    for (int i = 0; i < o->n_paths; i++) {
        int rc = walk_add(files, o->paths[i], &wo);
        if (rc == ENOMEM) {
            fprintf(stderr, "maso-index: out of memory\n");
            return -1;
        }
        if (rc)
            on_walk_error(errors, o->paths[i], rc);
    }
    if (o->files_from) {
        int std = strcmp(o->files_from, "-") == 0;
        FILE *in = std ? stdin : fopen(o->files_from, "r");
        if (!in) {
            fprintf(stderr, "maso-index: --files-from %s: %s\n",
                    o->files_from, strerror(errno));
            return -1;
        }
        int rc = walk_add_from(files, in, o->nul, &wo);
        if (!std)
            fclose(in);
        if (rc) {
            fprintf(stderr, "maso-index: --files-from %s: %s\n",
                    o->files_from, strerror(rc));
            return -1;
        }
    }
    walk_finish(files);
    return 0;
}

/* The exit status of a run that did not fail as a whole. */
static int run_status(const index_counts *counts)
{
    if (counts->interrupted)
        return INDEX_EXIT_INTERRUPTED;
    if (counts->failed + counts->walk_errors)
        return INDEX_EXIT_FAILED;
    return INDEX_EXIT_OK;
}

/* --verbose: every entry the walk left out, and why. */
static void list_skipped(const walk_list *files)
{
    for (size_t i = 0; i < files->n_skipped; i++) {
        fprintf(stderr, "maso-index: skipped (%s): ",
                walk_skip_name(files->skipped[i].why));
        maso_cli_text_escaped(stderr, files->skipped[i].path);
        fputc('\n', stderr);
    }
}

static int run(const index_options *o, maso_store *store,
               const maso_model *model)
{
    index_counts counts;
    memset(&counts, 0, sizeof counts);
    walk_list files = {0};
    index_plan plan;
    memset(&plan, 0, sizeof plan);
    int status = INDEX_EXIT_ERROR;
    repaired rep = { {0}, 0 };
    if (o->repair) {
        int rrc = maso_store_repair(store, on_repaired, &rep, NULL);
        if (rrc) {
            fprintf(stderr, "maso-index: cannot repair %s: %s\n", o->db,
                    rrc == ENOMEM ? "out of memory"
                                  : maso_store_errmsg(store));
            goto done;
        }
        if (o->pipe.verbosity >= INDEX_NORMAL)
            fprintf(stderr, "maso-index: repair: %zu damaged records "
                    "removed\n", rep.removed);
    }
    if (collect(o, &rep.files, &files, &counts.walk_errors) != 0)
        goto done;
    if (o->pipe.verbosity >= INDEX_VERBOSE)
        list_skipped(&files);
    for (int k = 0; k < WALK_SKIP_KINDS; k++)
        counts.walk_skipped[k] = walk_skipped_count(&files, (walk_skip)k);
    int rc = index_plan_build(store, &files, o->rescan, o->prune, &plan);
    if (rc) {
        fprintf(stderr, "maso-index: %s: %s\n", o->db,
                rc == ENOMEM ? "out of memory" : maso_store_errmsg(store));
        goto done;
    }
    counts.skipped = plan.skipped;

    index_progress progress;
    index_progress_start(&progress, plan.n_todo,
                         o->pipe.verbosity >= INDEX_NORMAL && isatty(2));
    rc = index_pipeline_run(store, model, &plan, &o->pipe, &progress, &counts);
    counts.interrupted = stop_requested != 0;
    if (o->pipe.verbosity >= INDEX_NORMAL)
        index_summary_print(&counts, store);
    status = rc ? INDEX_EXIT_ERROR : run_status(&counts);
done:
    index_plan_free(&plan);
    walk_free(&files);
    walk_free(&rep.files);
    return status;
}

/* A sharded index, or an MPI job (sharded.h).  Rank 0 walks the paths. */
static int run_sharded(const index_options *o, maso_job *job,
                       const maso_model *model)
{
    index_shard_options so = { o->db, (size_t)o->shards, o->shard_dir,
                               o->rescan, o->prune, o->full_codes, &o->pipe };
    index_counts counts;
    memset(&counts, 0, sizeof counts);
    walk_list files = {0};
    index_shard_set set;
    int rank0 = maso_job_rank(job) == 0;
    int status = index_shard_set_open(&set, &so, job, model);
    if (status)
        return status;
    int rc = 0;
    if (rank0 && collect(o, NULL, &files, &counts.walk_errors) != 0)
        rc = INDEX_EXIT_ERROR;
    if (rank0 && !rc && o->pipe.verbosity >= INDEX_VERBOSE)
        list_skipped(&files);
    for (int k = 0; rank0 && k < WALK_SKIP_KINDS; k++)
        counts.walk_skipped[k] = walk_skipped_count(&files, (walk_skip)k);
    if (maso_job_is_mpi(job)) {
        /* Every rank must know that rank 0 could not list the files. */
        rc = index_sharded_agree(job, rc);
        if (!rc)
            rc = index_sharded_cluster(&set, &so, job, model, &files,
                                       &counts);
    } else if (!rc) {
        rc = index_sharded_local(&set, &so, model, &files, &counts);
    }
    counts.interrupted = index_sharded_agree(job, stop_requested != 0);
    if (rank0 && !rc && o->pipe.verbosity >= INDEX_NORMAL) {
        index_summary_print(&counts, NULL);
        index_shards_summary(&set);
    }
    status = rc ? INDEX_EXIT_ERROR : run_status(&counts);
    walk_free(&files);
    index_shard_set_close(&set);
    return status;
}

static int index_main(maso_job *job, int argc, char **argv);

int main(int argc, char **argv)
{
    char err[MASO_CLI_ERRLEN];
    maso_job *job = NULL;
    if (maso_job_start(&argc, &argv, &job, err) != 0) {
        fprintf(stderr, "maso-index: %s\n", err);
        return INDEX_EXIT_ERROR;
    }
    int status = index_main(job, argc, argv);
    maso_job_end(job);
    return status;
}

static int index_main(maso_job *job, int argc, char **argv)
{
    index_options o;
    memset(&o, 0, sizeof o);
    if (parse_args(argc, argv, &o) != 0)
        return INDEX_EXIT_ERROR;
    o.pipe.stop = &stop_requested;
    install_signals();

    char err[MASO_CLI_ERRLEN], model_dir[PATH_MAX];
    maso_model *model = NULL;
    /* Without --precision an existing store goes on in its own. */
    if (!o.precision_given &&
        maso_cli_store_precision(o.db, &o.precision) != 0)
        o.precision = MASO_CLI_DEFAULT_PRECISION;
    if (maso_cli_model_open_precision(o.model_dir, o.precision, &model,
                                      model_dir, err) != 0) {
        /* Under MPI the other ranks would wait for this one forever. */
        if (maso_job_is_mpi(job))
            index_sharded_abort(job, "no model: %s", err);
        fprintf(stderr, "maso-index: no model: %s\n", err);
        return INDEX_EXIT_ERROR;
    }
    index_shard_options so = { o.db, (size_t)o.shards, o.shard_dir, 0, 0, 0,
                               NULL };
    if (index_sharded_wanted(&so, job)) {
        int status = INDEX_EXIT_ERROR;
        /* --repair mends one store in place; a shard is mended by naming
         * it as the DB. */
        if (o.repair) {
            if (maso_job_rank(job) == 0)
                fprintf(stderr, "maso-index: --repair works on one store: "
                        "name the damaged shard (DB/shard-NNN) without "
                        "--shards or mpirun\n");
        } else {
            status = run_sharded(&o, job, model);
        }
        maso_model_destroy(model);
        walk_patterns_free(&o.exclude);
        return status;
    }
    maso_store *store = NULL;
    int status = INDEX_EXIT_ERROR;
    if (open_store(&o, model, &store) == 0)
        status = run(&o, store, model);
    maso_store_destroy(store);
    maso_model_destroy(model);
    walk_patterns_free(&o.exclude);
    return status;
}
