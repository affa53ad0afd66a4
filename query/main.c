/* main.c -- maso-query: command line. */
#include "query.h"
#include "search.h"
#include "maso_job.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
    fputs(
"usage: maso-query [OPTIONS] DB IMAGE...       similar images\n"
"       maso-query --duplicates [OPTIONS] DB   near-duplicate groups\n"
"       maso-query --classify [--model DIR] [--json] IMAGE...\n"
"       maso-query --info [--json] [--check] DB\n"
"\n"
"Search (each IMAGE is a file, coded by the network):\n"
"  -k N             the N nearest images (default 10)\n"
"  --threshold D    keep matches within distance D (0..1); --duplicates:\n"
"                   join images within D (default 0.16)\n"
"  --include-self   list the query image among its own matches\n"
"  --indexed        IMAGEs are paths already in the store: use their codes\n"
"  --files-from F   more IMAGEs, one path a line in F (- : standard input);\n"
"  -0, --null       with --files-from: NUL-separated (find -print0)\n"
"                   an IMAGE '-' is an image read from standard input\n"
"  --layers SPEC    layers and weights, e.g. fire6/squeeze1x1..conv10 or\n"
"                   conv1:0.5,fire9/expand3x3:2, or all (default:\n"
"                   fire6/squeeze1x1..conv10, equal, for searches and\n"
"                   --duplicates alike)\n"
"  --weights FILE   per-layer weights file (maso-eval fit)\n"
"  --explain        add the per-layer distances\n"
"  --exact          exact distance everywhere (full-code scan when the\n"
"                   store keeps full codes, else exact sketch scan);\n"
"                   --duplicates: compare every pair\n"
"  --candidates N   summary-scan candidates reranked exactly (0: exact\n"
"                   scan; default: exact up to 16000 images, else 4000);\n"
"                   --duplicates: each image's N nearest by summary are\n"
"                   compared (0: every pair; default: every pair up to\n"
"                   1250 images (5000 without orientation sketches),\n"
"                   else 64)\n"
"  --bands N|auto   --duplicates: compare the pairs whose summaries agree in\n"
"                   one of N bands (auto: enough for the threshold) instead,\n"
"                   the images as they are (under mpirun: band keys\n"
"                   exchanged all-to-all)\n"
"  --threads N      search threads (default: all cores)\n"
"  --no-orient      match the query image only as it is (default: also its\n"
"                   mirror and its 90, 180 and 270 degree turns, mirrored\n"
"                   or not; a match's distance is that of the nearest)\n"
"  --db DB          a store to search (repeat: searched as one)\n"
"  --db-list FILE   stores to search, one path a line\n"
"  --allow-partial  a sharded DB with missing shards answers from the\n"
"                   others (and says so) instead of failing\n"
"Output:\n"
"  --json           one JSON object per line and per query (or group)\n"
"  --tsv            tab-separated values with a header line\n"
"  --html FILE      also write a page of thumbnails with distances\n"
"  --html-append FILE  the same, added to the page FILE (created if absent)\n"
"Duplicates (each group keeps one member; nothing changes without an\n"
"action):\n"
"  --keep WHICH     largest (default: most pixels, then bytes), smallest,\n"
"                   oldest, newest (mtime) or first (path order)\n"
"  --reference DIR  files under DIR are never touched; a group holding one\n"
"                   keeps it (repeatable)\n"
"  --move-to DIR    move the others to DIR, keeping their folders (relative\n"
"                   to the current directory, else their full path)\n"
"  --trash          move the others to the trash (freedesktop.org)\n"
"  --hardlink       replace the others by hard links to the kept file\n"
"  --delete         delete the others\n"
"  --dry-run        say what the action would do; change nothing\n"
"Other modes:\n"
"  --duplicates     group the whole store into near-duplicate sets\n"
"  --classify       print the top-5 ImageNet classes of each image\n"
"  --info           what the store DB holds: counts, the files that could not\n"
"                   be read and why, the model, sizes (read-only: safe while\n"
"                   maso-index writes)\n"
"  --check          with --info: verify the store's invariants\n"
"  --model DIR      model directory (default: $MASO_MODEL, ../shared, or the\n"
"                   user cache, downloaded and checked on first use)\n"
"  -h, --help       this text\n"
"  --version        the program's version\n"
"\n"
"Exit status: 0 results, 1 none (--classify: or some image failed),\n"
"2 error.\n", out);
}

enum {
    OPT_CLASSIFY = 256, OPT_MODEL, OPT_JSON, OPT_INFO, OPT_CHECK,
    OPT_THRESHOLD, OPT_INCLUDE_SELF, OPT_INDEXED, OPT_LAYERS, OPT_WEIGHTS,
    OPT_EXPLAIN, OPT_EXACT, OPT_CANDIDATES, OPT_BANDS, OPT_THREADS, OPT_DB, OPT_DB_LIST,
    OPT_TSV, OPT_HTML, OPT_DUPLICATES, OPT_KEEP, OPT_REFERENCE, OPT_MOVE_TO,
    OPT_TRASH, OPT_HARDLINK, OPT_DELETE, OPT_DRY_RUN, OPT_VERSION,
    OPT_FILES_FROM, OPT_NULL, OPT_HTML_APPEND, OPT_NO_ORIENT,
    OPT_ALLOW_PARTIAL
};

static const struct option longopts[] = {
    { "classify", no_argument, NULL, OPT_CLASSIFY },
    { "model", required_argument, NULL, OPT_MODEL },
    { "json", no_argument, NULL, OPT_JSON },
    { "info", no_argument, NULL, OPT_INFO },
    { "check", no_argument, NULL, OPT_CHECK },
    { "threshold", required_argument, NULL, OPT_THRESHOLD },
    { "include-self", no_argument, NULL, OPT_INCLUDE_SELF },
    { "indexed", no_argument, NULL, OPT_INDEXED },
    { "layers", required_argument, NULL, OPT_LAYERS },
    { "weights", required_argument, NULL, OPT_WEIGHTS },
    { "explain", no_argument, NULL, OPT_EXPLAIN },
    { "exact", no_argument, NULL, OPT_EXACT },
    { "candidates", required_argument, NULL, OPT_CANDIDATES },
    { "bands", required_argument, NULL, OPT_BANDS },
    { "threads", required_argument, NULL, OPT_THREADS },
    { "db", required_argument, NULL, OPT_DB },
    { "db-list", required_argument, NULL, OPT_DB_LIST },
    { "tsv", no_argument, NULL, OPT_TSV },
    { "html", required_argument, NULL, OPT_HTML },
    { "duplicates", no_argument, NULL, OPT_DUPLICATES },
    { "allow-partial", no_argument, NULL, OPT_ALLOW_PARTIAL },
    { "no-orient", no_argument, NULL, OPT_NO_ORIENT },
    { "keep", required_argument, NULL, OPT_KEEP },
    { "reference", required_argument, NULL, OPT_REFERENCE },
    { "move-to", required_argument, NULL, OPT_MOVE_TO },
    { "trash", no_argument, NULL, OPT_TRASH },
    { "hardlink", no_argument, NULL, OPT_HARDLINK },
    { "delete", no_argument, NULL, OPT_DELETE },
    { "dry-run", no_argument, NULL, OPT_DRY_RUN },
    { "version", no_argument, NULL, OPT_VERSION },
    { "files-from", required_argument, NULL, OPT_FILES_FROM },
    { "html-append", required_argument, NULL, OPT_HTML_APPEND },
    { "null", no_argument, NULL, '0' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

typedef struct modes {
    int classify, info, duplicates;
    const char *files_from; /* --files-from */
    int nul;                /* -0 */
    int dupe_only; /* an option that only --duplicates takes was given */
} modes;

/* One action at most: two would act twice on one file. */
static int set_action(dupe_options *d, dupe_action a, const char *dir)
{
    if (d->action != DUPE_ACTION_NONE && d->action != a) {
        fprintf(stderr, "maso-query: --move-to, --trash, --hardlink and "
                "--delete are separate actions: give one\n");
        return -1;
    }
    d->action = a;
    if (dir)
        d->move_to = dir;
    return 0;
}

static int add_reference(dupe_options *d, const char *dir)
{
    char *real = realpath(dir, NULL);
    if (!real) {
        fprintf(stderr, "maso-query: --reference ");
        maso_cli_text_escaped(stderr, dir);
        fprintf(stderr, ": %s\n", strerror(errno));
        return -1;
    }
    char **r = realloc(d->references, (d->n_references + 1) * sizeof *r);
    if (!r) {
        free(real);
        fprintf(stderr, "maso-query: out of memory\n");
        return -1;
    }
    d->references = r;
    r[d->n_references++] = real;
    return 0;
}

/* The options of --duplicates; 1 when @p c is not one of them. */
static int dupe_option(int c, dupe_options *d)
{
    switch (c) {
    case OPT_KEEP:
        if (dupe_keep_parse(optarg, &d->keep) == 0)
            return 0;
        fprintf(stderr, "maso-query: --keep %s: expected largest, smallest, "
                "oldest, newest or first\n", optarg);
        return -1;
    case OPT_REFERENCE: return add_reference(d, optarg);
    case OPT_MOVE_TO: return set_action(d, DUPE_ACTION_MOVE, optarg);
    case OPT_TRASH: return set_action(d, DUPE_ACTION_TRASH, NULL);
    case OPT_HARDLINK: return set_action(d, DUPE_ACTION_HARDLINK, NULL);
    case OPT_DELETE: return set_action(d, DUPE_ACTION_DELETE, NULL);
    case OPT_DRY_RUN: d->dry_run = 1; return 0;
    default: return 1;
    }
}

/* Parse one search option into @p so; 0, or -1 when its value is bad. */
static int search_option(int c, search_options *so)
{
    size_t v;
    switch (c) {
    case 'k': return args_size("-k", optarg, 1, &so->k);
    case OPT_THRESHOLD: return args_distance("--threshold", optarg,
                                             &so->threshold);
    case OPT_INCLUDE_SELF: so->include_self = 1; return 0;
    case OPT_INDEXED: so->indexed = 1; return 0;
    case OPT_LAYERS: so->layers = optarg; return 0;
    case OPT_WEIGHTS: so->weights_file = optarg; return 0;
    case OPT_EXPLAIN: so->explain = 1; return 0;
    case OPT_EXACT: so->exact = 1; return 0;
    case OPT_NO_ORIENT: so->no_orient = 1; return 0;
    case OPT_CANDIDATES:
        if (args_size("--candidates", optarg, 0, &v))
            return -1;
        so->candidates = v > LONG_MAX ? LONG_MAX : (long)v;
        return 0;
    case OPT_BANDS:
        if (!strcmp(optarg, "auto")) {
            so->bands = -1;
            return 0;
        }
        if (args_size("--bands", optarg, 1, &v))
            return -1;
        so->bands = v > 4096 ? 4096 : (long)v;
        return 0;
    case OPT_THREADS:
        if (args_size("--threads", optarg, 1, &v) || v > 256) {
            fprintf(stderr, "maso-query: --threads: 1 to 256\n");
            return -1;
        }
        so->threads = (int)v;
        return 0;
    case OPT_DB: return args_db_add(so, optarg);
    case OPT_DB_LIST: return args_db_list(so, optarg);
    case OPT_TSV: so->format = QUERY_FORMAT_TSV; return 0;
    case OPT_HTML: so->html = optarg; so->html_append = 0; return 0;
    case OPT_HTML_APPEND: so->html = optarg; so->html_append = 1; return 0;
    default: return -1;
    }
}

static int search_run(search_options *so, const modes *m, char **operands,
                      int n_operands, maso_job *job);

/* The search or duplicates run: stores and images from the operands and
 * --files-from. */
static int search_main(search_options *so, const modes *m, char **operands,
                       int n_operands, maso_job *job)
{
    if (!m->files_from)
        return search_run(so, m, operands, n_operands, job);
    char **listed = NULL;
    size_t n_listed = 0;
    int status = QUERY_EXIT_ERROR;
    char **all = NULL;
    if (args_files_from(m->files_from, m->nul, &listed, &n_listed) == 0 &&
        (all = calloc((size_t)n_operands + n_listed + 1, sizeof *all))) {
        for (int i = 0; i < n_operands; i++)
            all[i] = operands[i];
        for (size_t i = 0; i < n_listed; i++)
            all[n_operands + i] = listed[i];
        status = search_run(so, m, all, n_operands + (int)n_listed, job);
    }
    for (size_t i = 0; i < n_listed; i++)
        free(listed[i]);
    free(listed);
    free(all);
    return status;
}

static int search_run(search_options *so, const modes *m, char **operands,
                      int n_operands, maso_job *job)
{
    if (so->n_dbs == 0) {
        if (n_operands == 0) {
            fprintf(stderr, "maso-query: name a store (DB, --db or "
                    "--db-list)\n");
            return QUERY_EXIT_ERROR;
        }
        if (args_db_add(so, operands[0]))
            return QUERY_EXIT_ERROR;
        operands++;
        n_operands--;
    }
    so->images = operands;
    so->n_images = (size_t)n_operands;
    if (m->duplicates && n_operands) {
        fprintf(stderr, "maso-query: --duplicates takes stores only, not "
                "%s\n", operands[0]);
        return QUERY_EXIT_ERROR;
    }
    if (!m->duplicates && n_operands == 0) {
        fprintf(stderr, "maso-query: name the IMAGEs to search for\n");
        return QUERY_EXIT_ERROR;
    }
    if (m->dupe_only && !m->duplicates) {
        fprintf(stderr, "maso-query: --keep, --reference, the actions and "
                "--dry-run go with --duplicates\n");
        return QUERY_EXIT_ERROR;
    }
    if (so->dupes.dry_run && so->dupes.action == DUPE_ACTION_NONE) {
        fprintf(stderr, "maso-query: --dry-run: name the action to try "
                "(--move-to DIR, --trash, --hardlink or --delete)\n");
        return QUERY_EXIT_ERROR;
    }
    if (so->bands && !m->duplicates) {
        fprintf(stderr, "maso-query: --bands goes with --duplicates\n");
        return QUERY_EXIT_ERROR;
    }
    if (so->bands && (so->exact || so->candidates >= 0)) {
        fprintf(stderr, "maso-query: --bands chooses the pairs to compare: "
                "not with --exact or --candidates\n");
        return QUERY_EXIT_ERROR;
    }
    if (m->duplicates && so->threshold >= 1) {
        fprintf(stderr, "maso-query: --duplicates needs --threshold < 1\n");
        return QUERY_EXIT_ERROR;
    }
    /* Under MPI the ranks that own the shards check that they are there. */
    int mpi = maso_job_is_mpi(job);
    /* An action changes files and stores that may be on other hosts than
     * the rank that would act: not done as an MPI job (every rank refuses;
     * rank 0 says why). */
    if (mpi && so->dupes.action != DUPE_ACTION_NONE) {
        if (maso_job_rank(job) == 0)
            fprintf(stderr, "maso-query: --move-to, --trash, --hardlink and "
                    "--delete are not done under mpirun: find the groups "
                    "with mpirun (--json), then act in a single process\n");
        return QUERY_EXIT_ERROR;
    }
    if (shardset_expand(so, !mpi) != 0)
        return QUERY_EXIT_ERROR;
    if (mpi)
        return m->duplicates ? query_duplicates_mpi(so, job)
                             : query_search_mpi(so, job);
    return m->duplicates ? query_duplicates(so) : query_search(so);
}

static int query_main(int argc, char **argv, maso_job *job);

int main(int argc, char **argv)
{
    char err[MASO_CLI_ERRLEN];
    maso_job *job = NULL;
    if (maso_job_start(&argc, &argv, &job, err) != 0) {
        fprintf(stderr, "maso-query: %s\n", err);
        return QUERY_EXIT_ERROR;
    }
    int status = query_main(argc, argv, job);
    maso_job_end(job);
    return status;
}

static int query_main(int argc, char **argv, maso_job *job)
{
    query_options opt;
    search_options so;
    modes m = { 0, 0, 0, NULL, 0, 0 };
    memset(&opt, 0, sizeof opt);
    search_options_init(&so);
    int c, bad = 0;
    while ((c = getopt_long(argc, argv, "hk:0", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_CLASSIFY: m.classify = 1; break;
        case OPT_MODEL: opt.model_dir = so.model_dir = optarg; break;
        case OPT_JSON: opt.json = 1; so.format = QUERY_FORMAT_JSON; break;
        case OPT_INFO: m.info = 1; break;
        case OPT_CHECK: opt.check = 1; break;
        case OPT_DUPLICATES: m.duplicates = 1; break;
        case OPT_ALLOW_PARTIAL: opt.allow_partial = so.allow_partial = 1;
            break;
        case OPT_FILES_FROM: m.files_from = optarg; break;
        case '0': m.nul = 1; break;
        case 'h': usage(stdout); return 0;
        case OPT_VERSION: puts("maso-query " MASO_VERSION); return 0;
        case '?':
            /* getopt has said which option; the whole usage would bury it. */
            fputs("Try 'maso-query --help' for more information.\n", stderr);
            return QUERY_EXIT_ERROR;
        default: {
            int d = dupe_option(c, &so.dupes);
            if (d == 1)
                bad |= search_option(c, &so);
            else
                m.dupe_only = 1, bad |= d;
        }
        }
    }
    int status = QUERY_EXIT_ERROR;
    opt.inputs = argv + optind;
    opt.n_inputs = argc - optind;
    /* Under MPI, --info and --classify are rank 0's alone. */
    int solo = m.info || m.classify || bad;
    if (solo && maso_job_rank(job) != 0) {
        status = QUERY_EXIT_FOUND;
    } else if (bad || m.classify + m.info + m.duplicates > 1) {
        if (!bad)
            fprintf(stderr, "maso-query: --classify, --info and --duplicates "
                    "are separate modes\n");
    } else if (m.info) {
        if (opt.n_inputs == 1)
            status = query_info(&opt, opt.inputs[0]);
        else
            usage(stderr);
    } else if (m.classify) {
        if (opt.n_inputs == 0) {
            usage(stderr);
        } else {
            char err[MASO_CLI_ERRLEN], model_dir[PATH_MAX];
            maso_model *model = NULL;
            if (maso_cli_model_open(opt.model_dir, &model, model_dir, err)) {
                fprintf(stderr, "maso-query: %s\n", err);
            } else {
                status = query_classify(&opt, model, model_dir);
                maso_model_destroy(model);
            }
        }
    } else {
        status = search_main(&so, &m, opt.inputs, opt.n_inputs, job);
    }
    if (solo)
        status = query_job_status(job, status);
    for (size_t i = 0; i < so.dupes.n_references; i++)
        free(so.dupes.references[i]);
    free(so.dupes.references);
    for (size_t i = 0; i < so.n_dbs; i++)
        free((char *)so.dbs[i]);
    free(so.dbs);
    for (size_t i = 0; i < so.n_missing; i++)
        free(so.missing[i]);
    free(so.missing);
    for (size_t i = 0; so.hosts && i < so.n_dbs; i++)
        free(so.hosts[i]);
    free(so.hosts);
    return status;
}
