/*
 * bench_pipeline.c -- images per second of every stage of coding an image,
 * separately and end to end, with 1 and 2 threads, and peak memory.
 *
 * Stages (each thread has its own decoder, forward context and buffers; the
 * model and sketch are shared):
 *   decode      maso_decoder_load_memory() of the files, read into memory
 *               once so that the disk is not measured; min size = the
 *               model's input (JPEGs are DCT-scaled, PNGs decoded whole)
 *   preprocess  maso_model_preprocess_image(): resize to 227x227 and
 *               normalise into the float tensor
 *   forward     maso_forward_run() with the full code
 *   sketch      maso_sketch_apply() with the store's default sketch
 *   distance    maso_code_distance(), full code vs full code and sketch vs
 *               sketch (distances per second)
 *   end to end  decode + maso_forward_run_image() (the context's own
 *               input and resize buffers) + sketch per image
 * With T threads each thread runs the whole image list, so a round does T
 * times the work; the rate is work / wall time, the median over rounds.
 *
 * Peak RSS (getrusage ru_maxrss, which only grows) is read after loading,
 * after the end-to-end runs (done first, before the per-stage buffers
 * exist) and at the end.  --portable also runs the forward and end-to-end
 * stages with MASO_MODEL_KERNELS_PORTABLE (AVX2) for the side by side;
 * --int8 runs them with the best kernels at MASO_PRECISION_INT8 instead.
 *
 * usage: bench_pipeline [--portable | --int8] [--rounds N] [image_dir]
 * Prints a markdown table.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "kodak_codes.h"
#include "maso.h"

#define MODEL MASO_SHARED_DIR "/models/squeezenet_v1.1/squeezenet_v1.1"
#define MAX_THREADS 2
#define MAX_ROUNDS 64

/* Repetitions per round of the fast stages, so a round lasts >= ~20 ms. */
#define SKETCH_REPS 50
#define FULL_DIST_REPS 64
#define SKETCH_DIST_REPS 2000

typedef enum stage {
    STAGE_DECODE,
    STAGE_PREPROCESS,
    STAGE_FORWARD,
    STAGE_SKETCH,
    STAGE_FULL_DISTANCE,
    STAGE_SKETCH_DISTANCE,
    STAGE_END_TO_END,
    STAGE_COUNT
} stage;

static const char *const stage_names[STAGE_COUNT] = {
    "decode (from memory, min 227x227)",
    "preprocess (resize to 227x227 + normalise)",
    "forward with codes",
    "sketch (gather from the full code)",
    "distance, full code vs full code",
    "distance, sketch vs sketch",
    "end to end (decode+preprocess+forward+sketch)",
};

/* The files in memory and the per-image results the stages start from. */
typedef struct inputs {
    size_t n;
    char **names;
    unsigned char **bytes;
    size_t *sizes;
    maso_image *images;  /* decoded (for preprocess) */
    float *tensors;      /* n * tensor_size (for forward) */
    uint8_t *codes;      /* n * code_bytes (for sketch, full distance) */
    uint8_t *sketches;   /* n * sketch_bytes (for sketch distance) */
    size_t tensor_size, code_bytes, sketch_bytes;
} inputs;

/* What one thread owns. */
typedef struct worker {
    const maso_model *model;
    const maso_sketch *sketch;
    const inputs *in;
    stage what;
    maso_decoder *decoder;
    maso_forward *forward;
    float *tensor;
    uint8_t *code, *sketch_out;
    double sink; /* distances summed, so the work has an observable result */
    int rc;
    char err[512];
    pthread_t thread;
} worker;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double peak_rss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024.0; /* Linux reports KiB */
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void decode_params(const maso_model *model, maso_decode_params *p)
{
    int c, h, w;
    maso_model_input_size(model, &c, &h, &w);
    maso_decode_params_init(p);
    p->min_width = w;
    p->min_height = h;
}

static int fail(worker *w, const char *what, const char *msg)
{
    snprintf(w->err, sizeof w->err, "%s: %s", what, msg);
    return w->rc = 1;
}

/* Decode + preprocess + forward + sketch of image i, through the forward
 * context's own input and resize buffers (maso_forward_run_image). */
static int end_to_end(worker *w, size_t i, const maso_decode_params *dp)
{
    const inputs *in = w->in;
    maso_image img;
    if (maso_decoder_load_memory(w->decoder, in->bytes[i], in->sizes[i],
                                 in->names[i], dp, &img))
        return fail(w, "decode", maso_decoder_errmsg(w->decoder));
    /* as maso_forward_code_file() does it, the file read aside */
    int rc = maso_forward_run_image(w->forward, &img, w->code, NULL);
    maso_image_free(&img);
    if (rc)
        return fail(w, in->names[i], maso_forward_errmsg(w->forward));
    maso_sketch_apply(w->sketch, w->code, w->sketch_out);
    return 0;
}

static void *run_worker(void *arg)
{
    worker *w = arg;
    const inputs *in = w->in;
    const maso_code_layer *layers, *sl;
    size_t nl = maso_model_code_layers(w->model, &layers);
    size_t nsl = maso_sketch_layers(w->sketch, &sl);
    maso_decode_params dp;
    decode_params(w->model, &dp);

    for (size_t i = 0; i < in->n && w->rc == 0; i++) {
        switch (w->what) {
        case STAGE_DECODE: {
            maso_image img;
            if (maso_decoder_load_memory(w->decoder, in->bytes[i],
                                         in->sizes[i], in->names[i], &dp,
                                         &img))
                fail(w, "decode", maso_decoder_errmsg(w->decoder));
            maso_image_free(&img);
            break;
        }
        case STAGE_PREPROCESS: {
            int rc = maso_model_preprocess_image(w->model, &in->images[i],
                                                 w->tensor);
            if (rc)
                fail(w, in->names[i], maso_strerror(rc));
            break;
        }
        case STAGE_FORWARD:
            if (maso_forward_run(w->forward,
                                 in->tensors + i * in->tensor_size, w->code,
                                 NULL))
                fail(w, "forward", maso_forward_errmsg(w->forward));
            break;
        case STAGE_SKETCH:
            for (int r = 0; r < SKETCH_REPS; r++)
                maso_sketch_apply(w->sketch, in->codes + i * in->code_bytes,
                                  w->sketch_out);
            break;
        case STAGE_FULL_DISTANCE:
            for (size_t r = 1; r <= FULL_DIST_REPS; r++)
                w->sink += maso_code_distance(
                    layers, nl, NULL, in->codes + i * in->code_bytes,
                    in->codes + (i + r) % in->n * in->code_bytes, NULL);
            break;
        case STAGE_SKETCH_DISTANCE:
            for (size_t r = 1; r <= SKETCH_DIST_REPS; r++)
                w->sink += maso_code_distance(
                    sl, nsl, NULL, in->sketches + i * in->sketch_bytes,
                    in->sketches + (i + r) % in->n * in->sketch_bytes, NULL);
            break;
        case STAGE_END_TO_END:
            end_to_end(w, i, &dp);
            break;
        default:
            break;
        }
    }
    return NULL;
}

static int workers_create(worker *ws, int t, const maso_model *model,
                          const maso_sketch *sketch, const inputs *in)
{
    for (int i = 0; i < t; i++) {
        worker *w = &ws[i];
        memset(w, 0, sizeof *w);
        w->model = model;
        w->sketch = sketch;
        w->in = in;
        w->tensor = malloc(in->tensor_size * sizeof(float));
        w->code = malloc(in->code_bytes);
        w->sketch_out = malloc(in->sketch_bytes);
        if (!w->tensor || !w->code || !w->sketch_out ||
            maso_decoder_create(&w->decoder) ||
            maso_forward_create(model, &w->forward))
            return -1;
    }
    return 0;
}

static void workers_destroy(worker *ws, int t)
{
    for (int i = 0; i < t; i++) {
        maso_decoder_destroy(ws[i].decoder);
        maso_forward_destroy(ws[i].forward);
        free(ws[i].tensor);
        free(ws[i].code);
        free(ws[i].sketch_out);
    }
}

/* Units of work per image of a stage in one round. */
static double work_per_image(stage s)
{
    switch (s) {
    case STAGE_SKETCH:
        return SKETCH_REPS;
    case STAGE_FULL_DISTANCE:
        return FULL_DIST_REPS;
    case STAGE_SKETCH_DISTANCE:
        return SKETCH_DIST_REPS;
    default:
        return 1;
    }
}

typedef struct rate {
    double per_s;      /* median units per second (wall) */
    double cpu_ms;     /* median CPU milliseconds per unit */
} rate;

/* Run stage @p s on @p t threads for @p rounds rounds (after one warm-up
 * round).  Returns -1 on a failure (message printed). */
static int measure(worker *ws, int t, stage s, int rounds, rate *out)
{
    double wall[MAX_ROUNDS], cpu[MAX_ROUNDS];
    double units = (double)t * (double)ws[0].in->n * work_per_image(s);

    for (int r = -1; r < rounds; r++) {
        double c0 = cpu_now(), t0 = now();
        for (int i = 0; i < t; i++) {
            ws[i].what = s;
            pthread_create(&ws[i].thread, NULL, run_worker, &ws[i]);
        }
        for (int i = 0; i < t; i++)
            pthread_join(ws[i].thread, NULL);
        double el = now() - t0, ce = cpu_now() - c0;
        for (int i = 0; i < t; i++)
            if (ws[i].rc) {
                fprintf(stderr, "bench_pipeline: %s\n", ws[i].err);
                return -1;
            }
        if (r >= 0) {
            wall[r] = units / el;
            cpu[r] = ce * 1e3 / units;
        }
    }
    out->per_s = median(wall, rounds);
    out->cpu_ms = median(cpu, rounds);
    return 0;
}

static int read_file(const char *path, unsigned char **data, size_t *size)
{
    FILE *f = fopen(path, "rb");
    long len;
    if (!f)
        return -1;
    if (fseek(f, 0, SEEK_END) || (len = ftell(f)) <= 0 ||
        fseek(f, 0, SEEK_SET)) {
        fclose(f);
        return -1;
    }
    *data = malloc((size_t)len);
    *size = (size_t)len;
    int ok = *data && fread(*data, 1, *size, f) == *size;
    fclose(f);
    return ok ? 0 : -1;
}

static int inputs_read(inputs *in, const char *dir)
{
    memset(in, 0, sizeof *in);
    in->names = kodak_list_images(dir, &in->n);
    if (in->n == 0) {
        fprintf(stderr, "bench_pipeline: %s: no PNG or JPEG images\n", dir);
        return -1;
    }
    in->bytes = calloc(in->n, sizeof *in->bytes);
    in->sizes = calloc(in->n, sizeof *in->sizes);
    if (!in->bytes || !in->sizes)
        return -1;
    for (size_t i = 0; i < in->n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, in->names[i]);
        if (read_file(path, &in->bytes[i], &in->sizes[i])) {
            fprintf(stderr, "bench_pipeline: cannot read %s\n", path);
            return -1;
        }
    }
    return 0;
}

/* The per-stage starting points: decoded images, tensors, codes and
 * sketches of every file, made once with the first worker's contexts. */
static int inputs_prepare(inputs *in, worker *w)
{
    maso_decode_params dp;
    decode_params(w->model, &dp);
    in->images = calloc(in->n, sizeof *in->images);
    in->tensors = malloc(in->n * in->tensor_size * sizeof(float));
    in->codes = malloc(in->n * in->code_bytes);
    in->sketches = malloc(in->n * in->sketch_bytes);
    if (!in->images || !in->tensors || !in->codes || !in->sketches)
        return -1;
    for (size_t i = 0; i < in->n; i++) {
        float *t = in->tensors + i * in->tensor_size;
        uint8_t *c = in->codes + i * in->code_bytes;
        if (maso_decoder_load_memory(w->decoder, in->bytes[i], in->sizes[i],
                                     in->names[i], &dp, &in->images[i]) ||
            maso_model_preprocess_image(w->model, &in->images[i], t) ||
            maso_forward_run(w->forward, t, c, NULL)) {
            fprintf(stderr, "bench_pipeline: %s failed\n", in->names[i]);
            return -1;
        }
        maso_sketch_apply(w->sketch, c, in->sketches + i * in->sketch_bytes);
    }
    return 0;
}

static void inputs_free(inputs *in)
{
    for (size_t i = 0; i < in->n; i++) {
        free(in->bytes ? in->bytes[i] : NULL);
        if (in->images)
            maso_image_free(&in->images[i]);
    }
    kodak_free_names(in->names, in->n);
    free(in->bytes);
    free(in->sizes);
    free(in->images);
    free(in->tensors);
    free(in->codes);
    free(in->sketches);
}

static maso_model *model_load(maso_model_kernels kernels,
                              maso_model_precision precision)
{
    maso_model *m = NULL;
    if (maso_model_create(&m) || maso_model_set_kernels(m, kernels) ||
        maso_model_set_precision(m, precision) ||
        maso_model_load(m, MODEL ".param", MODEL ".bin")) {
        fprintf(stderr, "bench_pipeline: %s\n",
                m ? maso_model_errmsg(m) : "out of memory");
        maso_model_destroy(m);
        return NULL;
    }
    return m;
}

/* Results: [kernels][threads - 1][stage]. */
typedef struct results {
    rate r[2][MAX_THREADS][STAGE_COUNT];
    int have[2][STAGE_COUNT];
} results;

/* Run @p stages (a bit set) with 1..MAX_THREADS threads. */
static int run_stages(const maso_model *model, const maso_sketch *sketch,
                      const inputs *in, unsigned stages, int rounds,
                      rate (*r)[STAGE_COUNT], int *have)
{
    for (int t = 1; t <= MAX_THREADS; t++) {
        worker ws[MAX_THREADS];
        int rc = workers_create(ws, t, model, sketch, in);
        for (int s = 0; rc == 0 && s < STAGE_COUNT; s++)
            if (stages & (1u << s)) {
                rc = measure(ws, t, (stage)s, rounds, &r[t - 1][s]);
                have[s] = 1;
            }
        workers_destroy(ws, t);
        if (rc)
            return -1;
    }
    return 0;
}

/* One markdown table: a row per stage, a column per (kernels, threads);
 * @p cpu picks CPU microseconds per unit instead of units per second. */
static void print_rates(const results *res, int cols, const char *second,
                        int cpu)
{
    printf("| stage | %s |", cpu ? "CPU per unit" : "unit");
    for (int k = 0; k < cols; k++)
        for (int t = 1; t <= MAX_THREADS; t++)
            printf(" %s%d thread%s |",
                   k ? second : (cols > 1 ? "best, " : ""), t,
                   t > 1 ? "s" : "");
    printf("\n| --- | --- |");
    for (int i = 0; i < cols * MAX_THREADS; i++)
        printf(" --- |");
    printf("\n");
    for (int s = 0; s < STAGE_COUNT; s++) {
        int dist = s == STAGE_FULL_DISTANCE || s == STAGE_SKETCH_DISTANCE;
        printf("| %s | %s |", stage_names[s],
               cpu ? "us" : dist ? "distances/s" : "images/s");
        for (int k = 0; k < cols; k++)
            for (int t = 0; t < MAX_THREADS; t++) {
                const rate *r = &res->r[k][t][s];
                if (!res->have[k][s])
                    printf(" |");
                else if (cpu)
                    printf(" %.2f |", r->cpu_ms * 1e3);
                else
                    printf(dist || s == STAGE_SKETCH ? " %.0f |" : " %.1f |",
                           r->per_s);
            }
        printf("\n");
    }
}

static void print_table(const results *res, int portable, const char *second,
                        size_t n, const double rss[4])
{
    int cols = portable ? 2 : 1;
    print_rates(res, cols, second, 0);
    printf("\nCPU time per image or distance (all threads summed: the "
           "figure the machine's load disturbs least)\n\n");
    print_rates(res, cols, second, 1);
    printf("\nPeak RSS (ru_maxrss, %zu files in memory): after loading the "
           "model and files %.1f MB; end to end 1 thread %.1f MB, 2 threads "
           "%.1f MB; whole benchmark (all stage inputs held%s) %.1f MB\n", n,
           rss[0], rss[1], rss[2], portable ? ", second model" : "", rss[3]);
}

int main(int argc, char **argv)
{
    const char *dir = MASO_SHARED_DIR "/images/kodak";
    int portable = 0, int8 = 0, rounds = 5;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--portable") == 0)
            portable = 1;
        else if (strcmp(argv[i], "--int8") == 0)
            portable = int8 = 1;
        else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
            rounds = atoi(argv[++i]);
        else if (argv[i][0] == '-') {
            fprintf(stderr, "usage: bench_pipeline [--portable | --int8] [--rounds N] "
                            "[image_dir]\n");
            return 2;
        } else
            dir = argv[i];
    }
    if (rounds < 1 || rounds > MAX_ROUNDS)
        rounds = 5;

    maso_model *model = model_load(MASO_MODEL_KERNELS_BEST,
                                   MASO_PRECISION_FP32);
    const maso_code_layer *layers;
    maso_sketch_params sp;
    maso_sketch *sketch = NULL;
    inputs in;
    static results res;
    double rss[4];
    int c, h, w;

    if (!model)
        return 1;
    maso_sketch_params_init(&sp); /* the store's sketch */
    size_t nl = maso_model_code_layers(model, &layers);
    if (maso_sketch_create(layers, nl, &sp, &sketch) ||
        inputs_read(&in, dir))
        return 1;
    maso_model_input_size(model, &c, &h, &w);
    in.tensor_size = (size_t)c * h * w;
    in.code_bytes = maso_model_code_bytes(model);
    in.sketch_bytes = maso_sketch_bytes(sketch);
    rss[0] = peak_rss_mb();
    fprintf(stderr, "%zu images from %s, %d rounds, kernels %s\n", in.n, dir,
            rounds, maso_kernels_best()->name);

    /* End to end first, one thread count at a time, so that ru_maxrss
     * shows what the pipeline itself needs. */
    for (int t = 1; t <= MAX_THREADS; t++) {
        worker ws[MAX_THREADS];
        int rc = workers_create(ws, t, model, sketch, &in);
        if (rc == 0)
            rc = measure(ws, t, STAGE_END_TO_END, rounds,
                         &res.r[0][t - 1][STAGE_END_TO_END]);
        workers_destroy(ws, t);
        if (rc)
            return 1;
        rss[t] = peak_rss_mb();
    }
    res.have[0][STAGE_END_TO_END] = 1;

    worker prep;
    if (workers_create(&prep, 1, model, sketch, &in) ||
        inputs_prepare(&in, &prep))
        return 1;
    workers_destroy(&prep, 1);
    if (run_stages(model, sketch, &in, ~(1u << STAGE_END_TO_END), rounds,
                   res.r[0], res.have[0]))
        return 1;
    if (portable) {
        maso_model *pm =
            int8 ? model_load(MASO_MODEL_KERNELS_BEST, MASO_PRECISION_INT8)
                 : model_load(MASO_MODEL_KERNELS_PORTABLE, MASO_PRECISION_FP32);
        if (!pm || run_stages(pm, sketch, &in,
                              (1u << STAGE_FORWARD) | (1u << STAGE_END_TO_END),
                              rounds, res.r[1], res.have[1]))
            return 1;
        maso_model_destroy(pm);
    }
    rss[3] = peak_rss_mb();
    print_table(&res, portable, int8 ? "int8, " : "portable, ", in.n, rss);
    inputs_free(&in);
    maso_sketch_destroy(sketch);
    maso_model_destroy(model);
    return 0;
}
