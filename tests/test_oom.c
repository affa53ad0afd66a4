/*
 * test_oom.c -- allocation failures, in the manner of SQLite's OOM tests.
 *
 * The test is linked with -Wl,--wrap=malloc,... (tests/CMakeLists.txt), so
 * every allocation our static libraries (libmaso, maso_store, maso_search,
 * maso_cli) make goes through the __wrap_* functions below.  For each
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
 * Allocations inside shared libraries (libpng, TurboJPEG, LMDB, OpenBLAS,
 * libc's own fopen/pthread_create) are not redirected by --wrap; getline()
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

#include "maso.h"
#include "maso_cli.h"
#include "maso_search.h"
#include "maso_store.h"
#include "store_testutil.h"

#define MODEL_DIR MASO_SHARED_DIR "/models/squeezenet_v1.1"
#define PARAM_PATH MODEL_DIR "/squeezenet_v1.1.param"
#define BIN_PATH MODEL_DIR "/squeezenet_v1.1.bin"
#define LABELS_PATH MODEL_DIR "/synset_words.txt"
#define IMAGE_DIR MASO_SHARED_DIR "/images/classify"

/* ---- the failing allocator ---------------------------------------------- */

/* Allocation number to fail (-1: none), allocations seen since arming, and
 * whether the armed one was reached.  Atomic: search queries and OpenBLAS
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

static maso_model *ref_model;

static int setup_model(void **state)
{
    (void)state;
    if (maso_model_create(&ref_model) ||
        maso_model_load(ref_model, PARAM_PATH, BIN_PATH))
        return -1;
    return 0;
}

static int teardown_model(void **state)
{
    (void)state;
    maso_model_destroy(ref_model);
    ref_model = NULL;
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

/* Run @p m on @p img; compare code and output with @p code, @p out. */
static void expect_same_run(const maso_model *m, const maso_image *img,
                            const uint8_t *code, const float *out)
{
    size_t cb = maso_model_code_bytes(m), ob = maso_model_output_size(m);
    uint8_t *c = malloc(cb);
    float *o = malloc(ob * sizeof *o);
    maso_forward *fw = NULL;
    assert_int_equal(maso_forward_create(m, &fw), 0);
    assert_int_equal(maso_forward_run_image(fw, img, c, o), 0);
    assert_memory_equal(c, code, cb);
    assert_memory_equal(o, out, ob * sizeof *o);
    maso_forward_destroy(fw);
    free(c);
    free(o);
}

/* create + load.  A failed load must leave a handle that loads on a later
 * try (checked on every 8th failure point: a load costs ~a second under
 * ASan) and a model with no identity. */
static void test_model_load(void **state)
{
    oom_mode(state);
    long failures = 0;
    for (long n = 0;; n = oom_next(n, OOM_STRIDE)) {
        maso_model *m = NULL;
        oom_arm(n);
        int rc = maso_model_create(&m);
        if (rc == 0)
            rc = maso_model_load(m, PARAM_PATH, BIN_PATH);
        int hit = oom_disarm();
        if (!hit) {
            assert_int_equal(rc, 0);
            assert_string_equal(maso_model_errmsg(m), "");
            expect_model_like_ref(m);
            maso_model_destroy(m);
            break;
        }
        failures++;
        expect_failure("maso_model_load", n, rc, m ? maso_model_errmsg(m)
                                                   : NULL);
        if (rc == 0) {
            expect_model_like_ref(m);
        } else if (m) {
            assert_string_equal(maso_model_param_sha256(m), "");
            assert_int_equal(maso_model_code_bytes(m), 0);
            if (failures % 8 == 1) {
                assert_int_equal(maso_model_load(m, PARAM_PATH, BIN_PATH), 0);
                expect_model_like_ref(m);
            }
        } else {
            assert_int_equal(rc, ENOMEM);
        }
        maso_model_destroy(m);
    }
    expect_loop("maso_model_load", failures);
}

/* ---- forward ------------------------------------------------------------ */

static void test_forward(void **state)
{
    oom_mode(state);
    maso_image img = {0};
    decode_reference("dog.jpg", &img);
    size_t cb = maso_model_code_bytes(ref_model);
    size_t ob = maso_model_output_size(ref_model);
    uint8_t *ref_code = malloc(cb), *code = malloc(cb);
    float *ref_out = malloc(ob * sizeof(float)), *out = malloc(ob * sizeof(float));
    maso_forward *fw = NULL;
    assert_int_equal(maso_forward_create(ref_model, &fw), 0);
    assert_int_equal(maso_forward_run_image(fw, &img, ref_code, ref_out), 0);
    maso_forward_destroy(fw);

    long failures = 0;
    for (long n = 0;; n = oom_next(n, OOM_STRIDE)) {
        fw = NULL;
        memset(code, 0xAB, cb);
        oom_arm(n);
        int rc = maso_forward_create(ref_model, &fw);
        if (rc == 0)
            rc = maso_forward_run_image(fw, &img, code, out);
        int hit = oom_disarm();
        if (!hit) {
            assert_int_equal(rc, 0);
            assert_memory_equal(code, ref_code, cb);
            assert_memory_equal(out, ref_out, ob * sizeof(float));
            maso_forward_destroy(fw);
            break;
        }
        failures++;
        expect_failure("maso_forward", n, rc, fw ? maso_forward_errmsg(fw)
                                                 : NULL);
        if (rc == 0) {
            assert_memory_equal(code, ref_code, cb);
            assert_memory_equal(out, ref_out, ob * sizeof(float));
        } else if (fw) {
            /* the context stays usable: the next run is the normal one */
            assert_int_equal(maso_forward_run_image(fw, &img, code, out), 0);
            assert_memory_equal(code, ref_code, cb);
            assert_memory_equal(out, ref_out, ob * sizeof(float));
        } else {
            assert_int_equal(rc, ENOMEM);
        }
        maso_forward_destroy(fw);
    }
    expect_loop("maso_forward", failures);
    /* a model loaded after failures runs like the reference */
    expect_same_run(ref_model, &img, ref_code, ref_out);
    free(ref_code);
    free(code);
    free(ref_out);
    free(out);
    maso_image_free(&img);
}

/* ---- decoder ------------------------------------------------------------ */

static void decode_loop(const char *name, const maso_decode_params *params)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", IMAGE_DIR, name);
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
        if (!hit) {
            assert_int_equal(rc, 0);
            expect_same_image(&dst, &ref);
            maso_image_free(&dst);
            break;
        }
        failures++;
        expect_failure("maso_image_resize", n, rc, NULL);
        if (rc == 0)
            expect_same_image(&dst, &ref);
        else
            assert_null(dst.pixels);
        maso_image_free(&dst);
    }
    expect_loop("maso_image_resize", failures);
    maso_image_free(&src);
    maso_image_free(&ref);
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
    assert_int_equal(maso_search_create(&s0, store_test_layers,
                                        STORE_TEST_LAYERS), 0);
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
        int rc = maso_search_create(&s, store_test_layers, STORE_TEST_LAYERS);
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
    assert_int_equal(maso_search_create(&s, store_test_layers,
                                        STORE_TEST_LAYERS), 0);
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

/* Open (creating) @p dir, put STORE_OK OK records and one failed record,
 * commit, with allocation failures armed.  Returns the first failure and
 * in *hit whether the armed failure happened.  After a failure the handle
 * must still answer (lookups, check) and be destroyable. */
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
    for (int i = 0; rc == 0 && i < STORE_OK; i++) {
        store_code((uint64_t)i, code);
        store_path(i, path, sizeof path);
        maso_store_record r = {0, path, 100 + (uint64_t)i, i * 7,
                               MASO_RECORD_OK, NULL, NULL, code};
        rc = maso_store_batch_put(b, &r);
    }
    if (rc == 0) {
        maso_store_record r = {0, "/images/broken.jpg", 3, 4,
                               MASO_RECORD_FAILED, "truncated", NULL, NULL};
        rc = maso_store_batch_put(b, &r);
    }
    if (rc == 0) {
        rc = maso_store_batch_commit(b);
        b = NULL;
    }
    maso_store_batch_abort(b);
    *hit = oom_disarm();
    /* no handle, no message to check */
    snprintf(msg, msglen, "%s", st ? maso_store_errmsg(st) : "(no handle)");
    if (rc && maso_store_identity_get(st)) { /* the store is open */
        maso_store_record r;
        assert_int_equal(maso_store_get_by_path(st, "/nowhere", 0, &r),
                         MASO_ENOTFOUND);
        if (maso_store_check(st))
            fail_msg("check after a failure: %s", maso_store_errmsg(st));
    }
    maso_store_destroy(st);
    return rc;
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
    assert_int_equal(maso_store_stats_get(st, &stats), 0);
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

static void test_store(void **state)
{
    oom_mode(state);
    char tmp[512], dir[600], msg[1024];
    snprintf(tmp, sizeof tmp, "%s/oom_store_XXXXXX", MASO_TEST_TMPDIR);
    assert_non_null(mkdtemp(tmp));
    snprintf(dir, sizeof dir, "%s/index", tmp);
    maso_store_identity id;
    store_test_identity(&id, store_test_layers, STORE_TEST_LAYERS);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate(test_model_load, (void *)&oom_transient),
        cmocka_unit_test_prestate(test_model_load, (void *)&oom_persist),
        cmocka_unit_test_prestate(test_forward, (void *)&oom_transient),
        cmocka_unit_test_prestate(test_forward, (void *)&oom_persist),
        cmocka_unit_test_prestate(test_sketch, (void *)&oom_transient),
        cmocka_unit_test_prestate(test_sketch, (void *)&oom_persist),
        cmocka_unit_test_prestate(test_decode_png, (void *)&oom_transient),
        cmocka_unit_test_prestate(test_decode_png, (void *)&oom_persist),
        cmocka_unit_test_prestate(test_decode_jpeg, (void *)&oom_transient),
        cmocka_unit_test_prestate(test_decode_jpeg, (void *)&oom_persist),
        cmocka_unit_test_prestate(test_resize, (void *)&oom_transient),
        cmocka_unit_test_prestate(test_resize, (void *)&oom_persist),
        cmocka_unit_test_prestate(test_search_query, (void *)&oom_transient),
        cmocka_unit_test_prestate(test_search_query, (void *)&oom_persist),
        cmocka_unit_test_prestate(test_search_duplicates, (void *)&oom_transient),
        cmocka_unit_test_prestate(test_search_duplicates, (void *)&oom_persist),
        cmocka_unit_test_prestate(test_store, (void *)&oom_transient),
        cmocka_unit_test_prestate(test_store, (void *)&oom_persist),
        cmocka_unit_test_prestate(test_weights_file, (void *)&oom_transient),
        cmocka_unit_test_prestate(test_weights_file, (void *)&oom_persist),
        cmocka_unit_test_prestate(test_labels, (void *)&oom_transient),
        cmocka_unit_test_prestate(test_labels, (void *)&oom_persist),
    };
    return cmocka_run_group_tests(tests, setup_model, teardown_model);
}
