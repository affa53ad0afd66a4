/* main.c -- maso-query: command line. */
#include "query.h"

#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

static void usage(FILE *out)
{
    fputs(
"usage: maso-query --classify [--model DIR] [--json] IMAGE...\n"
"       maso-query --info [--json] [--check] DB\n"
"\n"
"  --classify     print the top-5 ImageNet classes of each image\n"
"  --info         what the store DB holds: counts, the files that could not\n"
"                 be read and why, the model, sizes (read-only: safe while\n"
"                 maso-index writes)\n"
"  --check        with --info: verify the store's invariants\n"
"  --model DIR    model directory (default: $MASO_MODEL, ../shared, or the\n"
"                 user cache, downloaded and checked on first use)\n"
"  --json         one JSON object per line and per image (--info: one\n"
"                 object)\n"
"  -h, --help     this text\n"
"\n"
"Exit status: 0 results, 1 none (or some image failed), 2 error.\n", out);
}

int main(int argc, char **argv)
{
    enum { OPT_CLASSIFY = 256, OPT_MODEL, OPT_JSON, OPT_INFO, OPT_CHECK };
    static const struct option longopts[] = {
        { "classify", no_argument, NULL, OPT_CLASSIFY },
        { "model", required_argument, NULL, OPT_MODEL },
        { "json", no_argument, NULL, OPT_JSON },
        { "info", no_argument, NULL, OPT_INFO },
        { "check", no_argument, NULL, OPT_CHECK },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    query_options opt;
    memset(&opt, 0, sizeof opt);
    int classify = 0, info = 0, c;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_CLASSIFY: classify = 1; break;
        case OPT_MODEL: opt.model_dir = optarg; break;
        case OPT_JSON: opt.json = 1; break;
        case OPT_INFO: info = 1; break;
        case OPT_CHECK: opt.check = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return QUERY_EXIT_ERROR;
        }
    }
    opt.inputs = argv + optind;
    opt.n_inputs = argc - optind;
    if (info && !classify && opt.n_inputs == 1)
        return query_info(&opt, opt.inputs[0]);
    if (!classify || info || opt.n_inputs == 0) {
        usage(stderr);
        return QUERY_EXIT_ERROR;
    }
    /* One image at a time here: OpenBLAS threads would only add overhead
     * on matrices this small. */
    openblas_set_num_threads(1);

    char err[MASO_CLI_ERRLEN], model_dir[PATH_MAX];
    maso_model *model = NULL;
    if (maso_cli_model_open(opt.model_dir, &model, model_dir, err) != 0) {
        fprintf(stderr, "maso-query: %s\n", err);
        return QUERY_EXIT_ERROR;
    }
    int status = query_classify(&opt, model, model_dir);
    maso_model_destroy(model);
    return status;
}
