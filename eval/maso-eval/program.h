/* program.h -- the parts of the maso-eval program (not libmaso_eval):
 * options, the metric list, image loading, benchmark folders, output. */
#ifndef MASO_EVAL_PROGRAM_H
#define MASO_EVAL_PROGRAM_H

#include <errno.h>
#include <stdio.h>

#include "maso.h"
#include "maso_cli.h"
#include "maso_eval.h"

/* Exit status: results, (unused), usage or data error. */
enum { EVAL_EXIT_OK = 0, EVAL_EXIT_ERROR = 2 };

/* Longest path the program builds (folder + file name). */
#define EVAL_PATH_MAX 4352

/* ---- options (main.c) ------------------------------------------------ */

typedef struct eval_options {
    const char *command;     /* "2afc", "jnd", "mos", "distort", "fit" */
    const char *input;       /* the benchmark folder or list */
    const char *metrics;     /* --metric list */
    const char *layers;      /* --layers SPEC, or NULL */
    const char *weights;     /* --weights FILE, or NULL */
    const char *model_dir;   /* --model, or NULL */
    maso_model_precision precision; /* --precision (default fp32) */
    const char *csv;         /* --csv FILE */
    const char *html;        /* --html FILE */
    const char *markdown;    /* --markdown FILE */
    const char *out;         /* fit: --out FILE */
    unsigned long long seed; /* distort: --seed */
    int size;                /* distort: --size (square working size) */
    int logistic;            /* mos: 4 or 5 parameters */
    int dmos;                /* mos/fit: --scores dmos (higher = worse) */
    int limit;               /* distort: --limit N images (0: all) */
    int no_orient;           /* copydetect: --no-orient */
    int no_trim;             /* copydetect: --no-trim */
    const char *copies;      /* copydetect: --copies DIR, or NULL */
} eval_options;

/* ---- the model and its metrics (model_metric.c) ---------------------- */

/* What the model metrics share: the network, a forward context, the code
 * layout and the per-layer weights of --layers / --weights. */
typedef struct eval_model {
    maso_model *model;
    maso_forward *forward;
    const maso_code_layer *layers;
    size_t n_layers;
    size_t code_bytes;
    double *weights;         /* n_layers */
    maso_sketch *sketch;     /* vq-sketch: made on first use, else NULL */
    /* One network run serves every model metric of one image: while
     * eval_metrics_prepare() prepares `batch`, the first model metric runs
     * the network into `code` (and the forward context's blobs) and the
     * others reuse it. */
    const maso_image *batch;
    int batch_ran;
    uint8_t *code;
    char fitted_on[EVAL_PATH_MAX]; /* from --weights, "" if none */
    int trim;                /* cut uniform borders before coding
                              * (maso_image_trim_border), as maso-index */
} eval_model;

/* Load the model (--model), its layer blobs and weights (--layers,
 * --weights).  Returns 0 or a status with err filled in. */
int eval_model_open(eval_model *em, const eval_options *opt,
                    char err[MASO_CLI_ERRLEN]);
void eval_model_close(eval_model *em);

/* The activation blob of layer @p i when it is a RELU layer (the blobs the
 * "deep" metric reads), else NULL.  Owned by the model. */
const char *eval_model_relu_blob(const eval_model *em, size_t i);

/* The "vq" and "deep" metrics over em (which must outlive them): a
 * malloc'ed maso_eval_metric (free() it).  NULL on ENOMEM. */
maso_eval_metric *eval_metric_vq(eval_model *em);
/* "vq-sketch": the code distance estimated from the sketches the store
 * keeps (maso_sketch, default parameters).  Creates em->sketch. */
maso_eval_metric *eval_metric_vq_sketch(eval_model *em);
maso_eval_metric *eval_metric_deep(eval_model *em);

/* Per-layer code distances of two images (for fit): per_layer receives
 * em->n_layers values. */
int eval_model_layer_distances(eval_model *em, const maso_image *a,
                               const maso_image *b, double *per_layer);

/* Run the network on image into code (em->code_bytes, 64-aligned). */
int eval_model_code(eval_model *em, const maso_image *image, uint8_t *code);

/* ---- the metric list (metric_list.c) --------------------------------- */

typedef struct eval_metrics {
    const maso_eval_metric **metric; /* count entries, in --metric order */
    maso_eval_metric **owned;        /* the model metrics to free() */
    size_t count, n_owned;
    eval_model model;           /* loaded when a metric needs it */
    int has_model;
} eval_metrics;

/* Parse opt->metrics ("vq,l2,ssim") and build the metrics. */
int eval_metrics_open(eval_metrics *ms, const eval_options *opt,
                      char err[MASO_CLI_ERRLEN]);
void eval_metrics_close(eval_metrics *ms);

/* 1 when metric i runs the network (vq, vq-sketch, deep), 0 when it
 * compares pixels (l2, psnr, ssim, dhash). */
int eval_metrics_on_network(const eval_metrics *ms, size_t i);

/* Prepare the state of an image for every metric into states[count]:
 * the pixel metrics read @p pixels, the network metrics @p coded (the
 * same image, or one decoded smaller for the network; see
 * eval_metrics_load). */
int eval_metrics_prepare(eval_metrics *ms, const maso_image *pixels,
                         const maso_image *coded, void **states,
                         char err[MASO_CLI_ERRLEN]);
void eval_metrics_release(const eval_metrics *ms, void **states);

/* A photo of a synthetic-edit run (distort, copydetect): decoded at full
 * size, with every metric's state of its resized original. */
typedef struct eval_photo {
    char path[EVAL_PATH_MAX];
    maso_image full;
    void **states;     /* ms->count states, or NULL */
} eval_photo;

/* The photos of opt->input (its .png, .jpg and .jpeg files, sorted; at
 * least 2, and no more than opt->limit when given), each decoded no
 * smaller than opt->size, and prepared for every metric resized to it
 * (only the 1st, 3rd... when originals_only).  *photos and *n are set
 * even on failure: release them with eval_photos_free().  err names the
 * folder or file and the cause. */
int eval_photos_load(eval_metrics *ms, const eval_options *opt,
                     int originals_only, eval_photo **photos, size_t *n,
                     char err[MASO_CLI_ERRLEN]);

/* Release the states and pixels of @p n photos and the array itself
 * (NULL is a no-op). */
void eval_photos_free(const eval_metrics *ms, eval_photo *photos, size_t n);

/* What the synthetic-edit runs (distort, copydetect) start from: the
 * metrics of opt->metrics, the photos of opt->input prepared for them
 * (eval_photos_load) and the --csv file when asked for. */
typedef struct eval_csv eval_csv; /* results_csv.c */

typedef struct eval_photo_set {
    eval_metrics ms;
    eval_photo *photo;
    size_t n;
    eval_csv *csv;     /* NULL without --csv */
} eval_photo_set;

/* Open *set for opt; trim: cut uniform borders before the network metrics
 * code a photo (as maso-index does).  On failure err names the folder or
 * file and the cause, and *set is still released by
 * eval_photo_set_close(). */
int eval_photo_set_open(eval_photo_set *set, const eval_options *opt,
                        int originals_only, int trim,
                        char err[MASO_CLI_ERRLEN]);

/* Release everything of *set (the CSV closed without its error: a command
 * that reports results closes set->csv itself first and sets it NULL). */
void eval_photo_set_close(eval_photo_set *set);

/* Resize image to size x size, turn it to EXIF orientation orient (1: as
 * it is) and prepare it for every metric. */
int eval_metrics_prepare_resized(eval_metrics *ms, const maso_image *image,
                                 int size, int orient, void **states,
                                 char err[MASO_CLI_ERRLEN]);

/* Decode path and prepare it for every metric; size (may be NULL) gets
 * the width and height of the image the pixel metrics compare; err names
 * path and the cause.  The pixel metrics get the image at full resolution, as the
 * benchmarks define them (a PNG reference and its JPEG copy compare at
 * their stored sizes); the network metrics get it decoded as maso-index
 * decodes it (a JPEG DCT-scaled to no less than the model's input size),
 * so that vq measures the distance maso-query computes.  A file that is
 * not a JPEG is decoded once for both. */
int eval_metrics_load(eval_metrics *ms, maso_decoder *decoder,
                      const char *path, void **states, int size[2],
                      char err[MASO_CLI_ERRLEN]);

/* The cause of metric m's failure rc on two images that
 * eval_metrics_load() gave the sizes size_a and size_b, into out: "metric
 * NAME: CAUSE", the two sizes named when a pixel metric was given images
 * of different sizes. */
void eval_metric_failure(const eval_metrics *ms, size_t m, int rc,
                         const int size_a[2], const int size_b[2], char *out,
                         size_t out_size);

/* ---- images and folders (images.c) ----------------------------------- */

/* Decode path, a JPEG at the smallest DCT scale that still gives at least
 * min_width x min_height (0, 0: full resolution).  err names the file and
 * the cause. */
int eval_image_load(maso_decoder *decoder, const char *path, int min_width,
                    int min_height, maso_image *image,
                    char err[MASO_CLI_ERRLEN]);

/* 1 when the file at path starts like a JPEG (the only format decoded at
 * a reduced scale), 0 otherwise or when it cannot be read. */
int eval_file_is_jpeg(const char *path);

/* The sorted names of the regular files in dir whose name ends in one of
 * the comma-separated suffixes (".png,.jpg"), or of its subfolders when
 * suffixes is NULL; hidden entries skipped.  malloc'ed (free with
 * eval_names_free).  Errors name dir. */
typedef struct eval_names {
    char **name;
    size_t count;
} eval_names;
int eval_names_list(const char *dir, const char *suffixes, eval_names *names,
                    char err[MASO_CLI_ERRLEN]);
void eval_names_free(eval_names *names);

/* 1 when path is a directory / a regular file. */
int eval_is_dir(const char *path);
int eval_is_file(const char *path);

/* ---- benchmark folders (bapps_folders.c, bapps_distances.c) ---------- */

/* One BAPPS folder (a 2AFC or JND subset): n items, each with the paths
 * of its images (2 or 3) and its human value (judge or same). */
typedef struct eval_bapps_set {
    char name[256];       /* subset name (the folder's last component) */
    size_t n;
    char **ref, **p0, **p1; /* ref is NULL for JND */
    double *human;
} eval_bapps_set;

typedef struct eval_bapps {
    eval_bapps_set *set;
    size_t n_sets;
} eval_bapps;

/* Open a BAPPS 2AFC (jnd = 0: ref, p0, p1, judge) or JND (jnd = 1: p0,
 * p1, same) benchmark: dir itself holds the subfolders, or its
 * subfolders (one or two levels down, e.g. 2afc/val/cnn) do.  Errors
 * (MASO_EDATA, ENOENT) name the missing folder or file. */
int eval_bapps_open(const char *dir, int jnd, eval_bapps *b,
                    char err[MASO_CLI_ERRLEN]);
void eval_bapps_close(eval_bapps *b);

/* Per metric m and item i of set: d0[m * set->n + i] = dissimilarity
 * (maso_eval_metric_dissimilarity) of ref and p0, d1 the same for ref and p1
 * (2AFC); for JND (set->ref NULL) d0 compares p0 with p1 and d1 is not
 * used (may be NULL).  Writes CSV rows (group = set name) when csv is not
 * NULL.  err names the failing image. */
int eval_bapps_distances(eval_metrics *ms, const eval_bapps_set *set,
                         eval_csv *csv, double *d0, double *d1,
                         char err[MASO_CLI_ERRLEN]);

/* What every benchmark command does first: open the metrics
 * (eval_metrics_open), warn when --weights were fitted on opt->input, and
 * open --csv when given (*csv NULL otherwise). */
int eval_metrics_start(eval_metrics *ms, eval_csv **csv,
                       const eval_options *opt, char err[MASO_CLI_ERRLEN]);

/* ---- output (results_csv.c, report.c) -------------------------------- */

/* The per-pair CSV of --csv: reference,distorted,metric,value,
 * benchmark,group,truth. */
int eval_csv_open(const char *path, eval_csv **csv, char err[MASO_CLI_ERRLEN]);
void eval_csv_row(eval_csv *csv, const char *reference, const char *distorted,
                  const char *metric, double value, const char *benchmark,
                  const char *group, double truth);
int eval_csv_close(eval_csv *csv, char err[MASO_CLI_ERRLEN]);

/* A table of scores: rows (subsets, families...) x columns (metrics). */
typedef struct eval_table {
    char title[128];
    char note[256];          /* shown under the title, "" for none */
    size_t n_rows, n_cols;
    char (*row)[64];
    char (*col)[64];
    double *cell;            /* row-major; NaN prints as "-" */
    int digits;              /* decimals */
} eval_table;

int eval_table_init(eval_table *t, const char *title, size_t rows,
                    size_t cols);
void eval_table_free(eval_table *t);
double *eval_table_at(eval_table *t, size_t r, size_t c);
void eval_table_print(FILE *out, const eval_table *t);
void eval_table_markdown(FILE *out, const eval_table *t);

/* Curves for the HTML report: per family (group), for each metric, the
 * mean normalised dissimilarity at levels 1..n_x. */
typedef struct eval_curves {
    const char *x_label, *y_label;
    size_t n_groups, n_series, n_x;
    const char *const *group;  /* n_groups */
    const char *const *series; /* n_series */
    const double *y;           /* [group][series][x] */
} eval_curves;

/* Write a self-contained HTML report: the tables, a bar chart of the
 * last row of each table, and the curves (may be NULL). */
int eval_report_html(const char *path, const char *title, const char *note,
                     const eval_table *tables, size_t n_tables,
                     const eval_curves *curves, char err[MASO_CLI_ERRLEN]);

/* Write the tables as markdown into path. */
int eval_report_markdown(const char *path, const char *note,
                         const eval_table *tables, size_t n_tables,
                         char err[MASO_CLI_ERRLEN]);

/* ---- subcommands ----------------------------------------------------- */

int eval_cmd_2afc(const eval_options *opt);
int eval_cmd_jnd(const eval_options *opt);
int eval_cmd_mos(const eval_options *opt);
int eval_cmd_distort(const eval_options *opt);
int eval_cmd_fit(const eval_options *opt);
int eval_cmd_copydetect(const eval_options *opt);

/* Print "maso-eval: <msg>" to stderr; return EVAL_EXIT_ERROR. */
int eval_fail(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* Warn on stderr when the --weights in use were fitted on input (the
 * same path, or one inside the other). */
void eval_warn_fitted_on(const eval_model *em, const char *input);

/* The common end of every subcommand: write the tables to stdout and to
 * --markdown / --html when asked.  Returns an exit status. */
int eval_emit(const eval_options *opt, const char *title, const char *note,
              const eval_table *tables, size_t n_tables,
              const eval_curves *curves);

#endif
