/* test_network_golden.c -- SqueezeNet v1.1 against the golden outputs of an
 * independent float64 implementation (../shared/reference): probabilities,
 * every ReLU bit and max-pool winner, the layout table, and determinism
 * across threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "maso.h"
#include "network_testutil.h"

#include <math.h>
#include <pthread.h>
#include <string.h>

static const char *const images[] = {"bird", "cat", "dog", "grace_hopper"};

static maso_model *load_squeezenet_with(maso_model_kernels kernels)
{
    maso_model *m = NULL;
    assert_int_equal(maso_model_create(&m), 0);
    assert_int_equal(maso_model_set_kernels(m, kernels), 0);
    int rc = maso_model_load(m, SQUEEZENET_PARAM, SQUEEZENET_BIN);
    if (rc)
        fail_msg("load: %s", maso_model_errmsg(m));
    return m;
}

static maso_model *load_squeezenet(void)
{
    return load_squeezenet_with(MASO_MODEL_KERNELS_BEST);
}

static float *read_floats(const char *image, const char *file, size_t n)
{
    char path[512];
    size_t size = 0;
    snprintf(path, sizeof path, "%s/%s/%s", GOLDEN_DIR, image, file);
    float *v = test_read_file(path, &size);
    if (!v)
        fail_msg("cannot read %s", path);
    assert_int_equal(size, n * sizeof(float));
    return v;
}

/* Our unit i of a code section, whatever the packing. */
static unsigned code_unit(const maso_code_layer *l, const uint8_t *code,
                          size_t i)
{
    const uint8_t *s = code + l->offset;
    if (l->bits_per_unit == 1)
        return (s[i / 8] >> (i % 8)) & 1u;
    if (l->bits_per_unit == 4)
        return (s[i / 2] >> ((i & 1) * 4)) & 15u;
    return s[i];
}

/* Compare every coded layer with codes.tsv and its files. */
static void check_codes(const maso_model *m, const maso_forward *fw,
                        const char *image, const uint8_t *code)
{
    const maso_code_layer *layers;
    size_t n = maso_model_code_layers(m, &layers);
    char path[512];
    snprintf(path, sizeof path, "%s/%s/codes.tsv", GOLDEN_DIR, image);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[1024];
    size_t k = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#')
            continue;
        char kind[32], name[128], blob[256], file[128];
        int c, h, w;
        long ones;
        assert_int_equal(sscanf(line, "%31s %127s %255s %d %d %d %127s %ld",
                                kind, name, blob, &c, &h, &w, file, &ones), 8);
        assert_true(k < n);
        const maso_code_layer *l = &layers[k++];
        assert_string_equal(l->name, name);
        /* the activations of the layer live under the golden's blob */
        assert_non_null(l->blob);
        assert_string_equal(l->blob, blob);
        int bc, bh, bw;
        assert_non_null(maso_forward_blob(fw, l->blob, &bc, &bh, &bw));
        assert_int_equal(bc, c);
        assert_int_equal(bh, h);
        assert_int_equal(bw, w);
        assert_int_equal(l->kind, strcmp(kind, "relu") ? MASO_LAYER_MAXPOOL
                                                       : MASO_LAYER_RELU);
        assert_int_equal(l->channels, c);
        assert_int_equal(l->height, h);
        assert_int_equal(l->width, w);
        char gpath[512];
        size_t gsize = 0;
        snprintf(gpath, sizeof gpath, "%s/%s/%s", GOLDEN_DIR, image, file);
        uint8_t *g = test_read_file(gpath, &gsize);
        assert_non_null(g);
        size_t diff = 0;
        long set = 0;
        for (size_t i = 0; i < l->units; i++) {
            unsigned want = l->kind == MASO_LAYER_RELU
                                ? (g[i / 8] >> (i % 8)) & 1u
                                : g[i];
            unsigned got = code_unit(l, code, i);
            diff += want != got;
            set += got != 0;
        }
        assert_int_equal(gsize, l->kind == MASO_LAYER_RELU ? (l->units + 7) / 8
                                                           : l->units);
        free(g);
        if (diff * 10000 >= l->units)
            fail_msg("%s %s: %zu of %zu units differ", image, name, diff,
                     l->units);
        /* the ones/non-zero count agrees within the same tolerance */
        assert_true((size_t)labs(set - ones) <= diff);
    }
    fclose(f);
    assert_int_equal(k, n);
}

static void check_golden_images(maso_model_kernels kernels)
{
    maso_model *m = load_squeezenet_with(kernels);
    maso_forward *fw = NULL;
    assert_int_equal(maso_forward_create(m, &fw), 0);
    int c, h, w;
    maso_model_input_size(m, &c, &h, &w);
    assert_int_equal(c, 3);
    assert_int_equal(h, 227);
    assert_int_equal(w, 227);
    assert_int_equal(maso_model_output_size(m), 1000);
    size_t bytes = maso_model_code_bytes(m);
    uint8_t *code = malloc(bytes);
    float out[1000];
    for (size_t i = 0; i < sizeof images / sizeof *images; i++) {
        float *input = read_floats(images[i], "input.f32", 3 * 227 * 227);
        float *prob = read_floats(images[i], "prob.f32", 1000);
        memset(code, 0xAA, bytes); /* the run must zero the padding */
        assert_int_equal(maso_forward_run(fw, input, code, out), 0);
        double maxdiff = 0;
        for (int j = 0; j < 1000; j++)
            maxdiff = fmax(maxdiff, fabs((double)out[j] - prob[j]));
        if (maxdiff > 1e-4)
            fail_msg("%s: prob differs by %g", images[i], maxdiff);
        check_codes(m, fw, images[i], code);
        /* padding bytes of every section are zero */
        const maso_code_layer *layers;
        size_t n = maso_model_code_layers(m, &layers);
        for (size_t k = 0; k < n; k++) {
            size_t used = (layers[k].units * (size_t)layers[k].bits_per_unit + 7) / 8;
            for (size_t b = used; b < layers[k].bytes; b++)
                assert_int_equal(code[layers[k].offset + b], 0);
            size_t tail = layers[k].units * (size_t)layers[k].bits_per_unit % 8;
            if (tail)
                assert_int_equal(code[layers[k].offset + used - 1] >> tail, 0);
        }
        /* the prob blob is reachable by name and equals the output */
        int bc, bh, bw;
        const float *pb = maso_forward_blob(fw, "prob", &bc, &bh, &bw);
        assert_non_null(pb);
        assert_int_equal(bc * bh * bw, 1000);
        assert_memory_equal(pb, out, sizeof out);
        free(input);
        free(prob);
    }
    assert_null(maso_forward_blob(fw, "no such blob", NULL, NULL, NULL));
    free(code);
    maso_forward_destroy(fw);
    maso_model_destroy(m);
}

/* The fastest path this CPU has (AVX-512 GEMM and Winograd here). */
static void test_golden_images(void **state)
{
    (void)state;
    check_golden_images(MASO_MODEL_KERNELS_BEST);
}

/* The AVX2 + FMA path that CPUs without AVX-512 take. */
static void test_golden_images_portable(void **state)
{
    (void)state;
    check_golden_images(MASO_MODEL_KERNELS_PORTABLE);
}

/* The plain C path of CPUs without AVX2 + FMA and of other architectures. */
static void test_golden_images_scalar(void **state)
{
    (void)state;
    check_golden_images(MASO_MODEL_KERNELS_SCALAR);
}

/* Code and probabilities of the golden images with @p kernels. */
static void run_golden(maso_model_kernels kernels, uint8_t **codes,
                       float (*prob)[1000], size_t *bytes)
{
    maso_model *m = load_squeezenet_with(kernels);
    maso_forward *fw = NULL;
    assert_int_equal(maso_forward_create(m, &fw), 0);
    *bytes = maso_model_code_bytes(m);
    for (size_t i = 0; i < sizeof images / sizeof *images; i++) {
        float *input = read_floats(images[i], "input.f32", 3 * 227 * 227);
        codes[i] = malloc(*bytes);
        assert_non_null(codes[i]);
        assert_int_equal(maso_forward_run(fw, input, codes[i], prob[i]), 0);
        free(input);
    }
    maso_forward_destroy(fw);
    maso_model_destroy(m);
}

/* The kernel sets side by side: the AVX2 set computes the AVX-512 set's
 * floats (same GEMM chains of fused multiply-adds, same Winograd
 * transforms), so on a CPU with both the codes and probabilities are
 * identical; the plain C set rounds its products, so its codes differ
 * from theirs only at pre-activations within rounding of 0, fewer than
 * the golden tests allow (1 in 10 000 units of the whole code). */
static void test_kernel_sets_agree(void **state)
{
    (void)state;
    enum { N = sizeof images / sizeof *images };
    uint8_t *best[N], *portable[N], *scalar[N];
    float pbest[N][1000], pportable[N][1000], pscalar[N][1000];
    size_t bytes = 0;
    run_golden(MASO_MODEL_KERNELS_BEST, best, pbest, &bytes);
    run_golden(MASO_MODEL_KERNELS_PORTABLE, portable, pportable, &bytes);
    run_golden(MASO_MODEL_KERNELS_SCALAR, scalar, pscalar, &bytes);
    __builtin_cpu_init();
    const int both = __builtin_cpu_supports("avx512f") &&
                     __builtin_cpu_supports("avx2") &&
                     __builtin_cpu_supports("fma");
    for (size_t i = 0; i < N; i++) {
        if (both) {
            assert_memory_equal(best[i], portable[i], bytes);
            assert_memory_equal(pbest[i], pportable[i], sizeof pbest[i]);
        }
        size_t diff = 0;
        for (size_t b = 0; b < bytes; b++)
            diff += (size_t)__builtin_popcount(portable[i][b] ^ scalar[i][b]);
        if (diff * 10000 >= bytes * 8)
            fail_msg("%s: %zu code bits differ between the AVX2 and the "
                     "plain C kernels", images[i], diff);
        print_message("%s: %zu code bits of %zu differ, AVX2 vs plain C\n",
                      images[i], diff, bytes * 8);
        free(best[i]);
        free(portable[i]);
        free(scalar[i]);
    }
}

static void test_kernels_chosen_before_load(void **state)
{
    (void)state;
    maso_model *m = load_squeezenet();
    assert_int_equal(maso_model_set_kernels(m, MASO_MODEL_KERNELS_PORTABLE),
                     MASO_EINVAL_ARG);
    assert_non_null(strstr(maso_model_errmsg(m), "before"));
    maso_model_destroy(m);
    assert_int_equal(maso_model_set_kernels(NULL, MASO_MODEL_KERNELS_BEST),
                     MASO_EINVAL_ARG);
}

static void test_layout_table(void **state)
{
    (void)state;
    maso_model *m = load_squeezenet();
    const maso_code_layer *l;
    size_t n = maso_model_code_layers(m, &l);
    assert_int_equal(n, 29);
    size_t relu = 0, pools = 0, relu_bits = 0, offset = 0;
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(l[i].offset, offset);
        assert_int_equal(l[i].offset % 64, 0);
        assert_int_equal(l[i].bytes % 64, 0);
        assert_int_equal(l[i].units,
                         (size_t)l[i].channels * l[i].height * l[i].width);
        assert_true(l[i].bytes * 8 >= l[i].units * (size_t)l[i].bits_per_unit);
        assert_true(l[i].bytes * 8 < l[i].units * (size_t)l[i].bits_per_unit + 512);
        if (l[i].kind == MASO_LAYER_RELU) {
            relu++;
            relu_bits += l[i].units;
            assert_int_equal(l[i].bits_per_unit, 1);
            assert_int_equal(l[i].window, 0);
        } else {
            pools++;
            assert_int_equal(l[i].window, 9);
            assert_int_equal(l[i].bits_per_unit, 4);
        }
        offset += l[i].bytes;
    }
    assert_int_equal(relu, 26);
    assert_int_equal(pools, 3);
    assert_int_equal(relu_bits, 2823104);
    assert_int_equal(maso_model_code_bytes(m), offset);
    assert_string_equal(l[0].name, "conv1");
    assert_string_equal(l[28].name, "conv10");
    assert_int_equal(l[28].height, 16); /* conv10 pads its 1x1 kernel */
    /* identity: the sums published in SOURCE.md */
    assert_string_equal(maso_model_param_sha256(m),
        "6a38784ab51f056e5ecdf208120f8a9174b74831255e66b74c4dd6bf755a4324");
    assert_string_equal(maso_model_bin_sha256(m),
        "928c82c485a16064df88794d83c333025055e60c08f73217222244ab0ed2dbc6");
    const maso_preprocess *pre = maso_model_get_preprocess(m);
    assert_true(pre->bgr == 1 && pre->mean[0] == 104.0f && pre->mean[2] == 123.0f);
    maso_model_destroy(m);
}

typedef struct thread_job {
    const maso_model *model;
    const float *input;
    uint8_t *code;
    float out[1000];
    int rc;
} thread_job;

static void *thread_main(void *arg)
{
    thread_job *j = arg;
    maso_forward *fw = NULL;
    j->rc = maso_forward_create(j->model, &fw);
    for (int r = 0; r < 3 && j->rc == 0; r++)
        j->rc = maso_forward_run(fw, j->input, j->code, j->out);
    maso_forward_destroy(fw);
    return NULL;
}

static void test_two_threads(void **state)
{
    (void)state;
    maso_model *m = load_squeezenet();
    size_t bytes = maso_model_code_bytes(m);
    float *input = read_floats("cat", "input.f32", 3 * 227 * 227);
    thread_job jobs[2];
    pthread_t t[2];
    for (int i = 0; i < 2; i++) {
        jobs[i].model = m;
        jobs[i].input = input;
        jobs[i].code = malloc(bytes);
        assert_int_equal(pthread_create(&t[i], NULL, thread_main, &jobs[i]), 0);
    }
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(jobs[0].rc, 0);
    assert_int_equal(jobs[1].rc, 0);
    assert_memory_equal(jobs[0].code, jobs[1].code, bytes);
    assert_memory_equal(jobs[0].out, jobs[1].out, sizeof jobs[0].out);
    /* and the same as a run in this thread */
    maso_forward *fw = NULL;
    uint8_t *code = malloc(bytes);
    assert_int_equal(maso_forward_create(m, &fw), 0);
    assert_int_equal(maso_forward_run(fw, input, code, NULL), 0);
    assert_memory_equal(code, jobs[0].code, bytes);
    assert_int_equal(maso_forward_run(fw, NULL, code, NULL), MASO_EINVAL_ARG);
    assert_true(strlen(maso_forward_errmsg(fw)) > 0);
    free(code);
    maso_forward_destroy(fw);
    free(jobs[0].code);
    free(jobs[1].code);
    free(input);
    maso_model_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_table),
        cmocka_unit_test(test_golden_images),
        cmocka_unit_test(test_golden_images_portable),
        cmocka_unit_test(test_golden_images_scalar),
        cmocka_unit_test(test_kernel_sets_agree),
        cmocka_unit_test(test_kernels_chosen_before_load),
        cmocka_unit_test(test_two_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
