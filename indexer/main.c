/* main.c -- maso-index: command line, and the stages in order (collect
 * the files, open the store, plan, run the pipeline, summarise). */
#include "indexer.h"
#include "maso_cli.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cblas.h>

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
"  -j, --jobs N       worker threads (default: all cores)\n"
"  --batch N          commit every N files (default 64) ...\n"
"  --batch-seconds T  ... or every T seconds (default 2)\n"
"  --full-codes       keep full codes for exact re-ranking (new store)\n"
"  --model DIR        model directory (default: $MASO_MODEL, ../shared, or\n"
"                     the user cache, downloaded and checked on first use)\n"
"  -q, --quiet        no progress line or summary (failures still shown)\n"
"  -v, --verbose      one line per file, and every file left out and why\n"
"  -h, --help         this text\n"
"      --version      the program's version\n"
"\n"
"Exit status: 0 all indexed, 1 some files failed, 2 usage or fatal error,\n"
"130 interrupted (what was done is committed).\n", out);
}

typedef struct index_options {
    const char *db;
    char **paths;
    int n_paths;
    const char *files_from;
    int nul, follow, rescan, prune, full_codes, hidden;
    walk_patterns exclude;
    const char *model_dir;
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
           OPT_BATCH_SECONDS, OPT_FULL_CODES, OPT_MODEL, OPT_VERSION,
           OPT_EXCLUDE, OPT_EXCLUDE_FROM, OPT_HIDDEN };
    static const struct option longopts[] = {
        { "files-from", required_argument, NULL, OPT_FILES_FROM },
        { "null", no_argument, NULL, '0' },
        { "follow", no_argument, NULL, 'L' },
        { "exclude", required_argument, NULL, OPT_EXCLUDE },
        { "exclude-from", required_argument, NULL, OPT_EXCLUDE_FROM },
        { "hidden", no_argument, NULL, OPT_HIDDEN },
        { "rescan", no_argument, NULL, OPT_RESCAN },
        { "prune", no_argument, NULL, OPT_PRUNE },
        { "jobs", required_argument, NULL, 'j' },
        { "batch", required_argument, NULL, OPT_BATCH },
        { "batch-seconds", required_argument, NULL, OPT_BATCH_SECONDS },
        { "full-codes", no_argument, NULL, OPT_FULL_CODES },
        { "model", required_argument, NULL, OPT_MODEL },
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
        case OPT_RESCAN: o->rescan = 1; break;
        case OPT_PRUNE: o->prune = 1; break;
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
        case OPT_MODEL: o->model_dir = optarg; break;
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
    if (o->n_paths == 0 && !o->files_from && !o->prune) {
        fprintf(stderr, "maso-index: nothing to index: name PATHs, "
                "--files-from or --prune\n");
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
        fprintf(stderr, "maso-index: model mismatch: %s (index with the "
                "model the store was built with, or into another DB)\n",
                maso_store_errmsg(s));
    else if (rc)
        fprintf(stderr, "maso-index: cannot open the store %s: %s\n", o->db,
                maso_store_errmsg(s));
    if (rc) {
        maso_store_destroy(s);
        return rc;
    }
    if (o->full_codes && !maso_store_identity_get(s)->full_codes)
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

/* Collect the files to index; 0, or -1 after a fatal error. */
static int collect(const index_options *o, walk_list *files, size_t *errors)
{
    walk_options wo = { o->follow, on_walk_error, errors, o->hidden,
                        &o->exclude };
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
    if (collect(o, &files, &counts.walk_errors) != 0)
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
    counts.skipped_failed = plan.skipped_failed;

    index_progress progress;
    index_progress_start(&progress, plan.n_todo,
                         o->pipe.verbosity >= INDEX_NORMAL && isatty(2));
    rc = index_pipeline_run(store, model, &plan, &o->pipe, &progress, &counts);
    counts.interrupted = stop_requested != 0;
    if (o->pipe.verbosity >= INDEX_NORMAL)
        index_summary_print(&counts, store);
    if (rc)
        status = INDEX_EXIT_ERROR;
    else if (counts.interrupted)
        status = INDEX_EXIT_INTERRUPTED;
    else if (counts.failed + counts.skipped_failed + counts.walk_errors)
        status = INDEX_EXIT_FAILED;
    else
        status = INDEX_EXIT_OK;
done:
    index_plan_free(&plan);
    walk_free(&files);
    return status;
}

int main(int argc, char **argv)
{
    index_options o;
    memset(&o, 0, sizeof o);
    if (parse_args(argc, argv, &o) != 0)
        return INDEX_EXIT_ERROR;
    o.pipe.stop = &stop_requested;
    /* Parallelism comes from the workers, one network each: OpenBLAS
     * threads on top would only compete with them for the cores. */
    openblas_set_num_threads(1);
    install_signals();

    char err[MASO_CLI_ERRLEN], model_dir[PATH_MAX];
    maso_model *model = NULL;
    if (maso_cli_model_open(o.model_dir, &model, model_dir, err) != 0) {
        fprintf(stderr, "maso-index: no model: %s\n", err);
        return INDEX_EXIT_ERROR;
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
