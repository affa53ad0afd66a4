/* test_network_int8.c -- SqueezeNet v1.1 with int8 convolutions
 * (MASO_PRECISION_INT8) on the golden images of the float64 reference
 * (../shared/reference):
 *   - the codes of the three kernel choices (AVX-512 VNNI, AVX2, scalar)
 *     are identical byte for byte, so an index does not depend on the CPU
 *     that built it;
 *   - per coded layer, the fraction of units (ReLU bits, pool winners)
 *     equal to the float64 golden stays above a floor measured on these
 *     images (see AGREEMENT below), and the top class is the golden's;
 *   - conv1 reads the integer pixels (input + mean, scale 1);
 *   - the precision is chosen before loading, and named;
 *   - runs limited to a sketch (maso_forward_limit_to_sketch(), conv10 at
 *     the sampled units only) give the sketches of whole runs bit for
 *     bit, at both precisions and with every kernel choice. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "maso.h"
#include "network_testutil.h"

#include <math.h>
#include <string.h>

static const char *const images[] = {"bird", "cat", "dog", "grace_hopper"};
#define N_IMAGES (sizeof images / sizeof *images)

/* Floors of the per-layer agreement with the golden codes, every image
 * and layer, measured on these 4 images when the kernels were written:
 * worst ReLU layer 0.9730 (grace_hopper fire3/expand3x3; most are above
 * 0.985; conv1 0.980-0.989), worst max-pool layer 0.8999 (grace_hopper
 * pool3: a winner flips
 * whenever two inputs of a window are within a rounding step).  The floors
 * leave about one point of room, nothing for a broken kernel: a wrong
 * scale, layout or sum drops whole layers to chance (~0.5 for bits). */
#define RELU_FLOOR 0.96
#define POOL_FLOOR 0.89

static maso_model *load(maso_model_kernels kernels,
                        maso_model_precision precision)
{
    maso_model *m = NULL;
    assert_int_equal(maso_model_create(&m), 0);
    assert_int_equal(maso_model_set_kernels(m, kernels), 0);
    assert_int_equal(maso_model_set_precision(m, precision), 0);
    if (maso_model_load(m, SQUEEZENET_PARAM, SQUEEZENET_BIN))
        fail_msg("load: %s", maso_model_errmsg(m));
    return m;
}

static float *read_golden(const char *image, const char *file, size_t *size)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s/%s", GOLDEN_DIR, image, file);
    void *v = test_read_file(path, size);
    if (!v)
        fail_msg("cannot read %s", path);
    return v;
}

/* Codes of every golden image with @p shift added to every input value,
 * and the top class of each (@p top may be NULL). */
static uint8_t *run_shifted(const maso_model *m, float shift, int *top)
{
    maso_forward *fw = NULL;
    assert_int_equal(maso_forward_create(m, &fw), 0);
    size_t bytes = maso_model_code_bytes(m);
    uint8_t *codes = malloc(bytes * N_IMAGES);
    assert_non_null(codes);
    float out[1000];
    for (size_t i = 0; i < N_IMAGES; i++) {
        size_t size = 0;
        float *input = read_golden(images[i], "input.f32", &size);
        assert_int_equal(size, sizeof(float) * 3 * 227 * 227);
        for (size_t j = 0; shift != 0.0f && j < 3 * 227 * 227; j++)
            input[j] += shift;
        assert_int_equal(maso_forward_run(fw, input, codes + i * bytes, out),
                         0);
        int best = 0;
        for (int j = 1; j < 1000; j++)
            best = out[j] > out[best] ? j : best;
        if (top)
            top[i] = best;
        free(input);
    }
    maso_forward_destroy(fw);
    return codes;
}

static uint8_t *run_all(const maso_model *m, int *top)
{
    return run_shifted(m, 0.0f, top);
}

static uint8_t *run_all_shifted(const maso_model *m, float shift)
{
    return run_shifted(m, shift, NULL);
}

static void test_kernel_sets_agree(void **state)
{
    (void)state;
    static const maso_model_kernels sets[] = {MASO_MODEL_KERNELS_BEST,
                                              MASO_MODEL_KERNELS_PORTABLE,
                                              MASO_MODEL_KERNELS_SCALAR};
    uint8_t *first = NULL;
    size_t bytes = 0;
    for (size_t s = 0; s < 3; s++) {
        maso_model *m = load(sets[s], MASO_PRECISION_INT8);
        int top[N_IMAGES];
        uint8_t *codes = run_all(m, top);
        bytes = maso_model_code_bytes(m) * N_IMAGES;
        if (!first)
            first = codes;
        else if (memcmp(first, codes, bytes) != 0)
            fail_msg("int8 codes of kernel set %d differ from the best set's",
                     (int)sets[s]);
        if (codes != first)
            free(codes);
        maso_model_destroy(m);
    }
    free(first);
}

/* Unit @p i of a code section. */
static unsigned unit(const maso_code_layer *l, const uint8_t *s, size_t i)
{
    if (l->bits_per_unit == 1)
        return (s[i / 8] >> (i % 8)) & 1u;
    if (l->bits_per_unit == 4)
        return (s[i / 2] >> ((i & 1) * 4)) & 15u;
    return s[i];
}

static void test_agreement_with_golden(void **state)
{
    (void)state;
    maso_model *m = load(MASO_MODEL_KERNELS_BEST, MASO_PRECISION_INT8);
    int top[N_IMAGES];
    uint8_t *codes = run_all(m, top);
    const maso_code_layer *layers;
    size_t n = maso_model_code_layers(m, &layers);
    size_t bytes = maso_model_code_bytes(m);
    double worst[2] = {1.0, 1.0}; /* ReLU, max pool */
    for (size_t i = 0; i < N_IMAGES; i++) {
        size_t size = 0;
        float *prob = read_golden(images[i], "prob.f32", &size);
        int want = 0;
        for (int j = 1; j < 1000; j++)
            want = prob[j] > prob[want] ? j : want;
        free(prob);
        assert_int_equal(top[i], want);
        for (size_t k = 0; k < n; k++) {
            const maso_code_layer *l = &layers[k];
            char file[300];
            snprintf(file, sizeof file, "%s.%s", l->name,
                     l->kind == MASO_LAYER_RELU ? "bits" : "argmax.u8");
            for (char *c = file; *c; c++)
                *c = *c == '/' ? '_' : *c;
            uint8_t *g = (uint8_t *)read_golden(images[i], file, &size);
            const uint8_t *s = codes + i * bytes + l->offset;
            size_t same = 0;
            for (size_t u = 0; u < l->units; u++) {
                unsigned gv = l->kind == MASO_LAYER_RELU
                                  ? (g[u / 8] >> (u % 8)) & 1u
                                  : g[u];
                same += gv == unit(l, s, u);
            }
            free(g);
            double agree = (double)same / (double)l->units;
            int kind = l->kind == MASO_LAYER_RELU ? 0 : 1;
            worst[kind] = agree < worst[kind] ? agree : worst[kind];
        }
    }
    print_message("worst layer agreement: relu %.4f, max pool %.4f\n",
                  worst[0], worst[1]);
    if (worst[0] < RELU_FLOOR || worst[1] < POOL_FLOOR)
        fail_msg("worst layer agreement relu %.4f (floor %.2f), max pool "
                 "%.4f (floor %.2f)", worst[0], RELU_FLOOR, worst[1],
                 POOL_FLOOR);
    free(codes);
    maso_model_destroy(m);
}

static void test_precision_api(void **state)
{
    (void)state;
    maso_model_precision p = MASO_PRECISION_FP32;
    assert_int_equal(maso_precision_parse("int8", &p), 0);
    assert_int_equal(p, MASO_PRECISION_INT8);
    assert_int_equal(maso_precision_parse("fp16", &p), MASO_EINVAL_ARG);
    assert_int_equal(p, MASO_PRECISION_INT8);
    assert_string_equal(maso_precision_name(MASO_PRECISION_FP32), "fp32");
    assert_string_equal(maso_precision_name(MASO_PRECISION_INT8), "int8");
    maso_model *m = load(MASO_MODEL_KERNELS_BEST, MASO_PRECISION_INT8);
    assert_int_equal(maso_model_get_precision(m), MASO_PRECISION_INT8);
    /* conv1 folds the mean: a new mean after loading is folded again (the
     * codes are those of a model loaded with that mean), a scale other
     * than 1 is refused and leaves the model as it was */
    int top[N_IMAGES];
    uint8_t *before = run_all(m, top);
    maso_preprocess pre = *maso_model_get_preprocess(m);
    maso_preprocess scaled = pre;
    scaled.scale[1] = 0.5f;
    assert_int_equal(maso_model_set_preprocess(m, &scaled), MASO_EINVAL_ARG);
    assert_non_null(strstr(maso_model_errmsg(m), "scale"));
    assert_true(maso_model_get_preprocess(m)->scale[1] == 1.0f);
    uint8_t *again = run_all(m, top);
    assert_memory_equal(before, again, maso_model_code_bytes(m) * N_IMAGES);
    free(again);
    maso_preprocess moved = pre;
    for (int c = 0; c < 3; c++)
        moved.mean[c] = pre.mean[c] + 1.0f;
    assert_int_equal(maso_model_set_preprocess(m, &moved), 0);
    again = run_all_shifted(m, -1.0f);
    maso_model *fresh = NULL;
    assert_int_equal(maso_model_create(&fresh), 0);
    assert_int_equal(maso_model_set_precision(fresh, MASO_PRECISION_INT8), 0);
    assert_int_equal(maso_model_set_preprocess(fresh, &moved), 0);
    assert_int_equal(maso_model_load(fresh, SQUEEZENET_PARAM, SQUEEZENET_BIN),
                     0);
    uint8_t *want = run_all_shifted(fresh, -1.0f);
    assert_memory_equal(want, again, maso_model_code_bytes(m) * N_IMAGES);
    maso_model_destroy(fresh);
    free(want);
    free(again);
    free(before);
    assert_int_equal(maso_model_set_precision(m, MASO_PRECISION_FP32),
                     MASO_EINVAL_ARG);
    assert_non_null(strstr(maso_model_errmsg(m), "before"));
    maso_model_destroy(m);
    assert_int_equal(maso_model_set_precision(NULL, MASO_PRECISION_INT8),
                     MASO_EINVAL_ARG);
    assert_int_equal(maso_model_get_precision(NULL), MASO_PRECISION_FP32);
}

/* maso_forward_limit_to_sketch(): for each precision and kernel choice,
 * the sketch of a limited run's code equals the whole run's; the limit
 * engages (conv10's section keeps only sampled bits: fewer than the whole
 * run's where the limit applies); a run asked for the output is whole; a
 * sketch of another layout is refused; NULL removes the limit. */
static void test_limit_to_sketch(void **state)
{
    (void)state;
    const maso_model_kernels kernels[] = {MASO_MODEL_KERNELS_BEST,
                                          MASO_MODEL_KERNELS_PORTABLE,
                                          MASO_MODEL_KERNELS_SCALAR};
    const maso_model_precision precisions[] = {MASO_PRECISION_FP32,
                                               MASO_PRECISION_INT8};
    for (size_t p = 0; p < 2; p++)
        for (size_t k = 0; k < 3; k++) {
            maso_model *m = load(kernels[k], precisions[p]);
            const maso_code_layer *layers;
            size_t nl = maso_model_code_layers(m, &layers), conv10 = nl;
            for (size_t i = 0; i < nl; i++)
                if (strcmp(layers[i].name, "conv10") == 0)
                    conv10 = i;
            assert_true(conv10 < nl);
            maso_sketch_params sp;
            maso_sketch_params_init(&sp);
            maso_sketch *sk = NULL;
            assert_int_equal(maso_sketch_create(layers, nl, &sp, &sk), 0);
            maso_forward *whole = NULL, *limited = NULL;
            assert_int_equal(maso_forward_create(m, &whole), 0);
            assert_int_equal(maso_forward_create(m, &limited), 0);
            assert_int_equal(maso_forward_limit_to_sketch(limited, sk), 0);
            size_t cb = maso_model_code_bytes(m), sb = maso_sketch_bytes(sk);
            uint8_t *a = malloc(cb), *b = malloc(cb);
            uint8_t *sa = malloc(sb), *sb_ = malloc(sb);
            float out_a[1000], out_b[1000];
            assert_true(a && b && sa && sb_);
            size_t fewer = 0;
            for (size_t i = 0; i < N_IMAGES; i++) {
                size_t size = 0;
                float *input = read_golden(images[i], "input.f32", &size);
                assert_int_equal(maso_forward_run(whole, input, a, NULL), 0);
                assert_int_equal(maso_forward_run(limited, input, b, NULL), 0);
                maso_sketch_apply(sk, a, sa);
                maso_sketch_apply(sk, b, sb_);
                if (memcmp(sa, sb_, sb) != 0)
                    fail_msg("%s, kernels %d, precision %d: the limited "
                             "run's sketch differs", images[i], (int)kernels[k],
                             (int)precisions[p]);
                /* every section but conv10's is the whole run's */
                const maso_code_layer *c10 = &layers[conv10];
                assert_memory_equal(a, b, c10->offset);
                assert_memory_equal(a + c10->offset + c10->bytes,
                                    b + c10->offset + c10->bytes,
                                    cb - c10->offset - c10->bytes);
                size_t ones_a = 0, ones_b = 0;
                for (size_t j = 0; j < c10->bytes; j++) {
                    ones_a += (size_t)__builtin_popcount(a[c10->offset + j]);
                    ones_b += (size_t)__builtin_popcount(b[c10->offset + j]);
                    /* no bit the whole run does not set */
                    assert_int_equal(b[c10->offset + j] &
                                     ~a[c10->offset + j], 0);
                }
                fewer += ones_b < ones_a;
                /* asked for the output: whole */
                assert_int_equal(maso_forward_run(whole, input, a, out_a), 0);
                assert_int_equal(maso_forward_run(limited, input, b, out_b), 0);
                assert_memory_equal(a, b, cb);
                assert_memory_equal(out_a, out_b, sizeof out_a);
                free(input);
            }
            /* limited with every precision and kernel set */
            assert_int_equal(fewer, N_IMAGES);
            /* removed: whole again */
            size_t size = 0;
            float *input = read_golden(images[0], "input.f32", &size);
            assert_int_equal(maso_forward_limit_to_sketch(limited, NULL), 0);
            assert_int_equal(maso_forward_run(whole, input, a, NULL), 0);
            assert_int_equal(maso_forward_run(limited, input, b, NULL), 0);
            assert_memory_equal(a, b, cb);
            free(input);
            /* a sketch of another layout */
            maso_sketch *other = NULL;
            assert_int_equal(maso_sketch_create(layers, nl - 1, &sp, &other),
                             0);
            assert_int_equal(maso_forward_limit_to_sketch(limited, other),
                             MASO_EINVAL_ARG);
            assert_non_null(strstr(maso_forward_errmsg(limited), "layout"));
            maso_sketch_destroy(other);
            free(a);
            free(b);
            free(sa);
            free(sb_);
            maso_forward_destroy(whole);
            maso_forward_destroy(limited);
            maso_sketch_destroy(sk);
            maso_model_destroy(m);
        }
    assert_int_equal(maso_forward_limit_to_sketch(NULL, NULL),
                     MASO_EINVAL_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kernel_sets_agree),
        cmocka_unit_test(test_agreement_with_golden),
        cmocka_unit_test(test_precision_api),
        cmocka_unit_test(test_limit_to_sketch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
