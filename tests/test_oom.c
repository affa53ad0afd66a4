/*
 * test_oom.c -- allocation failures, in the manner of SQLite's OOM tests.
 *
 * The test is linked with -Wl,--wrap=malloc,... (tests/CMakeLists.txt), so
 * every allocation our static libraries (libmaso, maso_store, maso_search,
 * maso_cli, maso_act) make goes through the __wrap_* functions below.  For each
 * operation the test arms a failure at allocation N = 0, 1, 2, ... and runs
 * the operation; while the armed failure is hit, the operation must return
 * an error (ENOMEM or another documented code, never success with missing
 * data), set the handle's message, leak nothing (ASan's leak checker runs
 * with the sanitizer build) and leave its handle usable or destroyable.
 * The loop stops when a run no longer reaches allocation N: that run must
 * succeed and give the same result as a run without any failure.
 *
 * Only one allocation fails per run (SQLite's "transient" mode): code after
 * the failure may allocate again, which exercises the cleanup paths.
 * Allocations inside shared libraries (libpng, TurboJPEG, libwebp, libtiff,
 * giflib, libheif, libjxl, LMDB, libc's own fopen/pthread_create)
 * are not redirected by --wrap; getline()
 * is wrapped as a whole: a failure there is what a failed growth of its
 * buffer looks like (-1, errno ENOMEM, not at end of file).
 */
#define _DEFAULT_SOURCE /* mkdtemp */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <cmocka.h>
#include <lmdb.h>

#include <sys/stat.h>
#include <unistd.h>

#include "maso.h"
#include "maso_act.h"
#include "maso_cli.h"
#include "maso_search.h"
#include "maso_engine.h"
#include "maso_store.h"
#include "scan_internal.h"
#include "maso_shards.h"
#include "maso_job.h"
#include "store_testutil.h"

#define MODEL_DIR MASO_SHARED_DIR "/models/squeezenet_v1.1"
#define PARAM_PATH MODEL_DIR "/squeezenet_v1.1.param"
#define BIN_PATH MODEL_DIR "/squeezenet_v1.1.bin"
#define LABELS_PATH MODEL_DIR "/synset_words.txt"
#define IMAGE_DIR MASO_SHARED_DIR "/images/classify"

/* ---- the failing allocator ---------------------------------------------- */

/* Allocation number to fail (-1: none), allocations seen since arming, and
 * whether the armed one was reached.  Atomic: search queries and workers
 * may allocate from other threads. */
static atomic_long oom_fail_at = -1;
static atomic_long oom_seen;
static atomic_int oom_hit;
/* 0: only allocation N fails (transient); 1: N and every later one fail
 * (persistent), so that cleanup code cannot allocate either. */
static atomic_int oom_persistent;

static void oom_arm(long n)
{
    atomic_store(&oom_seen, 0);
    atomic_store(&oom_hit, 0);
    atomic_store(&oom_fail_at, n);
}

/* Disarm; returns whether the armed failure happened. */
static int oom_disarm(void)
{
    atomic_store(&oom_fail_at, -1);
    return atomic_load(&oom_hit);
}

/* Called when the armed allocation fails: a place for a debugger's
 * breakpoint (gdb: break oom_failed_here) to see who allocated. */
__attribute__((noinline)) static void oom_failed_here(long n)
{
    __asm__ volatile("" : : "r"(n) : "memory");
}

static int oom_fail_now(void)
{
    long at = atomic_load(&oom_fail_at);
    if (at < 0)
        return 0;
    long seen = atomic_fetch_add(&oom_seen, 1);
    if (seen < at || (seen > at && !atomic_load(&oom_persistent)))
        return 0;
    atomic_store(&oom_hit, 1);
    oom_failed_here(seen);
    errno = ENOMEM;
    return 1;
}

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
void *__real_aligned_alloc(size_t align, size_t size);
char *__real_strdup(const char *s);
int __real_posix_memalign(void **p, size_t align, size_t size);
ssize_t __real_getline(char **line, size_t *cap, FILE *f);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);
void *__wrap_aligned_alloc(size_t align, size_t size);
char *__wrap_strdup(const char *s);
int __wrap_posix_memalign(void **p, size_t align, size_t size);
ssize_t __wrap_getline(char **line, size_t *cap, FILE *f);

void *__wrap_malloc(size_t size)
{
    return oom_fail_now() ? NULL : __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
    return oom_fail_now() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size)
{
    return oom_fail_now() ? NULL : __real_realloc(p, size);
}

void *__wrap_aligned_alloc(size_t align, size_t size)
{
    return oom_fail_now() ? NULL : __real_aligned_alloc(align, size);
}

char *__wrap_strdup(const char *s)
{
    return oom_fail_now() ? NULL : __real_strdup(s);
}

int __wrap_posix_memalign(void **p, size_t align, size_t size)
{
    return oom_fail_now() ? ENOMEM : __real_posix_memalign(p, align, size);
}

ssize_t __wrap_getline(char **line, size_t *cap, FILE *f)
{
    return oom_fail_now() ? -1 : __real_getline(line, cap, f);
}

static const int oom_transient = 0, oom_persist = 1;

/* Each test runs once per mode; the mode is its cmocka state. */
static void oom_mode(void **state)
{
    atomic_store(&oom_persistent, *(const int *)*state);
    if (atomic_load(&oom_persistent))
        print_message("persistent mode\n");
}

/* The failure points tried: every one of the first OOM_DENSE allocations,
 * then every OOM_STRIDE-th (a prime, so that periodic structures such as
 * per-layer allocations are hit at every phase). */
#define OOM_DENSE 200
#define OOM_STRIDE 7

static long oom_next(long n, long stride)
{
    return n < OOM_DENSE ? n + 1 : n + stride;
}

/* What every failed run must satisfy. */
static void expect_failure(const char *what, long n, int rc, const char *msg)
{
    if (rc == 0)
        return; /* a fallback absorbed the failure: the result is checked */
    if (rc != ENOMEM)
        fail_msg("%s, allocation %ld failed: status %d (%s), not ENOMEM; "
                 "message: %s", what, n, rc, maso_strerror(rc),
                 msg ? msg : "(none)");
    if (msg && !*msg)
        fail_msg("%s, allocation %ld failed: ENOMEM with an empty message",
                 what, n);
}

/* Every loop must fail at least its first allocation, or the wrapping does
 * not reach the library and the test proves nothing. */
static void expect_loop(const char *what, long failures)
{
    if (failures < 1)
        fail_msg("%s: no allocation was ever failed", what);
    print_message("%s: %ld failure points\n", what, failures);
}

static void *read_all(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long len = ftell(f);
    assert_true(len > 0);
    rewind(f);
    void *buf = malloc((size_t)len);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *size = (size_t)len;
    return buf;
}

/* ---- reference objects, made without failures --------------------------- */

/* A model loaded with one choice of kernels and its run on dog.jpg. */
typedef struct ref_run {
    maso_model *model;
    uint8_t *code;
    float *out;
} ref_run;

static ref_run ref_best, ref_portable, ref_scalar, ref_int8;
static maso_image ref_img;
#define ref_model (ref_best.model)

static void decode_reference(const char *name, maso_image *img);

static int ref_run_make(ref_run *r, maso_model_kernels kernels,
                        maso_model_precision precision)
{
    maso_forward *fw = NULL;
    if (maso_model_create(&r->model) ||
        maso_model_set_kernels(r->model, kernels) ||
        maso_model_set_precision(r->model, precision) ||
        maso_model_load(r->model, PARAM_PATH, BIN_PATH) ||
        maso_forward_create(r->model, &fw))
        return -1;
    r->code = malloc(maso_model_code_bytes(r->model));
    r->out = malloc(maso_model_output_size(r->model) * sizeof(float));
    int rc = maso_forward_run_image(fw, &ref_img, r->code, r->out);
    maso_forward_destroy(fw);
    return rc;
}

static void ref_run_free(ref_run *r)
{
    maso_model_destroy(r->model);
    free(r->code);
    free(r->out);
    memset(r, 0, sizeof *r);
}

static int setup_model(void **state)
{
    (void)state;
    decode_reference("dog.jpg", &ref_img);
    if (ref_run_make(&ref_best, MASO_MODEL_KERNELS_BEST, MASO_PRECISION_FP32) ||
        ref_run_make(&ref_portable, MASO_MODEL_KERNELS_PORTABLE,
                     MASO_PRECISION_FP32) ||
        ref_run_make(&ref_scalar, MASO_MODEL_KERNELS_SCALAR,
                     MASO_PRECISION_FP32) ||
        ref_run_make(&ref_int8, MASO_MODEL_KERNELS_BEST, MASO_PRECISION_INT8))
        return -1;
    return 0;
}

static int teardown_model(void **state)
{
    (void)state;
    ref_run_free(&ref_best);
    ref_run_free(&ref_portable);
    ref_run_free(&ref_scalar);
    ref_run_free(&ref_int8);
    maso_image_free(&ref_img);
    return 0;
}

static void decode_reference(const char *name, maso_image *img)
{
    maso_decoder *d = NULL;
    assert_int_equal(maso_decoder_create(&d), 0);
    char path[512];
    snprintf(path, sizeof path, "%s/%s", IMAGE_DIR, name);
    int rc = maso_decoder_load_file(d, path, NULL, img);
    if (rc)
        fail_msg("%s: %s", path, maso_decoder_errmsg(d));
    maso_decoder_destroy(d);
}

static void expect_same_image(const maso_image *a, const maso_image *b)
{
    assert_int_equal(a->width, b->width);
    assert_int_equal(a->height, b->height);
    assert_memory_equal(a->pixels, b->pixels,
                        (size_t)a->width * (size_t)a->height * 3);
}

static void expect_same_layers(const maso_code_layer *a, size_t na,
                               const maso_code_layer *b, size_t nb)
{
    assert_int_equal(na, nb);
    for (size_t i = 0; i < na; i++) {
        assert_string_equal(a[i].name, b[i].name);
        if (a[i].blob || b[i].blob)
            assert_string_equal(a[i].blob, b[i].blob);
        assert_int_equal(a[i].kind, b[i].kind);
        assert_int_equal(a[i].channels, b[i].channels);
        assert_int_equal(a[i].height, b[i].height);
        assert_int_equal(a[i].width, b[i].width);
        assert_int_equal(a[i].window, b[i].window);
        assert_int_equal(a[i].bits_per_unit, b[i].bits_per_unit);
        assert_int_equal(a[i].units, b[i].units);
        assert_int_equal(a[i].offset, b[i].offset);
        assert_int_equal(a[i].bytes, b[i].bytes);
    }
}

/* ---- model -------------------------------------------------------------- */

static void expect_model_like_ref(const maso_model *m)
{
    assert_string_equal(maso_model_param_sha256(m),
                        maso_model_param_sha256(ref_model));
    assert_string_equal(maso_model_bin_sha256(m),
                        maso_model_bin_sha256(ref_model));
    assert_int_equal(maso_model_output_size(m),
                     maso_model_output_size(ref_model));
    assert_int_equal(maso_model_code_bytes(m),
                     maso_model_code_bytes(ref_model));
    const maso_code_layer *a, *b;
    size_t na = maso_model_code_layers(m, &a);
    size_t nb = maso_model_code_layers(ref_model, &b);
    expect_same_layers(a, na, b, nb);
}

/* Run @p m on dog.jpg: the same code and output as @p r. */
static void expect_same_run(const maso_model *m, const ref_run *r)
{
    size_t cb = maso_model_code_bytes(m), ob = maso_model_output_size(m);
    uint8_t *c = malloc(cb);
    float *o = malloc(ob * sizeof *o);
    maso_forward *fw = NULL;
    assert_int_equal(maso_forward_create(m, &fw), 0);
    assert_int_equal(maso_forward_run_image(fw, &ref_img, c, o), 0);
    assert_memory_equal(c, r->code, cb);
    assert_memory_equal(o, r->out, ob * sizeof *o);
    maso_forward_destroy(fw);
    free(c);
    free(o);
}

/* create + load.  A failed load must leave a model with no identity whose
 * handle loads on a later try (checked on every 16th failure point, with a
 * run compared to the reference's: loads are the slow part here). */
static void model_load_loop(maso_model_kernels kernels,
                            maso_model_precision precision, const ref_run *r)
{
    long failures = 0;
    for (long n = 0;; n = oom_next(n, OOM_STRIDE)) {
        maso_model *m = NULL;
        oom_arm(n);
        int rc = maso_model_create(&m);
        if (rc == 0)
            rc = maso_model_set_kernels(m, kernels);
        if (rc == 0)
            rc = maso_model_set_precision(m, precision);
        if (rc == 0)
            rc = maso_model_load(m, PARAM_PATH, BIN_PATH);
        int hit = oom_disarm();
        if (!hit) {
            assert_int_equal(rc, 0);
            assert_string_equal(maso_model_errmsg(m), "");
            expect_model_like_ref(m);
            expect_same_run(m, r);
            maso_model_destroy(m);
            break;
        }
        failures++;
        expect_failure("maso_model_load", n, rc, m ? maso_model_errmsg(m)
                                                   : NULL);
        if (rc == 0) {
            expect_model_like_ref(m);
            expect_same_run(m, r);
        } else if (m) {
            assert_string_equal(maso_model_param_sha256(m), "");
            assert_int_equal(maso_model_code_bytes(m), 0);
            if (failures % 16 == 1) {
                assert_int_equal(maso_model_load(m, PARAM_PATH, BIN_PATH), 0);
                expect_model_like_ref(m);
                expect_same_run(m, r);
            }
        } else {
            assert_int_equal(rc, ENOMEM);
        }
        maso_model_destroy(m);
    }
    expect_loop("maso_model_load", failures);
}

static void test_model_load(void **state)
{
    oom_mode(state);
    model_load_loop(MASO_MODEL_KERNELS_BEST, MASO_PRECISION_FP32, &ref_best);
}

/* int8 convolutions: the weights rounded and packed at load. */
static void test_model_load_int8(void **state)
{
    oom_mode(state);
    model_load_loop(MASO_MODEL_KERNELS_BEST, MASO_PRECISION_INT8, &ref_int8);
}

static void test_model_load_portable(void **state)
{
    oom_mode(state);
    model_load_loop(MASO_MODEL_KERNELS_PORTABLE, MASO_PRECISION_FP32,
                    &ref_portable);
}

/* The plain C fp32 kernels: weights packed and transformed at load too. */
static void test_model_load_scalar(void **state)
{
    oom_mode(state);
    model_load_loop(MASO_MODEL_KERNELS_SCALAR, MASO_PRECISION_FP32,
                    &ref_scalar);
}

/* ---- forward ------------------------------------------------------------ */

/* create + run_image on @p r's model; after a failed run the context must
 * run normally. */
static void forward_loop(const ref_run *r)
{
    size_t cb = maso_model_code_bytes(r->model);
    size_t ob = maso_model_output_size(r->model);
    uint8_t *code = malloc(cb);
    float *out = malloc(ob * sizeof(float));
    long failures = 0;
    for (long n = 0;; n = oom_next(n, OOM_STRIDE)) {
        maso_forward *fw = NULL;
        memset(code, 0xAB, cb);
        oom_arm(n);
        int rc = maso_forward_create(r->model, &fw);
        if (rc == 0)
            rc = maso_forward_run_image(fw, &ref_img, code, out);
        int hit = oom_disarm();
        if (hit) {
            failures++;
            expect_failure("maso_forward", n, rc, fw ? maso_forward_errmsg(fw)
                                                     : NULL);
            if (rc && fw) /* the next run is the normal one */
                rc = maso_forward_run_image(fw, &ref_img, code, out);
            else if (rc)
                assert_int_equal(rc, ENOMEM);
        }
        if (fw || !hit) {
            assert_int_equal(rc, 0);
            assert_memory_equal(code, r->code, cb);
            assert_memory_equal(out, r->out, ob * sizeof(float));
        }
        maso_forward_destroy(fw);
        if (!hit)
            break;
    }
    expect_loop("maso_forward", failures);
    free(code);
    free(out);
}

/* maso_forward_code_file() of dog.jpg (decoded DCT-scaled, resized by the
 * context's own resizer) under failures: ENOMEM with a message naming the
 * file, then the same code as without failures. */
static void code_file_loop(const ref_run *r)
{
    const char *path = IMAGE_DIR "/dog.jpg";
    size_t cb = maso_model_code_bytes(r->model);
    uint8_t *want = malloc(cb), *code = malloc(cb);
    assert_non_null(want);
    assert_non_null(code);
    maso_decoder *dec = NULL;
    maso_forward *fw = NULL;
    assert_int_equal(maso_decoder_create(&dec), 0);
    assert_int_equal(maso_forward_create(r->model, &fw), 0);
    assert_int_equal(maso_forward_code_file(fw, dec, path, 0, want, NULL), 0);
    maso_forward_destroy(fw);
    long failures = 0;
    for (long n = 0;; n = oom_next(n, OOM_STRIDE)) {
        fw = NULL;
        memset(code, 0xAB, cb);
        oom_arm(n);
        int rc = maso_forward_create(r->model, &fw);
        if (rc == 0)
            rc = maso_forward_code_file(fw, dec, path, 0, code, NULL);
        int hit = oom_disarm();
        if (hit) {
            failures++;
            expect_failure("maso_forward_code_file", n, rc,
                           fw ? maso_forward_errmsg(fw) : NULL);
            if (rc && fw) {
                assert_non_null(strstr(maso_forward_errmsg(fw), path));
                rc = maso_forward_code_file(fw, dec, path, 0, code, NULL);
            } else if (rc) {
                assert_int_equal(rc, ENOMEM);
            }
        }
        if (fw || !hit) {
            assert_int_equal(rc, 0);
            assert_memory_equal(code, want, cb);
        }
        maso_forward_destroy(fw);
        if (!hit)
            break;
    }
    expect_loop("maso_forward_code_file", failures);
    maso_decoder_destroy(dec);
    free(want);
    free(code);
}

/* maso_forward_limit_to_sketch() on @p r's model (fp32 with the vector
 * kernels copies the sampled weights): a failed limit leaves none (the
 * next run is whole: @p r's code), the context stays usable, and a limit
 * set gives the whole run's sketch. */
static void limit_loop(const ref_run *r)
{
    const maso_code_layer *layers;
    size_t nl = maso_model_code_layers(r->model, &layers);
    maso_sketch_params sp;
    maso_sketch_params_init(&sp);
    maso_sketch *sk = NULL;
    assert_int_equal(maso_sketch_create(layers, nl, &sp, &sk), 0);
    size_t cb = maso_model_code_bytes(r->model), sb = maso_sketch_bytes(sk);
    uint8_t *code = malloc(cb), *want = malloc(sb), *got = malloc(sb);
    assert_true(code && want && got);
    maso_sketch_apply(sk, r->code, want); /* draws the positions first */
    long failures = 0;
    for (long n = 0;; n = oom_next(n, 1)) {
        maso_forward *fw = NULL;
        assert_int_equal(maso_forward_create(r->model, &fw), 0);
        oom_arm(n);
        int rc = maso_forward_limit_to_sketch(fw, sk);
        int hit = oom_disarm();
        if (hit) {
            failures++;
            expect_failure("maso_forward_limit_to_sketch", n, rc,
                           maso_forward_errmsg(fw));
            if (rc) { /* no limit left: a whole run */
                assert_int_equal(maso_forward_run_image(fw, &ref_img, code,
                                                        NULL), 0);
                assert_memory_equal(code, r->code, cb);
                rc = maso_forward_limit_to_sketch(fw, sk);
            }
        }
        assert_int_equal(rc, 0);
        assert_int_equal(maso_forward_run_image(fw, &ref_img, code, NULL), 0);
        maso_sketch_apply(sk, code, got);
        assert_memory_equal(got, want, sb);
        maso_forward_destroy(fw);
        if (!hit)
            break;
    }
    expect_loop("maso_forward_limit_to_sketch", failures);
    free(code);
    free(want);
    free(got);
    maso_sketch_destroy(sk);
}

static void test_forward(void **state)
{
    oom_mode(state);
    limit_loop(&ref_best);
    limit_loop(&ref_portable);
    forward_loop(&ref_best);
    forward_loop(&ref_portable);
    forward_loop(&ref_scalar);
    forward_loop(&ref_int8);
    code_file_loop(&ref_best);
}

/* ---- decoder ------------------------------------------------------------ */

static void decode_loop_in(const char *dir, const char *name,
                           const maso_decode_params *params)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    size_t size;
    void *data = read_all(path, &size);
    maso_image ref = {0};
    maso_decoder *d = NULL;
    assert_int_equal(maso_decoder_create(&d), 0);
    assert_int_equal(maso_decoder_load_memory(d, data, size, name, params,
                                              &ref), 0);
    maso_decoder_destroy(d);

    long failures = 0;
    for (long n = 0;; n = oom_next(n, OOM_STRIDE)) {
        maso_image img = {0};
        d = NULL;
        oom_arm(n);
        int rc = maso_decoder_create(&d);
        if (rc == 0)
            rc = maso_decoder_load_memory(d, data, size, name, params, &img);
        int hit = oom_disarm();
        if (!hit) {
            assert_int_equal(rc, 0);
            assert_string_equal(maso_decoder_errmsg(d), "");
            expect_same_image(&img, &ref);
            maso_image_free(&img);
            maso_decoder_destroy(d);
            break;
        }
        failures++;
        expect_failure(name, n, rc, d ? maso_decoder_errmsg(d) : NULL);
        if (rc == 0) {
            expect_same_image(&img, &ref);
        } else {
            /* on failure the image is left empty */
            assert_null(img.pixels);
            if (d) {
                assert_non_null(strstr(maso_decoder_errmsg(d), name));
                assert_int_equal(maso_decoder_load_memory(d, data, size, name,
                                                          params, &img), 0);
                expect_same_image(&img, &ref);
            }
        }
        maso_image_free(&img);
        maso_decoder_destroy(d);
    }
    expect_loop(name, failures);
    maso_image_free(&ref);
    free(data);
}

static void decode_loop(const char *name, const maso_decode_params *params)
{
    decode_loop_in(IMAGE_DIR, name, params);
}

/* One file per decoder beyond PNG and JPEG (written by the formats' tools:
 * tests/programs/make_format_fixtures.sh), with alpha, animation, pages
 * and orientation where the decoder has a path for them.  Only our own
 * allocations fail: libwebp, libtiff, giflib, libheif and libjxl allocate
 * with their own malloc calls, which --wrap does not redirect. */
static void test_decode_formats(void **state)
{
    static const char *const files[] = {
        "webp_lossy.webp", "webp_alpha.webp", "webp_anim.webp",
        "webp_exif6.webp", "tiff_lzw.tif", "tiff_orient6.tif",
        "tiff_alpha.tif", "tiff_cmyk16.tif", "gif_anim.gif", "heif.heic",
        "heif_alpha.heic",
        "avif.avif", "jxl_lossy.jxl", "jxl_alpha.jxl", "bmp_rle8.bmp",
        "bmp_alpha32.bmp", "ppm_plain.ppm", "pam_alpha.pam",
        "png_exif6.png",
    };
    oom_mode(state);
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        decode_loop_in(MASO_TEST_TMPDIR "/formats", files[i], NULL);
}

static void test_decode_png(void **state)
{
    oom_mode(state);
    decode_loop("cat.png", NULL);
}

static void test_decode_jpeg(void **state)
{
    oom_mode(state);
    decode_loop("dog.jpg", NULL);
    /* DCT-domain scaling takes another path */
    maso_decode_params p;
    maso_decode_params_init(&p);
    p.min_width = p.min_height = 100;
    decode_loop("eagle.jpg", &p);
}

/* ---- resize ------------------------------------------------------------- */

static void test_resize(void **state)
{
    oom_mode(state);
    maso_image src = {0}, ref = {0};
    decode_reference("bird.png", &src);
    assert_int_equal(maso_image_resize(&src, 227, 113, &ref), 0);
    long failures = 0;
    for (long n = 0;; n++) {
        maso_image dst = {0};
        oom_arm(n);
        int rc = maso_image_resize(&src, 227, 113, &dst);
        int hit = oom_disarm();
        failures += hit;
        expect_failure("maso_image_resize", n, rc, NULL);
        if (rc == 0)
            expect_same_image(&dst, &ref);
        else /* only a failure reached may fail the call */
            assert_true(hit && !dst.pixels);
        maso_image_free(&dst);
        if (!hit)
            break;
    }
    expect_loop("maso_image_resize", failures);
    maso_image_free(&src);
    maso_image_free(&ref);
}

/* Trimming a framed copy of a photo: a failed allocation leaves the
 * image as it was. */
static void test_trim(void **state)
{
    oom_mode(state);
    maso_image src = {0}, framed = {0};
    decode_reference("bird.png", &src);
    int W = src.width + 20, H = src.height + 10;
    framed.width = W;
    framed.height = H;
    framed.pixels = calloc((size_t)W * H, 3);
    assert_non_null(framed.pixels);
    for (int y = 0; y < src.height; y++)
        memcpy(framed.pixels + ((size_t)(y + 5) * W + 10) * 3,
               src.pixels + (size_t)y * src.width * 3, (size_t)src.width * 3);
    long failures = 0;
    for (long n = 0;; n++) {
        maso_image im = framed;
        im.pixels = malloc((size_t)W * H * 3);
        assert_non_null(im.pixels);
        memcpy(im.pixels, framed.pixels, (size_t)W * H * 3);
        int trimmed = 0;
        oom_arm(n);
        int rc = maso_image_trim_border(&im, MASO_TRIM_TOLERANCE, &trimmed);
        int hit = oom_disarm();
        failures += hit;
        expect_failure("maso_image_trim_border", n, rc, NULL);
        if (rc == 0) {
            assert_int_equal(trimmed, 1);
            assert_int_equal(im.width, src.width);
            assert_int_equal(im.height, src.height);
        } else {
            assert_int_equal(im.width, W);
            assert_memory_equal(im.pixels, framed.pixels, (size_t)W * H * 3);
        }
        maso_image_free(&im);
        if (!hit)
            break;
    }
    expect_loop("maso_image_trim_border", failures);
    maso_image_free(&src);
    maso_image_free(&framed);
}

/* ---- sketch ------------------------------------------------------------- */

static void expect_same_sketch(const maso_sketch *a, const maso_sketch *b)
{
    const maso_code_layer *la, *lb;
    size_t na = maso_sketch_layers(a, &la), nb = maso_sketch_layers(b, &lb);
    expect_same_layers(la, na, lb, nb);
    assert_int_equal(maso_sketch_bytes(a), maso_sketch_bytes(b));
    assert_int_equal(maso_sketch_code_bytes(a), maso_sketch_code_bytes(b));
    for (size_t i = 0; i < na; i++) {
        size_t ca, cb;
        const uint32_t *pa = maso_sketch_positions(a, i, &ca);
        const uint32_t *pb = maso_sketch_positions(b, i, &cb);
        assert_int_equal(ca, cb);
        assert_memory_equal(pa, pb, ca * sizeof *pa);
    }
}

static void test_sketch(void **state)
{
    oom_mode(state);
    const maso_code_layer *layers;
    size_t nl = maso_model_code_layers(ref_model, &layers);
    maso_sketch_params p;
    maso_sketch_params_init(&p);
    p.seed = 5;
    maso_sketch *ref = NULL;
    assert_int_equal(maso_sketch_create(layers, nl, &p, &ref), 0);
    long failures = 0;
    for (long n = 0;; n++) {
        maso_sketch *s = NULL;
        oom_arm(n);
        int rc = maso_sketch_create(layers, nl, &p, &s);
        int hit = oom_disarm();
        if (!hit) {
            assert_int_equal(rc, 0);
            expect_same_sketch(s, ref);
            maso_sketch_destroy(s);
            break;
        }
        failures++;
        expect_failure("maso_sketch_create", n, rc, NULL);
        if (rc == 0)
            expect_same_sketch(s, ref);
        else
            assert_null(s);
        maso_sketch_destroy(s);
    }
    expect_loop("maso_sketch_create", failures);
    maso_sketch_destroy(ref);
}

/* ---- search ------------------------------------------------------------- */

#define SEARCH_RECORDS 300
#define SEARCH_K 7

static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Records laid out by the store test table (three layers, 640 bytes);
 * record i flips each unit of the base with probability about i/600, so
 * distances to record 0 grow with i, and records 200..209 are exact copies
 * of record 3 (near-duplicate groups). */
typedef struct search_data {
    uint8_t *base;
    uint64_t ids[SEARCH_RECORDS];
    uint8_t *summaries;
    maso_search_segment seg[2];
} search_data;

static void search_data_make(search_data *sd, const maso_search *s)
{
    const size_t stride = STORE_TEST_CODE;
    sd->base = calloc(SEARCH_RECORDS, stride);
    assert_non_null(sd->base);
    uint64_t rs = 99;
    for (size_t i = 0; i < SEARCH_RECORDS; i++) {
        uint8_t *r = sd->base + i * stride;
        for (size_t j = 0; j < stride; j++) {
            uint8_t flip = 0;
            for (int b = 0; b < 8; b++)
                if (xorshift(&rs) % 600 < i)
                    flip |= (uint8_t)(1u << b);
            r[j] = (uint8_t)(sd->base[j] ^ flip);
            if (i == 0)
                r[j] = (uint8_t)xorshift(&rs);
        }
        /* valid max-pool nibbles (< 9) in the middle section */
        for (size_t j = 256; j < 512; j++)
            r[j] = (uint8_t)((r[j] & 15) % 9 | ((r[j] >> 4) % 9) << 4);
        sd->ids[i] = 1000 + 3 * i;
    }
    for (size_t i = 200; i < 210; i++)
        memcpy(sd->base + i * stride, sd->base + 3 * stride, stride);
    size_t sb = maso_search_summary_bytes(s);
    sd->summaries = malloc(SEARCH_RECORDS * sb);
    for (size_t i = 0; i < SEARCH_RECORDS; i++)
        assert_int_equal(maso_search_summarize(s, sd->base + i * stride,
                                               sd->summaries + i * sb), 0);
    /* two segments of 120 and 180 records */
    sd->seg[0] = (maso_search_segment){sd->base, stride, 120, sd->ids,
                                       sd->summaries};
    sd->seg[1] = (maso_search_segment){sd->base + 120 * stride, stride, 180,
                                       sd->ids + 120, sd->summaries + 120 * sb};
}

/* Reference ranking by libmaso's maso_code_distance() over all records. */
static void search_reference(const search_data *sd, const uint8_t *query,
                             maso_search_hit *hits)
{
    maso_search_hit all[SEARCH_RECORDS];
    for (size_t i = 0; i < SEARCH_RECORDS; i++) {
        all[i].id = sd->ids[i];
        all[i].distance = maso_code_distance(store_test_layers,
                                             STORE_TEST_LAYERS, NULL, query,
                                             sd->base + i * STORE_TEST_CODE,
                                             NULL);
    }
    /* selection of the k smallest, ties by id */
    for (size_t k = 0; k < SEARCH_K; k++) {
        size_t best = k;
        for (size_t i = k + 1; i < SEARCH_RECORDS; i++)
            if (all[i].distance < all[best].distance ||
                (all[i].distance == all[best].distance &&
                 all[i].id < all[best].id))
                best = i;
        maso_search_hit t = all[k];
        all[k] = all[best];
        all[best] = t;
        hits[k] = all[k];
    }
}

static void expect_hits(const maso_search_hit *hits, size_t n,
                        const maso_search_hit *ref)
{
    assert_int_equal(n, SEARCH_K);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(hits[i].id, ref[i].id);
        assert_float_equal(hits[i].distance, ref[i].distance, 1e-12);
    }
}

/* create + exact query + coarse query, for @p threads threads. */
static void search_loop(int threads)
{
    maso_search *s0 = NULL;
    assert_int_equal(maso_search_create(store_test_layers, STORE_TEST_LAYERS,
                                        &s0), 0);
    search_data sd;
    search_data_make(&sd, s0);
    const uint8_t *query = sd.base + 5 * STORE_TEST_CODE;
    maso_search_hit ref[SEARCH_K];
    search_reference(&sd, query, ref);
    maso_search_params exact, coarse;
    maso_search_params_init(&exact);
    exact.k = SEARCH_K;
    coarse = exact;
    coarse.candidates = SEARCH_RECORDS; /* every record reranked: exact */

    long failures = 0;
    for (long n = 0;; n++) {
        maso_search *s = NULL;
        maso_search_hit hits[SEARCH_K], hits2[SEARCH_K];
        size_t nh = 0, nh2 = 0;
        oom_arm(n);
        int rc = maso_search_create(store_test_layers, STORE_TEST_LAYERS, &s);
        if (rc == 0)
            rc = maso_search_set_threads(s, threads);
        if (rc == 0)
            rc = maso_search_query(s, sd.seg, 2, query, NULL, &exact, hits,
                                   &nh);
        if (rc == 0)
            rc = maso_search_query(s, sd.seg, 2, query, NULL, &coarse, hits2,
                                   &nh2);
        int hit = oom_disarm();
        if (!hit) {
            assert_int_equal(rc, 0);
            expect_hits(hits, nh, ref);
            expect_hits(hits2, nh2, ref);
            maso_search_destroy(s);
            break;
        }
        failures++;
        expect_failure("maso_search", n, rc, s ? maso_search_errmsg(s)
                                               : NULL);
        if (rc == 0) {
            expect_hits(hits, nh, ref);
            expect_hits(hits2, nh2, ref);
        } else if (s) {
            assert_int_equal(maso_search_query(s, sd.seg, 2, query, NULL,
                                               &coarse, hits2, &nh2), 0);
            expect_hits(hits2, nh2, ref);
        } else {
            assert_int_equal(rc, ENOMEM);
        }
        maso_search_destroy(s);
    }
    expect_loop("maso_search", failures);
    maso_search_destroy(s0);
    free(sd.base);
    free(sd.summaries);
}

static void test_search_query(void **state)
{
    oom_mode(state);
    search_loop(1);
    search_loop(3);
}

static void expect_same_groups(const maso_search_groups *a,
                               const maso_search_groups *b)
{
    assert_int_equal(a->n_groups, b->n_groups);
    assert_memory_equal(a->offsets, b->offsets,
                        (a->n_groups + 1) * sizeof *a->offsets);
    assert_memory_equal(a->ids, b->ids,
                        a->offsets[a->n_groups] * sizeof *a->ids);
    for (size_t g = 0; g < a->n_groups; g++)
        assert_float_equal(a->max_distance[g], b->max_distance[g], 0);
}

static void test_search_duplicates(void **state)
{
    oom_mode(state);
    maso_search *s = NULL;
    assert_int_equal(maso_search_create(store_test_layers, STORE_TEST_LAYERS,
                                        &s), 0);
    search_data sd;
    search_data_make(&sd, s);
    maso_search_groups ref = {0};
    assert_int_equal(maso_search_duplicates(s, sd.seg, 2, 0.02, 0, &ref), 0);
    /* the ten copies of record 3 and record 3 itself form a group; records
     * 0..1 are close to each other too (flip probability <= 1/600) */
    assert_true(ref.n_groups >= 1);
    int found = 0;
    for (size_t g = 0; g < ref.n_groups; g++)
        for (size_t i = ref.offsets[g]; i < ref.offsets[g + 1]; i++)
            found += ref.ids[i] == sd.ids[3] &&
                     ref.offsets[g + 1] - ref.offsets[g] >= 11;
    assert_int_equal(found, 1);
    long failures = 0;
    for (long n = 0;; n++) {
        maso_search_groups g = {0};
        oom_arm(n);
        int rc = maso_search_duplicates(s, sd.seg, 2, 0.02, 0, &g);
        int hit = oom_disarm();
        if (!hit) {
            assert_int_equal(rc, 0);
            expect_same_groups(&g, &ref);
            maso_search_groups_free(&g);
            break;
        }
        failures++;
        expect_failure("maso_search_duplicates", n, rc, maso_search_errmsg(s));
        if (rc == 0) {
            expect_same_groups(&g, &ref);
        } else {
            assert_int_equal(g.n_groups, 0);
            assert_null(g.ids);
            assert_null(g.offsets);
        }
        maso_search_groups_free(&g);
    }
    expect_loop("maso_search_duplicates", failures);
    maso_search_groups_free(&ref);
    maso_search_destroy(s);
    free(sd.base);
    free(sd.summaries);
}

/* The summary sets of maso_search_nearest_merge(): segment @p k's records,
 * each with one variant (the summary of the record after it; the last
 * lacks one). */
static maso_search_summary_set nearest_set(const search_data *sd,
                                           const maso_search *s, size_t k,
                                           const uint8_t **var)
{
    size_t sb = maso_search_summary_bytes(s), n = sd->seg[k].count;
    for (size_t i = 0; i < n; i++)
        var[i] = i + 1 < n ? sd->seg[k].summaries + (i + 1) * sb : NULL;
    return (maso_search_summary_set){ n, sd->seg[k].ids,
                                      sd->seg[k].summaries, 1, var };
}

static void test_search_nearest(void **state)
{
    oom_mode(state);
    maso_search *s = NULL;
    assert_int_equal(maso_search_create(store_test_layers, STORE_TEST_LAYERS,
                                        &s), 0);
    search_data sd;
    search_data_make(&sd, s);
    const uint8_t *qv[120], *ov[180];
    maso_search_summary_set q = nearest_set(&sd, s, 0, qv);
    maso_search_summary_set o = nearest_set(&sd, s, 1, ov);
    enum { C = 4 };
    maso_search_hit ref[120 * C], got[120 * C];
    size_t ref_n[120] = {0}, got_n[120];
    assert_int_equal(maso_search_nearest_merge(s, &q, &o, C, ref, ref_n), 0);
    for (size_t i = 0; i < 120; i++)
        assert_int_equal(ref_n[i], C);
    long failures = 0;
    for (long n = 0;; n++) {
        memset(got_n, 0, sizeof got_n);
        oom_arm(n);
        int rc = maso_search_nearest_merge(s, &q, &o, C, got, got_n);
        int hit = oom_disarm();
        if (hit) {
            failures++;
            expect_failure("maso_search_nearest_merge", n, rc,
                           maso_search_errmsg(s));
        }
        if (rc == 0) {
            assert_memory_equal(got_n, ref_n, sizeof ref_n);
            assert_memory_equal(got, ref, sizeof ref);
        } else {
            for (size_t i = 0; i < 120; i++) /* nothing merged */
                assert_int_equal(got_n[i], 0);
        }
        if (!hit)
            break;
    }
    expect_loop("maso_search_nearest_merge", failures);
    maso_search_destroy(s);
    free(sd.base);
    free(sd.summaries);
}

/* ---- store -------------------------------------------------------------- */

#define STORE_OK 5

static void store_code(uint64_t n, uint8_t code[STORE_TEST_CODE])
{
    uint64_t s = n * 0x9E3779B97F4A7C15ull + 1;
    for (int i = 0; i < STORE_TEST_CODE; i++)
        code[i] = (uint8_t)xorshift(&s);
    for (int i = 256; i < 512; i++)
        code[i] = (uint8_t)((code[i] & 15) % 9 | ((code[i] >> 4) % 9) << 4);
}

static void store_path(int i, char *buf, size_t size)
{
    if (i == 2) { /* one long path: hashed path key */
        memset(buf, 'p', size - 1);
        buf[0] = '/';
        buf[size - 1] = '\0';
        snprintf(buf + size - 8, 8, "/%06d", i);
    } else {
        snprintf(buf, size, "/images/img%03d.png", i);
    }
}

/* The end of a write: commit @p b when all went well (@p rc 0), else abort
 * it; disarm (*hit: whether the armed failure happened); copy the store's
 * message.  After a failure the handle must still answer (lookups, check)
 * and be destroyable.  Returns the status. */
static int store_finish(maso_store *st, maso_store_batch *b, int rc,
                        int *hit, char *msg, size_t msglen)
{
    if (rc == 0) {
        rc = maso_store_batch_commit(b);
        b = NULL;
    }
    maso_store_batch_abort(b);
    *hit = oom_disarm();
    /* no handle, no message to check */
    snprintf(msg, msglen, "%s", st ? maso_store_errmsg(st) : "(no handle)");
    if (rc && maso_store_get_identity(st)) { /* the store is open */
        maso_store_record r;
        assert_int_equal(maso_store_get_by_path(st, "/nowhere", 0, &r),
                         MASO_ENOTFOUND);
        if (maso_store_check(st))
            fail_msg("check after a failure: %s", maso_store_errmsg(st));
    }
    maso_store_destroy(st);
    return rc;
}

/* Open (creating) @p dir, put STORE_OK OK records and one failed record,
 * commit, with allocation failures armed (see store_finish). */
static int store_write(const char *dir, const maso_store_identity *id,
                       int *hit, char *msg, size_t msglen)
{
    maso_store *st = NULL;
    maso_store_batch *b = NULL;
    uint8_t code[STORE_TEST_CODE];
    char path[700];
    msg[0] = '\0';
    int rc = maso_store_create(&st);
    if (rc == 0)
        rc = maso_store_open(st, dir, MASO_STORE_CREATE | MASO_STORE_NOSYNC,
                             id);
    if (rc == 0)
        rc = maso_store_batch_begin(st, &b);
    /* even records keep orientation sketches (of other codes) */
    static uint8_t orients[MASO_STORE_ORIENTS * 16384];
    for (int i = 0; rc == 0 && i < STORE_OK; i++) {
        store_code((uint64_t)i, code);
        store_path(i, path, sizeof path);
        maso_store_record r = {0, path, 100 + (uint64_t)i, i * 7,
                               MASO_RECORD_OK, NULL, NULL, code};
        const maso_sketch *sk = maso_store_sketch(st);
        size_t bytes = maso_sketch_bytes(sk);
        assert_true(bytes <= 16384);
        for (size_t v = 0; v < MASO_STORE_ORIENTS; v++) {
            uint8_t other[STORE_TEST_CODE];
            store_code((uint64_t)(i + 1 + (int)v), other);
            maso_sketch_apply(sk, other, orients + v * bytes);
        }
        rc = maso_store_batch_put_oriented(b, &r, i % 2 ? NULL : orients);
    }
    if (rc == 0) {
        maso_store_record r = {0, "/images/broken.jpg", 3, 4,
                               MASO_RECORD_FAILED, "truncated", NULL, NULL};
        rc = maso_store_batch_put(b, &r);
    }
    return store_finish(st, b, rc, hit, msg, msglen);
}

/* Reopen @p dir without failures: it must pass maso_store_check and hold
 * either every record of store_write() (returned 1) or none (0). */
static int store_verify(const char *dir, const maso_store_identity *id)
{
    maso_store *st = NULL;
    assert_int_equal(maso_store_create(&st), 0);
    int rc = maso_store_open(st, dir, MASO_STORE_CREATE | MASO_STORE_NOSYNC,
                             id);
    if (rc)
        fail_msg("reopen %s: %s", dir, maso_store_errmsg(st));
    rc = maso_store_check(st);
    if (rc)
        fail_msg("check %s: %s", dir, maso_store_errmsg(st));
    maso_store_stats stats;
    assert_int_equal(maso_store_get_stats(st, &stats), 0);
    int full = stats.records != 0;
    if (!full) {
        assert_int_equal(stats.ok + stats.failed, 0);
        maso_store_destroy(st);
        return 0;
    }
    assert_int_equal(stats.records, STORE_OK + 1);
    assert_int_equal(stats.ok, STORE_OK);
    assert_int_equal(stats.failed, 1);
    const maso_sketch *sk = maso_store_sketch(st);
    size_t sb = maso_sketch_bytes(sk);
    uint8_t code[STORE_TEST_CODE], *want = malloc(sb);
    char path[700];
    for (int i = 0; i < STORE_OK; i++) {
        store_code((uint64_t)i, code);
        store_path(i, path, sizeof path);
        maso_sketch_apply(sk, code, want);
        maso_store_record r;
        assert_int_equal(maso_store_get_by_path(st, path,
                                                MASO_STORE_WANT_SKETCH, &r), 0);
        assert_string_equal(r.path, path);
        assert_int_equal(r.status, MASO_RECORD_OK);
        assert_int_equal(r.size, 100 + (uint64_t)i);
        assert_int_equal(r.mtime_ns, i * 7);
        assert_non_null(r.sketch);
        assert_memory_equal(r.sketch, want, sb);
        maso_store_record_free(&r);
    }
    maso_store_record r;
    assert_int_equal(maso_store_get_by_path(st, "/images/broken.jpg", 0, &r),
                     0);
    assert_int_equal(r.status, MASO_RECORD_FAILED);
    assert_string_equal(r.reason, "truncated");
    maso_store_record_free(&r);
    free(want);
    maso_store_destroy(st);
    return 1;
}

/* A fresh temporary directory @p tmp (512 bytes) named after @p name, the
 * store directory @p dir (600 bytes) inside it, the test identity. */
static void store_fixture(const char *name, char *tmp, char *dir,
                          maso_store_identity *id)
{
    snprintf(tmp, 512, "%s/%s_XXXXXX", MASO_TEST_TMPDIR, name);
    assert_non_null(mkdtemp(tmp));
    snprintf(dir, 600, "%s/index", tmp);
    store_test_identity(id, store_test_layers, STORE_TEST_LAYERS);
}

static void test_store(void **state)
{
    oom_mode(state);
    char tmp[512], dir[600], msg[1024];
    maso_store_identity id;
    store_fixture("oom_store", tmp, dir, &id);
    id.sketch.seed = 11;
    id.sketch.relu_samples = 300;
    id.sketch.maxpool_samples = 100;

    long failures = 0;
    for (long n = 0;; n++) {
        store_test_rmtree(dir);
        int hit;
        oom_arm(n);
        int rc = store_write(dir, &id, &hit, msg, sizeof msg);
        if (!hit) {
            if (rc)
                fail_msg("store write without failure: %d %s", rc, msg);
            assert_int_equal(store_verify(dir, &id), 1);
            break;
        }
        failures++;
        expect_failure("maso_store", n, rc, msg);
        /* a failed commit stores nothing, a successful one everything */
        int full = store_verify(dir, &id);
        if (rc == 0 && !full)
            fail_msg("allocation %ld failed: success, but nothing stored", n);
        if (rc != 0 && full)
            fail_msg("allocation %ld failed: status %d (%s) but the batch "
                     "was stored", n, rc, msg);
    }
    expect_loop("maso_store", failures);
    store_test_rmtree(tmp);
}

/* Over a store made by store_write(): open again and replace path 0, delete
 * path 1, add a new path in one batch, with failures armed.  A failed
 * commit must leave the first batch exactly as it was. */
#define NEW_PATH "/images/new.png"

static int store_update(const char *dir, const maso_store_identity *id,
                        int *hit, char *msg, size_t msglen)
{
    maso_store *st = NULL;
    maso_store_batch *b = NULL;
    uint8_t code[STORE_TEST_CODE];
    char path[700];
    int rc = maso_store_create(&st);
    if (rc == 0)
        rc = maso_store_open(st, dir, MASO_STORE_NOSYNC, id);
    if (rc == 0)
        rc = maso_store_batch_begin(st, &b);
    if (rc == 0) {
        store_code(100, code);
        store_path(0, path, sizeof path);
        maso_store_record r = {0, path, 7, 8, MASO_RECORD_OK, NULL, NULL,
                               code};
        rc = maso_store_batch_put(b, &r);
    }
    if (rc == 0) {
        store_path(1, path, sizeof path);
        rc = maso_store_batch_delete(b, path);
    }
    if (rc == 0) {
        store_code(101, code);
        maso_store_record r = {0, NEW_PATH, 9, 10, MASO_RECORD_OK, NULL,
                               NULL, code};
        rc = maso_store_batch_put(b, &r);
    }
    return store_finish(st, b, rc, hit, msg, msglen);
}

/* Is the sketch of @p path that of code number @p code (1), absent (0)? */
static int store_has(maso_store *st, const char *path, uint64_t code_no)
{
    maso_store_record r;
    int rc = maso_store_get_by_path(st, path, MASO_STORE_WANT_SKETCH, &r);
    if (rc == MASO_ENOTFOUND)
        return 0;
    assert_int_equal(rc, 0);
    const maso_sketch *sk = maso_store_sketch(st);
    uint8_t code[STORE_TEST_CODE], *want = malloc(maso_sketch_bytes(sk));
    store_code(code_no, code);
    maso_sketch_apply(sk, code, want);
    assert_non_null(r.sketch);
    int same = memcmp(r.sketch, want, maso_sketch_bytes(sk)) == 0;
    free(want);
    maso_store_record_free(&r);
    return same ? 1 : -1;
}

/* 1 when the update is in, 0 when the store is as store_write() left it. */
static int store_verify_update(const char *dir, const maso_store_identity *id)
{
    maso_store *st = NULL;
    assert_int_equal(maso_store_create(&st), 0);
    if (maso_store_open(st, dir, MASO_STORE_RDONLY, id))
        fail_msg("reopen %s: %s", dir, maso_store_errmsg(st));
    if (maso_store_check(st))
        fail_msg("check %s: %s", dir, maso_store_errmsg(st));
    char p0[700], p1[700];
    store_path(0, p0, sizeof p0);
    store_path(1, p1, sizeof p1);
    int a = store_has(st, p0, 0), b = store_has(st, p1, 1);
    int c = store_has(st, NEW_PATH, 101), d = store_has(st, p0, 100);
    maso_store_stats stats;
    assert_int_equal(maso_store_get_stats(st, &stats), 0);
    maso_store_destroy(st);
    if (a == 1 && b == 1 && c == 0 && d == -1) {
        assert_int_equal(stats.records, STORE_OK + 1);
        return 0;
    }
    if (a == -1 && b == 0 && c == 1 && d == 1) {
        assert_int_equal(stats.records, STORE_OK + 1);
        return 1;
    }
    fail_msg("store half updated: old path 0 %d, path 1 %d, new path %d, "
             "new path 0 %d", a, b, c, d);
    return -1;
}

static void test_store_update(void **state)
{
    oom_mode(state);
    char tmp[512], dir[600], msg[1024];
    maso_store_identity id;
    store_fixture("oom_update", tmp, dir, &id);
    id.full_codes = 1; /* the codes table is written too */
    long failures = 0;
    for (long n = 0;; n++) {
        int hit;
        store_test_rmtree(dir);
        assert_int_equal(store_write(dir, &id, &hit, msg, sizeof msg), 0);
        oom_arm(n);
        int rc = store_update(dir, &id, &hit, msg, sizeof msg);
        int updated = store_verify_update(dir, &id);
        if (!hit) {
            assert_int_equal(rc, 0);
            assert_int_equal(updated, 1);
            break;
        }
        failures++;
        expect_failure("maso_store update", n, rc, msg);
        if ((rc == 0) != updated)
            fail_msg("allocation %ld failed: status %d (%s) but update %s", n,
                     rc, msg, updated ? "stored" : "lost");
    }
    expect_loop("maso_store update", failures);
    store_test_rmtree(tmp);
}

/* Reading a store: views, search over them, scans, lookups, iteration. */
typedef struct store_reads {
    uint64_t view_count, scan_count, foreach_count;
    maso_search_hit hits[3];
    size_t n_hits;
    char first_path[700];
} store_reads;

static int count_record(const maso_store_record *r, void *arg)
{
    (void)r;
    ++*(uint64_t *)arg;
    return 0;
}

static int store_read(const char *dir, store_reads *out, char *msg,
                      size_t msglen)
{
    maso_store *st = NULL;
    maso_store_view *v = NULL;
    store_scan *sc = NULL;
    maso_search *se = NULL;
    memset(out, 0, sizeof *out);
    int rc = maso_store_create(&st);
    if (rc == 0)
        rc = maso_store_open(st, dir, MASO_STORE_RDONLY, NULL);
    if (rc == 0)
        rc = maso_store_view_begin(st, 1, &v);
    if (rc == 0)
        rc = maso_store_search_create(st, &se);
    if (rc == 0) {
        const maso_search_segment *segs;
        size_t ns = maso_store_view_segments(v, &segs);
        out->view_count = maso_store_view_count(v);
        const uint8_t *q = maso_store_view_sketch(v, (1ull << 48) | 3);
        maso_search_params p;
        maso_search_params_init(&p);
        p.k = 3;
        rc = q ? maso_search_query(se, segs, ns, q, NULL, &p, out->hits,
                                   &out->n_hits)
               : MASO_ENOTFOUND;
        if (rc && q) { /* the engine keeps the message of its failures */
            snprintf(msg, msglen, "%s", maso_search_errmsg(se));
            maso_search_destroy(se);
            maso_store_view_end(v);
            maso_store_destroy(st);
            return rc;
        }
    }
    if (rc == 0) {
        maso_store_record r;
        rc = maso_store_view_record(v, out->hits[0].id, &r);
        if (rc == 0)
            snprintf(out->first_path, sizeof out->first_path, "%s", r.path);
    }
    if (rc == 0)
        rc = store_scan_begin(st, &sc);
    while (rc == 0) {
        uint64_t id;
        const uint8_t *sketch;
        rc = store_scan_next(sc, &id, &sketch);
        if (rc == 0)
            out->scan_count++;
    }
    if (rc == MASO_ENOTFOUND)
        rc = 0;
    if (rc == 0) {
        maso_store_record r;
        rc = maso_store_get_by_id(st, 2, MASO_STORE_WANT_SKETCH, &r);
        maso_store_record_free(&r);
    }
    if (rc == 0)
        rc = maso_store_foreach(st, MASO_STORE_WANT_SKETCH, count_record,
                                &out->foreach_count);
    store_scan_end(sc);
    maso_store_view_end(v);
    maso_search_destroy(se);
    snprintf(msg, msglen, "%s", st ? maso_store_errmsg(st) : "(no handle)");
    maso_store_destroy(st);
    return rc;
}

static void test_store_read(void **state)
{
    oom_mode(state);
    char tmp[512], dir[600], msg[1024];
    maso_store_identity id;
    store_fixture("oom_read", tmp, dir, &id);
    int hit;
    assert_int_equal(store_write(dir, &id, &hit, msg, sizeof msg), 0);
    store_reads ref, got;
    if (store_read(dir, &ref, msg, sizeof msg))
        fail_msg("read: %s", msg);
    assert_int_equal(ref.view_count, STORE_OK);
    assert_int_equal(ref.scan_count, STORE_OK);
    assert_int_equal(ref.foreach_count, STORE_OK + 1);
    assert_int_equal(ref.n_hits, 3);
    assert_int_equal(ref.hits[0].id, (1ull << 48) | 3);
    assert_float_equal(ref.hits[0].distance, 0, 0);
    char p3[700];
    store_path(2, p3, sizeof p3); /* id 3 is the third record */
    assert_string_equal(ref.first_path, p3);
    long failures = 0;
    for (long n = 0;; n++) {
        oom_arm(n);
        int rc = store_read(dir, &got, msg, sizeof msg);
        hit = oom_disarm();
        if (!hit)
            assert_int_equal(rc, 0);
        else {
            failures++;
            expect_failure("maso_store read", n, rc, msg);
        }
        if (rc == 0) {
            assert_int_equal(got.view_count, ref.view_count);
            assert_int_equal(got.scan_count, ref.scan_count);
            assert_int_equal(got.foreach_count, ref.foreach_count);
            assert_int_equal(got.n_hits, ref.n_hits);
            assert_memory_equal(got.hits, ref.hits, sizeof ref.hits);
            assert_string_equal(got.first_path, ref.first_path);
        }
        if (!hit)
            break;
    }
    expect_loop("maso_store read", failures);
    store_test_rmtree(tmp);
}

/* ---- sharded index manifest and the MPI job ---------------------------- */

static void test_shards(void **state)
{
    oom_mode(state);
    char tmp[512];
    snprintf(tmp, sizeof tmp, "%s/oom_shards_XXXXXX", MASO_TEST_TMPDIR);
    assert_non_null(mkdtemp(tmp));
    maso_store_identity id;
    char pre[MASO_CLI_PREPROCESS_LEN];
    maso_cli_store_identity(ref_model, &id, pre);
    const char *hosts[] = { "node1", "node2" };
    long failures = 0;
    for (long n = 0;; n = oom_next(n, OOM_STRIDE)) {
        maso_shards *w = NULL, *r = NULL;
        maso_job *job = NULL;
        char err[MASO_CLI_ERRLEN] = "";
        int argc = 0;
        char **argv = NULL;
        oom_arm(n);
        int rc = maso_shards_create(&w);
        const char *msg = NULL;
        if (!rc && (rc = maso_shards_init(w, tmp, 5, "/l/%h/s%n", hosts, 2,
                                          &id)) != 0)
            msg = maso_shards_errmsg(w);
        if (!rc && (rc = maso_shards_write(w)) != 0)
            msg = maso_shards_errmsg(w);
        if (!rc)
            rc = maso_shards_create(&r);
        if (!rc && (rc = maso_shards_open(r, tmp)) != 0)
            msg = maso_shards_errmsg(r);
        maso_store_identity back;
        if (!rc && (rc = maso_shards_identity(r, &id, &back)) != 0)
            msg = maso_shards_errmsg(r);
        if (!rc && (rc = maso_job_start(&argc, &argv, &job, err)) != 0)
            msg = err;
        int hit = oom_disarm();
        if (!hit)
            assert_int_equal(rc, 0);
        else {
            failures++;
            expect_failure("maso_shards", n, rc, msg);
        }
        if (!rc) {
            assert_int_equal(maso_shards_count(r), 5);
            assert_string_equal(maso_shards_path(r, 3), "/l/node2/s003");
            assert_string_equal(maso_shards_host(r, 4), "node1");
            assert_string_equal(back.preprocess, id.preprocess);
            assert_int_equal(maso_job_size(job), 1);
        }
        maso_job_end(job);
        maso_shards_destroy(r);
        maso_shards_destroy(w);
        if (!hit)
            break;
    }
    expect_loop("maso_shards", failures);
    store_test_rmtree(tmp);
}

/* ---- check and repair of a damaged store -------------------------------- */

/* Flip a path byte of records @p ids (bypassing the store: damage). */
static void damage_records(const char *dir, const uint64_t *ids, size_t n)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    assert_int_equal(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 8);
    assert_int_equal(mdb_env_open(env, dir, 0, 0666), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "records", 0, &dbi), 0);
    for (size_t i = 0; i < n; i++) {
        uint8_t key[8], value[1024];
        for (int b = 0; b < 8; b++)
            key[b] = (uint8_t)(ids[i] >> (56 - 8 * b));
        MDB_val k = {8, key}, v;
        assert_int_equal(mdb_get(txn, dbi, &k, &v), 0);
        assert_true(v.mv_size <= sizeof value);
        memcpy(value, v.mv_data, v.mv_size);
        value[33] ^= 0x08;
        MDB_val nv = {v.mv_size, value};
        assert_int_equal(mdb_put(txn, dbi, &k, &nv, 0), 0);
    }
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

static void copy_file(const char *from, const char *to)
{
    size_t n;
    void *data = read_all(from, &n);
    FILE *f = fopen(to, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
    free(data);
}

/* Open, list the damage, repair: each step may fail with ENOMEM; after a
 * failure the store is as before (still 2 damaged records) or repaired. */
static int store_repair_once(const char *dir, uint64_t *listed,
                             uint64_t *removed, char *msg, size_t msglen)
{
    maso_store *st = NULL;
    int rc = maso_store_create(&st);
    if (rc == 0)
        rc = maso_store_open(st, dir, 0, NULL);
    if (rc == 0) {
        rc = maso_store_check_damage(st, NULL, NULL, listed);
        rc = rc == MASO_EDATA ? 0 : rc ? rc : -1; /* damage must be seen */
    }
    if (rc == 0)
        rc = maso_store_repair(st, NULL, NULL, removed);
    snprintf(msg, msglen, "%s", st ? maso_store_errmsg(st) : "(no handle)");
    maso_store_destroy(st);
    return rc;
}

static void test_store_repair(void **state)
{
    oom_mode(state);
    char tmp[512], dir[600], msg[1024], file[700], saved[700];
    maso_store_identity id;
    store_fixture("oom_repair", tmp, dir, &id);
    int hit;
    assert_int_equal(store_write(dir, &id, &hit, msg, sizeof msg), 0);
    const uint64_t ids[2] = {2, 5};
    damage_records(dir, ids, 2);
    snprintf(file, sizeof file, "%s/data.mdb", dir);
    snprintf(saved, sizeof saved, "%s/damaged.mdb", tmp);
    copy_file(file, saved);
    long failures = 0;
    for (long n = 0;; n++) {
        copy_file(saved, file);
        uint64_t listed = 0, removed = 0;
        oom_arm(n);
        int rc = store_repair_once(dir, &listed, &removed, msg, sizeof msg);
        hit = oom_disarm();
        maso_store *st = NULL;
        uint64_t left = 99;
        assert_int_equal(maso_store_create(&st), 0);
        assert_int_equal(maso_store_open(st, dir, MASO_STORE_RDONLY, NULL), 0);
        int check = maso_store_check_damage(st, NULL, NULL, &left);
        maso_store_destroy(st);
        if (!hit) {
            assert_int_equal(rc, 0);
            assert_int_equal(listed, 2);
            assert_int_equal(removed, 2);
            assert_int_equal(check, 0);
            break;
        }
        failures++;
        expect_failure("maso_store repair", n, rc, msg);
        /* nothing half-done: still damaged as before, or wholly repaired */
        if (!(check == MASO_EDATA && left == 2) && !(check == 0 && left == 0))
            fail_msg("after failure %ld: check %d, %llu damaged", n, check,
                     (unsigned long long)left);
    }
    expect_loop("maso_store repair", failures);
}

/* The engine over a store: open, weights, a two-probe query leaving the
 * query out, a lookup by path, duplicate groups. */
typedef struct engine_reads {
    maso_engine_match m[4];
    size_t n;
    uint64_t found;
    size_t n_groups, n_groups_candidates, n_groups_bands;
    maso_engine_match chosen[2];  /* a query over caller-chosen candidates */
    size_t n_chosen;
} engine_reads;

static int engine_read(const char *dir, engine_reads *out, char *msg,
                       size_t msglen)
{
    maso_engine *e = NULL;
    memset(out, 0, sizeof *out);
    int rc = maso_engine_create(&e);
    if (rc) {
        snprintf(msg, msglen, "%s", maso_strerror(rc));
        return rc;
    }
    const char *paths[1] = {dir};
    rc = maso_engine_open(e, paths, 1, NULL);
    const maso_code_layer *layers;
    size_t nl = rc ? 0 : maso_engine_layers(e, &layers);
    double w[16];
    for (size_t l = 0; l < nl && l < 16; l++)
        w[l] = 1.0 + (double)l;
    if (rc == 0)
        rc = maso_engine_set_weights(e, w);
    char p3[700];
    store_path(2, p3, sizeof p3);
    if (rc == 0)
        rc = maso_engine_find_path(e, p3, &out->found);
    if (rc == 0) {
        const uint8_t *q = maso_engine_sketch_of(e, out->found);
        const uint8_t *q2 = maso_engine_sketch_of(e, out->found + 1);
        maso_engine_probe probes[2] = {{q, NULL}, {q2, NULL}};
        maso_engine_params p;
        maso_engine_params_init(&p);
        p.k = 4;
        p.exclude_path = p3;
        rc = maso_engine_query(e, probes, 2, &p, out->m, &out->n);
        maso_engine_candidate c[3];
        size_t nc = 0;
        if (rc == 0)
            rc = maso_engine_candidates(e, probes, 2, 3, c, &nc);
        p.k = 2;
        p.chosen = c;
        p.n_chosen = nc;
        if (rc == 0)
            rc = maso_engine_query(e, probes, 2, &p, out->chosen,
                                   &out->n_chosen);
    }
    if (rc == 0) {
        maso_search_groups g;
        rc = maso_engine_duplicates(e, 0.3, NULL, &g);
        out->n_groups = g.n_groups;
        maso_search_groups_free(&g);
    }
    if (rc == 0) { /* the summary-candidate mode */
        maso_search_groups g;
        maso_engine_params p;
        maso_engine_params_init(&p);
        p.candidates = 3;
        rc = maso_engine_duplicates(e, 0.3, &p, &g);
        out->n_groups_candidates = g.n_groups;
        maso_search_groups_free(&g);
    }
    if (rc == 0) { /* the banded mode */
        maso_search_groups g;
        maso_engine_params p;
        maso_engine_params_init(&p);
        p.bands = -1;
        rc = maso_engine_duplicates(e, 0.3, &p, &g);
        out->n_groups_bands = g.n_groups;
        maso_search_groups_free(&g);
    }
    snprintf(msg, msglen, "%s", maso_engine_errmsg(e));
    maso_engine_destroy(e);
    return rc;
}

static void test_engine(void **state)
{
    oom_mode(state);
    char tmp[512], dir[600], msg[1024];
    maso_store_identity id;
    store_fixture("oom_engine", tmp, dir, &id);
    int hit;
    assert_int_equal(store_write(dir, &id, &hit, msg, sizeof msg), 0);
    engine_reads ref, got;
    if (engine_read(dir, &ref, msg, sizeof msg))
        fail_msg("engine: %s", msg);
    assert_int_equal(ref.n, 4);
    assert_true(ref.m[0].id == ref.found + 1);
    assert_true(ref.n_chosen >= 1 && ref.chosen[0].id == ref.m[0].id);
    long failures = 0;
    for (long n = 0;; n = oom_next(n, OOM_STRIDE)) {
        oom_arm(n);
        int rc = engine_read(dir, &got, msg, sizeof msg);
        hit = oom_disarm();
        if (!hit)
            assert_int_equal(rc, 0);
        else {
            failures++;
            expect_failure("maso_engine", n, rc, msg);
        }
        if (rc == 0)
            assert_memory_equal(&got, &ref, sizeof ref);
        if (!hit)
            break;
    }
    expect_loop("maso_engine", failures);
    store_test_rmtree(tmp);
}

/* ---- labels ------------------------------------------------------------- */

static void test_labels(void **state)
{
    oom_mode(state);
    maso_cli_labels ref;
    char err[MASO_CLI_ERRLEN];
    assert_int_equal(maso_cli_labels_load(LABELS_PATH, &ref, err), 0);
    assert_int_equal(ref.count, 1000);
    assert_string_equal(ref.label[0], "n01440764 tench, Tinca tinca");
    long failures = 0;
    for (long n = 0;; n = oom_next(n, 13)) {
        maso_cli_labels l;
        err[0] = '\0';
        oom_arm(n);
        int rc = maso_cli_labels_load(LABELS_PATH, &l, err);
        int hit = oom_disarm();
        if (!hit) {
            assert_int_equal(rc, 0);
        } else {
            failures++;
            expect_failure("maso_cli_labels_load", n, rc, err);
        }
        if (rc == 0) {
            assert_int_equal(l.count, ref.count);
            for (size_t i = 0; i < l.count; i++)
                assert_string_equal(l.label[i], ref.label[i]);
        } else {
            assert_int_equal(l.count, 0);
            assert_null(l.label);
            assert_non_null(strstr(err, "synset_words.txt"));
        }
        maso_cli_labels_free(&l);
        if (!hit)
            break;
    }
    expect_loop("maso_cli_labels_load", failures);
    maso_cli_labels_free(&ref);
}

/* ---- whole files in memory (maso_file_read) ------------------------- */

static void test_read_file(void **state)
{
    oom_mode(state);
    char *ref = NULL, *got = NULL;
    size_t ref_size = 0, size = 0;
    /* the weights: many times the first buffer, so that it grows */
    const char *path = MODEL_DIR "/squeezenet_v1.1.bin";
    assert_int_equal(maso_file_read(path, SIZE_MAX, &ref, &ref_size), 0);
    assert_true(ref_size > 16 * 65536);
    long failures = 0;
    for (long n = 0;; n++) {
        oom_arm(n);
        int rc = maso_file_read(path, SIZE_MAX, &got, &size);
        int hit = oom_disarm();
        if (!hit) {
            assert_int_equal(rc, 0);
            assert_int_equal(size, ref_size);
            assert_memory_equal(got, ref, size + 1);
            free(got);
            break;
        }
        failures++;
        assert_int_equal(rc, ENOMEM);
        assert_null(got);
        assert_int_equal(size, 0);
    }
    expect_loop("maso_file_read", failures);
    free(ref);
}

/* ---- weights files ------------------------------------------------------ */

static void test_weights_file(void **state)
{
    oom_mode(state);
    const maso_code_layer *layers;
    size_t nl = maso_model_code_layers(ref_model, &layers);
    double *want = malloc(nl * sizeof *want), *got = malloc(nl * sizeof *got);
    for (size_t i = 0; i < nl; i++)
        want[i] = 0.25 + 0.5 * (double)(i % 3); /* every layer listed */
    const char *path = MASO_TEST_TMPDIR "/oom.weights";
    const char *ps = maso_model_param_sha256(ref_model);
    const char *bs = maso_model_bin_sha256(ref_model);
    char err[MASO_CLI_ERRLEN], fitted[64];
    assert_int_equal(maso_cli_weights_save(path, layers, nl, want, ps, bs,
                                           "oom test", "made by test_oom",
                                           err), 0);
    long failures = 0;
    for (long n = 0;; n++) {
        err[0] = '\0';
        oom_arm(n);
        int rc = maso_cli_weights_load(path, layers, nl, ps, bs, got, fitted,
                                       sizeof fitted, err);
        int hit = oom_disarm();
        if (hit) {
            failures++;
            expect_failure("maso_cli_weights_load", n, rc, err);
            if (rc)
                assert_non_null(strstr(err, "oom.weights"));
        }
        if (rc == 0) {
            assert_memory_equal(got, want, nl * sizeof *got);
            assert_string_equal(fitted, "oom test");
        }
        if (!hit) {
            assert_int_equal(rc, 0);
            break;
        }
    }
    expect_loop("maso_cli_weights_load", failures);
    remove(path);
    free(want);
    free(got);
}

/* ---- file actions ------------------------------------------------------- */

/* A move across file systems (/dev/shm is a tmpfs, the build folder is
 * not) copies through a buffer: when that allocation fails the source
 * stays, whole, and nothing is left at the destination. */
static void test_act_move(void **state)
{
    oom_mode(state);
    char src[256], err[MASO_ACT_ERRLEN];
    snprintf(src, sizeof src, "/dev/shm/maso-test-oom-%ld.bin", (long)getpid());
    const char *dst = MASO_TEST_TMPDIR "/oom-moved/deep/moved.bin";
    struct stat a, b;
    assert_int_equal(stat("/dev/shm", &a), 0);
    assert_int_equal(stat(MASO_TEST_TMPDIR, &b), 0);
    if (a.st_dev == b.st_dev)
        fail_msg("/dev/shm and %s are one file system: no copying move to "
                 "test", MASO_TEST_TMPDIR);
    size_t n = 300000;
    unsigned char *data = malloc(n);
    for (size_t i = 0; i < n; i++)
        data[i] = (unsigned char)(i * 131 + (i >> 9));
    long failures = 0;
    for (long k = 0;; k++) {
        FILE *f = fopen(src, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(data, 1, n, f), n);
        assert_int_equal(fclose(f), 0);
        remove(dst);
        err[0] = '\0';
        oom_arm(k);
        int rc = maso_act_move(src, dst, err);
        int hit = oom_disarm();
        size_t size;
        unsigned char *back;
        if (hit) {
            failures++;
            expect_failure("maso_act_move", k, rc, err);
        }
        if (rc) {
            assert_non_null(strstr(err, "maso-test-oom"));
            back = read_all(src, &size);
            assert_int_equal(size, n);
            assert_memory_equal(back, data, n);
            assert_int_equal(access(dst, F_OK), -1);
        } else {
            back = read_all(dst, &size);
            assert_int_equal(size, n);
            assert_memory_equal(back, data, n);
            assert_int_equal(access(src, F_OK), -1);
        }
        free(back);
        if (!hit) {
            assert_int_equal(rc, 0);
            break;
        }
    }
    expect_loop("maso_act_move", failures);
    remove(src);
    remove(dst);
    free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate(test_model_load, (void *)&oom_transient),
        cmocka_unit_test_prestate(test_model_load, (void *)&oom_persist),
        cmocka_unit_test_prestate(test_model_load_portable, (void *)&oom_transient),
        cmocka_unit_test_prestate(test_model_load_portable, (void *)&oom_persist),
        cmocka_unit_test_prestate(test_model_load_scalar, (void *)&oom_transient),
        cmocka_unit_test_prestate(test_model_load_scalar, (void *)&oom_persist),
        cmocka_unit_test_prestate(test_model_load_int8, (void *)&oom_transient),
        cmocka_unit_test_prestate(test_model_load_int8, (void *)&oom_persist),
        cmocka_unit_test_prestate(test_forward, (void *)&oom_transient),
        cmocka_unit_test_prestate(test_forward, (void *)&oom_persist),
        cmocka_unit_test_prestate(test_sketch, (void *)&oom_transient),
        cmocka_unit_test_prestate(test_sketch, (void *)&oom_persist),
        cmocka_unit_test_prestate(test_decode_png, (void *)&oom_transient),
        cmocka_unit_test_prestate(test_decode_png, (void *)&oom_persist),
        cmocka_unit_test_prestate(test_decode_jpeg, (void *)&oom_transient),
        cmocka_unit_test_prestate(test_decode_jpeg, (void *)&oom_persist),
        cmocka_unit_test_prestate(test_decode_formats, (void *)&oom_transient),
        cmocka_unit_test_prestate(test_decode_formats, (void *)&oom_persist),
        cmocka_unit_test_prestate(test_resize, (void *)&oom_transient),
        cmocka_unit_test_prestate(test_resize, (void *)&oom_persist),
        cmocka_unit_test_prestate(test_trim, (void *)&oom_transient),
        cmocka_unit_test_prestate(test_trim, (void *)&oom_persist),
        cmocka_unit_test_prestate(test_search_query, (void *)&oom_transient),
        cmocka_unit_test_prestate(test_search_query, (void *)&oom_persist),
        cmocka_unit_test_prestate(test_search_duplicates, (void *)&oom_transient),
        cmocka_unit_test_prestate(test_search_duplicates, (void *)&oom_persist),
        cmocka_unit_test_prestate(test_search_nearest, (void *)&oom_transient),
        cmocka_unit_test_prestate(test_search_nearest, (void *)&oom_persist),
        cmocka_unit_test_prestate(test_store, (void *)&oom_transient),
        cmocka_unit_test_prestate(test_store, (void *)&oom_persist),
        cmocka_unit_test_prestate(test_store_update, (void *)&oom_transient),
        cmocka_unit_test_prestate(test_store_update, (void *)&oom_persist),
        cmocka_unit_test_prestate(test_store_read, (void *)&oom_transient),
        cmocka_unit_test_prestate(test_store_read, (void *)&oom_persist),
        cmocka_unit_test_prestate(test_store_repair, (void *)&oom_transient),
        cmocka_unit_test_prestate(test_store_repair, (void *)&oom_persist),
        cmocka_unit_test_prestate(test_engine, (void *)&oom_transient),
        cmocka_unit_test_prestate(test_engine, (void *)&oom_persist),
        cmocka_unit_test_prestate(test_weights_file, (void *)&oom_transient),
        cmocka_unit_test_prestate(test_weights_file, (void *)&oom_persist),
        cmocka_unit_test_prestate(test_shards, (void *)&oom_transient),
        cmocka_unit_test_prestate(test_shards, (void *)&oom_persist),
        cmocka_unit_test_prestate(test_act_move, (void *)&oom_transient),
        cmocka_unit_test_prestate(test_act_move, (void *)&oom_persist),
        cmocka_unit_test_prestate(test_labels, (void *)&oom_transient),
        cmocka_unit_test_prestate(test_labels, (void *)&oom_persist),
        cmocka_unit_test_prestate(test_read_file, (void *)&oom_transient),
        cmocka_unit_test_prestate(test_read_file, (void *)&oom_persist),
    };
    return cmocka_run_group_tests(tests, setup_model, teardown_model);
}
