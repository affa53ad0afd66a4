/* main.c -- maso-eval: perceptual benchmarks of the spline-code distance
 * and of classic metrics, side by side.  One file per subcommand. */
#include "program.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_METRICS "vq,deep,l2,psnr,ssim,dhash"

static void usage(FILE *out)
{
    fputs(
"usage: maso-eval 2afc DIR     [options]   BAPPS 2AFC: DIR/{ref,p0,p1,judge}\n"
"       maso-eval jnd DIR      [options]   BAPPS JND: DIR/{p0,p1,same}\n"
"       maso-eval mos LIST.csv [options]   reference,distorted,score\n"
"       maso-eval distort DIR  [options]   synthetic distortions of photos\n"
"       maso-eval copydetect DIR [options] copy detection (ISC2021 style)\n"
"       maso-eval fit DIR|LIST.csv --out FILE [options]\n"
"\n"
"  DIR may also be a folder above BAPPS subsets (2afc/val, 2afc).\n"
"\n"
"  --metric LIST    comma-separated metrics (default " DEFAULT_METRICS "):\n"
"                   vq    spline-code distance (see --layers, --weights)\n"
"                   vq-sketch  vq estimated from the stored sketch\n"
"                   deep  channel-normalised ReLU feature distance\n"
"                   l2 (MSE), psnr, ssim, dhash\n"
"  --layers SPEC    layers and weights of vq/deep: NAME, FIRST..LAST,\n"
"                   NAME:WEIGHT, comma-separated (default: all, equal)\n"
"  --weights FILE   per-layer weights written by `maso-eval fit`\n"
"  --model DIR      model directory (default: $MASO_MODEL, ../shared, or\n"
"                   the user cache)\n"
"  --precision P    the network's arithmetic for vq/deep: fp32 (default)\n"
"                   or int8, as maso-index --precision\n"
"  --csv FILE       one row per pair and metric\n"
"  --html FILE      self-contained report with SVG plots\n"
"  --markdown FILE  the result tables as markdown\n"
"  --scores KIND    mos: `mos` (higher = better, default) or `dmos`\n"
"  --logistic N     mos: 4- or 5-parameter logistic before PLCC (default 5)\n"
"  --seed N         distort, copydetect: edit seed (default 1)\n"
"  --size N         distort, copydetect: compare images resized to N x N\n"
"                   (default 256)\n"
"  --limit N        distort, copydetect: use the first N images only\n"
"  --no-orient      copydetect: vq compares the query only as it is (default:\n"
"                   also its mirrors and quarter turns, as maso-query)\n"
"  --copies DIR     copydetect: also write the originals and copies there\n"
"                   (JPEG): a planted collection for maso-query --duplicates\n"
"  --no-trim        copydetect: vq codes images with their uniform borders\n"
"                   (default: cut them, as maso-index and maso-query)\n"
"  --out FILE       fit: where to write the weights; copydetect: fit the vq\n"
"                   layer weights for copy detection on DIR into FILE\n"
"  -h, --help       this text\n"
"  --version        the program's version\n"
"\n"
"Exit status: 0 results, 2 usage or data error.\n", out);
}

static int parse_int(const char *s, long lo, long hi, long *v)
{
    char *end;
    errno = 0;
    long x = strtol(s, &end, 10);
    if (errno || *s == '\0' || *end != '\0' || x < lo || x > hi)
        return -1;
    *v = x;
    return 0;
}

int main(int argc, char **argv)
{
    enum { OPT_METRIC = 256, OPT_LAYERS, OPT_WEIGHTS, OPT_MODEL, OPT_CSV,
           OPT_HTML, OPT_MARKDOWN, OPT_SCORES, OPT_LOGISTIC, OPT_SEED,
           OPT_SIZE, OPT_LIMIT, OPT_OUT, OPT_NO_ORIENT, OPT_NO_TRIM,
           OPT_COPIES, OPT_VERSION, OPT_PRECISION };
    static const struct option longopts[] = {
        { "metric", required_argument, NULL, OPT_METRIC },
        { "layers", required_argument, NULL, OPT_LAYERS },
        { "weights", required_argument, NULL, OPT_WEIGHTS },
        { "model", required_argument, NULL, OPT_MODEL },
        { "precision", required_argument, NULL, OPT_PRECISION },
        { "csv", required_argument, NULL, OPT_CSV },
        { "html", required_argument, NULL, OPT_HTML },
        { "markdown", required_argument, NULL, OPT_MARKDOWN },
        { "scores", required_argument, NULL, OPT_SCORES },
        { "logistic", required_argument, NULL, OPT_LOGISTIC },
        { "seed", required_argument, NULL, OPT_SEED },
        { "size", required_argument, NULL, OPT_SIZE },
        { "limit", required_argument, NULL, OPT_LIMIT },
        { "out", required_argument, NULL, OPT_OUT },
        { "no-orient", no_argument, NULL, OPT_NO_ORIENT },
        { "no-trim", no_argument, NULL, OPT_NO_TRIM },
        { "copies", required_argument, NULL, OPT_COPIES },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, OPT_VERSION },
        { NULL, 0, NULL, 0 },
    };
    eval_options opt;
    memset(&opt, 0, sizeof opt);
    opt.metrics = DEFAULT_METRICS;
    opt.seed = 1;
    opt.size = 256;
    opt.logistic = 5;
    int c;
    long v;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_METRIC: opt.metrics = optarg; break;
        case OPT_LAYERS: opt.layers = optarg; break;
        case OPT_WEIGHTS: opt.weights = optarg; break;
        case OPT_MODEL: opt.model_dir = optarg; break;
        case OPT_PRECISION:
            if (maso_precision_parse(optarg, &opt.precision) != 0) {
                fprintf(stderr, "maso-eval: --precision: expected fp32 or "
                        "int8, got '%s'\n", optarg);
                return 2;
            }
            break;
        case OPT_CSV: opt.csv = optarg; break;
        case OPT_HTML: opt.html = optarg; break;
        case OPT_MARKDOWN: opt.markdown = optarg; break;
        case OPT_OUT: opt.out = optarg; break;
        case OPT_NO_ORIENT: opt.no_orient = 1; break;
        case OPT_NO_TRIM: opt.no_trim = 1; break;
        case OPT_COPIES: opt.copies = optarg; break;
        case OPT_SCORES:
            if (strcmp(optarg, "mos") && strcmp(optarg, "dmos"))
                return eval_fail("--scores: expected mos or dmos");
            opt.dmos = strcmp(optarg, "dmos") == 0;
            break;
        case OPT_LOGISTIC:
            if (parse_int(optarg, 4, 5, &v))
                return eval_fail("--logistic: expected 4 or 5");
            opt.logistic = (int)v;
            break;
        case OPT_SEED:
            if (parse_int(optarg, 0, 0x7fffffffL, &v))
                return eval_fail("--seed: expected a number >= 0");
            opt.seed = (unsigned long long)v;
            break;
        case OPT_SIZE:
            if (parse_int(optarg, 16, 4096, &v))
                return eval_fail("--size: expected 16 to 4096");
            opt.size = (int)v;
            break;
        case OPT_LIMIT:
            if (parse_int(optarg, 1, 1000000, &v))
                return eval_fail("--limit: expected a number >= 1");
            opt.limit = (int)v;
            break;
        case 'h': usage(stdout); return EVAL_EXIT_OK;
        case OPT_VERSION: puts("maso-eval " MASO_VERSION); return EVAL_EXIT_OK;
        default:
            /* getopt named the option; the whole usage would bury it. */
            fputs("Try 'maso-eval --help' for more information.\n", stderr);
            return EVAL_EXIT_ERROR;
        }
    }
    if (argc - optind != 2) {
        usage(stderr);
        return EVAL_EXIT_ERROR;
    }
    opt.command = argv[optind];
    opt.input = argv[optind + 1];

    static const struct {
        const char *name;
        int (*run)(const eval_options *);
    } commands[] = {
        { "2afc", eval_cmd_2afc }, { "jnd", eval_cmd_jnd },
        { "mos", eval_cmd_mos }, { "distort", eval_cmd_distort },
        { "fit", eval_cmd_fit }, { "copydetect", eval_cmd_copydetect },
    };
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(opt.command, commands[i].name) == 0)
            return commands[i].run(&opt);
    usage(stderr);
    return eval_fail("unknown command \"%s\"", opt.command);
}
