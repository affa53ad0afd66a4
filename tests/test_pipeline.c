/* test_pipeline.c -- decode -> preprocess -> forward on real photos,
 * checked against the independent float64 reference (top5.tsv, input.f32),
 * and maso_forward_code_file() and maso_forward_run_turned() against the
 * same steps done one by one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "maso.h"

#define MODEL MASO_SHARED_DIR "/models/squeezenet_v1.1/squeezenet_v1.1"
#define REF MASO_SHARED_DIR "/reference/squeezenet_v1.1"
#define IMAGES MASO_SHARED_DIR "/images/classify"

typedef struct fixture {
    maso_model *model;
    maso_forward *forward;
    maso_decoder *decoder;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f || maso_model_create(&f->model) ||
        maso_model_load(f->model, MODEL ".param", MODEL ".bin") ||
        maso_forward_create(f->model, &f->forward) ||
        maso_decoder_create(&f->decoder))
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    maso_decoder_destroy(f->decoder);
    maso_forward_destroy(f->forward);
    maso_model_destroy(f->model);
    free(f);
    return 0;
}

static void decode(fixture *f, const char *path, maso_image *image)
{
    maso_decode_params params;
    maso_decode_params_init(&params);
    params.min_width = params.min_height = 227;
    int rc = maso_decoder_load_file(f->decoder, path, &params, image);
    if (rc)
        fail_msg("%s", maso_decoder_errmsg(f->decoder));
}

static void top5(const float *prob, int *index)
{
    for (int j = 0; j < 5; j++) {
        index[j] = -1;
        for (int i = 0; i < 1000; i++) {
            int taken = 0;
            for (int k = 0; k < j; k++)
                taken |= index[k] == i;
            if (!taken && (index[j] < 0 || prob[i] > prob[index[j]]))
                index[j] = i;
        }
    }
}

/* Every photo of images/classify: our top-1 is among the reference's top-5,
 * and equals the reference's top-1 where the reference is confident (its
 * top-1 probability >= 0.4: our antialiased resize differs from the
 * reference's plain bilinear one, which moves low-confidence answers). */
static void test_top5_against_reference(void **state)
{
    fixture *f = *state;
    FILE *tsv = fopen(REF "/top5.tsv", "r");
    assert_non_null(tsv);
    char line[1024];
    int images = 0, confident = 0;
    float *prob = malloc(1000 * sizeof *prob);
    assert_non_null(prob);
    while (fgets(line, sizeof line, tsv)) {
        if (line[0] == '#')
            continue;
        char name[256], *fields[5];
        int nf = 0;
        for (char *tok = strtok(line, "\t\n"); tok && nf < 5; tok = strtok(NULL, "\t\n"))
            fields[nf++] = tok;
        assert_int_equal(nf, 5);
        snprintf(name, sizeof name, "%s", fields[0]);
        int ref_top1 = atoi(fields[1]);
        double ref_prob = atof(fields[3]);
        int ref5[5];
        assert_int_equal(sscanf(fields[4], "%d,%d,%d,%d,%d", &ref5[0], &ref5[1],
                                &ref5[2], &ref5[3], &ref5[4]), 5);

        char path[512];
        snprintf(path, sizeof path, "%s/%s", IMAGES, name);
        maso_image image = { 0, 0, NULL };
        decode(f, path, &image);
        assert_int_equal(maso_forward_run_image(f->forward, &image, NULL, prob), 0);
        maso_image_free(&image);
        int ours[5];
        top5(prob, ours);
        int in_ref5 = 0;
        for (int j = 0; j < 5; j++)
            in_ref5 |= ours[0] == ref5[j];
        if (!in_ref5)
            fail_msg("%s: our top-1 %d is not in the reference top-5", name, ours[0]);
        if (ref_prob >= 0.4) {
            if (ours[0] != ref_top1)
                fail_msg("%s: top-1 %d, reference %d (p=%.3f)", name, ours[0],
                         ref_top1, ref_prob);
            confident++;
        }
        images++;
    }
    fclose(tsv);
    free(prob);
    assert_int_equal(images, 12);
    assert_true(confident >= 6);
}

/* Our preprocessed tensor against the reference's input.f32: the same
 * channel order and means, the only difference the resize filter. */
static void test_preprocess_against_reference(void **state)
{
    fixture *f = *state;
    const char *names[] = { "bird", "cat", "grace_hopper" };
    size_t n = 3 * 227 * 227;
    float *ours = malloc(n * sizeof *ours), *ref = malloc(n * sizeof *ref);
    assert_non_null(ours);
    assert_non_null(ref);
    for (size_t k = 0; k < 3; k++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s.png", IMAGES, names[k]);
        maso_image image = { 0, 0, NULL };
        decode(f, path, &image);
        assert_int_equal(maso_model_preprocess_image(f->model, &image, ours), 0);
        maso_image_free(&image);
        snprintf(path, sizeof path, "%s/%s/input.f32", REF, names[k]);
        FILE *in = fopen(path, "rb");
        assert_non_null(in);
        assert_int_equal(fread(ref, sizeof *ref, n, in), n);
        fclose(in);
        double diff[3] = { 0, 0, 0 };
        for (size_t i = 0; i < n; i++)
            diff[i / (227 * 227)] += fabs((double)ours[i] - ref[i]);
        for (int c = 0; c < 3; c++) {
            diff[c] /= 227.0 * 227.0;
            /* A swapped channel or a wrong mean is off by tens; the filters
             * differ by well under one level on average. */
            if (diff[c] > 1.5)
                fail_msg("%s channel %d: mean |difference| %.2f", names[k], c, diff[c]);
        }
    }
    free(ours);
    free(ref);
}

/* maso_forward_code_file() against the steps done one by one with the
 * one-shot functions (decode at >= the input size, maso_model_preprocess_image
 * with a fresh resize, maso_forward_run on the tensor): the same code and
 * output bit for bit, over photos of different sizes and orientations
 * taken twice in alternating orders, so that the context's kept resize
 * taps and buffers are rebuilt and reused. */
static void test_code_file_equals_steps(void **state)
{
    fixture *f = *state;
    const char *names[] = { "dog.jpg", "bird.png", "eagle.jpg", "cat.png",
                            "giraffe.jpg", "grace_hopper.png" };
    const size_t n_names = sizeof names / sizeof names[0];
    size_t cb = maso_model_code_bytes(f->model);
    uint8_t *want = malloc(cb), *got = malloc(cb);
    float *want_out = malloc(1000 * sizeof(float));
    float *got_out = malloc(1000 * sizeof(float));
    float *tensor = malloc(3 * 227 * 227 * sizeof(float));
    assert_true(want && got && want_out && got_out && tensor);
    for (size_t r = 0; r < 2 * n_names; r++) {
        /* forwards, then backwards by twos (5, 3, 1, 5, 3, 1) */
        size_t i = r < n_names ? r : (n_names - 1 - (r - n_names) * 2 % n_names);
        char path[512];
        snprintf(path, sizeof path, "%s/%s", IMAGES, names[i]);
        maso_image image = { 0, 0, NULL };
        decode(f, path, &image);
        assert_int_equal(maso_model_preprocess_image(f->model, &image, tensor), 0);
        maso_image_free(&image);
        assert_int_equal(maso_forward_run(f->forward, tensor, want, want_out), 0);
        memset(got, 0xAB, cb);
        assert_int_equal(maso_forward_code_file(f->forward, f->decoder, path, 0,
                                                got, got_out), 0);
        assert_string_equal(maso_forward_errmsg(f->forward), "");
        if (memcmp(got, want, cb) != 0)
            fail_msg("%s: the code differs from the step-by-step one", names[i]);
        assert_memory_equal(got_out, want_out, 1000 * sizeof(float));
    }
    free(want);
    free(got);
    free(want_out);
    free(got_out);
    free(tensor);
}

/* A missing file and a file that is no image fail with the decoder's
 * status and a message naming the file; the context codes the next file
 * as before. */
static void test_code_file_errors(void **state)
{
    fixture *f = *state;
    size_t cb = maso_model_code_bytes(f->model);
    uint8_t *want = malloc(cb), *got = malloc(cb);
    assert_true(want && got);
    const char *good = IMAGES "/dog.jpg";
    assert_int_equal(maso_forward_code_file(f->forward, f->decoder, good, 0,
                                            want, NULL), 0);

    const char *missing = "/nonexistent/maso-test/photo.jpg";
    assert_int_equal(maso_forward_code_file(f->forward, f->decoder, missing, 0,
                                            got, NULL), ENOENT);
    assert_non_null(strstr(maso_forward_errmsg(f->forward), missing));

    char junk[] = "/tmp/maso-test-junk-XXXXXX";
    int fd = mkstemp(junk);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "not an image at all", 19), 19);
    close(fd);
    assert_int_equal(maso_forward_code_file(f->forward, f->decoder, junk, 0,
                                            got, NULL), MASO_EFORMAT);
    assert_non_null(strstr(maso_forward_errmsg(f->forward), junk));
    unlink(junk);

    assert_int_equal(maso_forward_code_file(NULL, f->decoder, good, 0, got, NULL),
                     MASO_EINVAL_ARG);
    assert_int_equal(maso_forward_code_file(f->forward, NULL, good, 0, got, NULL),
                     MASO_EINVAL_ARG);
    assert_int_equal(maso_forward_code_file(f->forward, f->decoder, NULL, 0, got,
                                            NULL), MASO_EINVAL_ARG);

    assert_int_equal(maso_forward_code_file(f->forward, f->decoder, good, 0,
                                            got, NULL), 0);
    assert_memory_equal(got, want, cb);
    free(want);
    free(got);
}

/* maso_forward_run_turned() against the steps done one by one: resize to
 * the input size (maso_image_resize), turn (maso_image_orient),
 * maso_forward_run on the preprocessed tensor: the same code and output
 * bit for bit for all 8 orientations, on photos of several sizes and on
 * one already at the input size (which the context copies instead of
 * resizing).  And the documented approximation: turning after the resize
 * moves no tensor value by more than one level from turning the decoded
 * image first. */
static void test_run_turned_equals_steps(void **state)
{
    fixture *f = *state;
    const char *names[] = { "dog.jpg", "bird.png", "giraffe.jpg", NULL };
    size_t cb = maso_model_code_bytes(f->model), n = 3 * 227 * 227;
    uint8_t *want = malloc(cb), *got = malloc(cb);
    float *want_out = malloc(1000 * sizeof(float));
    float *got_out = malloc(1000 * sizeof(float));
    float *tensor = malloc(n * sizeof(float));
    float *first = malloc(n * sizeof(float));
    assert_true(want && got && want_out && got_out && tensor && first);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        maso_image image = { 0, 0, NULL }, small = { 0, 0, NULL };
        char path[512];
        snprintf(path, sizeof path, "%s/%s", IMAGES,
                 names[i] ? names[i] : "cat.png");
        decode(f, path, &image);
        assert_int_equal(maso_image_resize(&image, 227, 227, &small), 0);
        if (!names[i]) { /* the input-size image itself */
            maso_image_free(&image);
            image = small;
            assert_int_equal(maso_image_resize(&image, 227, 227, &small), 0);
        }
        assert_int_equal(maso_forward_run_image(f->forward, &image, got, NULL), 0);
        double worst = 0;
        for (int o = 1; o <= 8; o++) {
            maso_image turned = { 0, 0, NULL };
            assert_int_equal(maso_image_resize(&small, 227, 227, &turned), 0);
            assert_int_equal(maso_image_orient(&turned, o), 0);
            assert_int_equal(maso_model_preprocess_image(f->model, &turned,
                                                         tensor), 0);
            maso_image_free(&turned);
            assert_int_equal(maso_forward_run(f->forward, tensor, want,
                                              want_out), 0);
            /* maso_forward_run() leaves nothing to turn */
            assert_int_equal(maso_forward_run_turned(f->forward, o, got, NULL),
                             MASO_EINVAL_ARG);
            assert_int_equal(maso_forward_run_image(f->forward, &image, got,
                                                    NULL), 0);
            memset(got, 0xAB, cb);
            assert_int_equal(maso_forward_run_turned(f->forward, o, got,
                                                     got_out), 0);
            if (memcmp(got, want, cb) != 0)
                fail_msg("%s, orientation %d: the code differs from the "
                         "step-by-step one", path, o);
            /* the input tensor itself (vector normalisation with the best
             * kernels) is the one-shot function's (plain C) */
            const float *input =
                maso_forward_blob(f->forward, "data", NULL, NULL, NULL);
            assert_non_null(input);
            if (memcmp(input, tensor, n * sizeof(float)) != 0)
                fail_msg("%s, orientation %d: the input tensor differs",
                         path, o);
            assert_memory_equal(got_out, want_out, 1000 * sizeof(float));
            /* turning the decoded image first, then resizing */
            maso_image full = { 0, 0, NULL };
            assert_int_equal(maso_image_resize(&image, image.width,
                                               image.height, &full), 0);
            assert_int_equal(maso_image_orient(&full, o), 0);
            assert_int_equal(maso_model_preprocess_image(f->model, &full,
                                                         first), 0);
            maso_image_free(&full);
            for (size_t k = 0; k < n; k++)
                worst = fmax(worst, fabs((double)first[k] - tensor[k]));
        }
        if (worst > 1.0)
            fail_msg("%s: turned after the resize, a value moved by %.2f "
                     "levels", path, worst);
        maso_image_free(&image);
        maso_image_free(&small);
    }
    assert_int_equal(maso_forward_run_turned(f->forward, 0, got, NULL),
                     MASO_EINVAL_ARG);
    assert_int_equal(maso_forward_run_turned(f->forward, 9, got, NULL),
                     MASO_EINVAL_ARG);
    assert_non_null(strstr(maso_forward_errmsg(f->forward), "9"));
    assert_int_equal(maso_forward_run_turned(NULL, 2, got, NULL),
                     MASO_EINVAL_ARG);
    free(want);
    free(got);
    free(want_out);
    free(got_out);
    free(tensor);
    free(first);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_top5_against_reference),
        cmocka_unit_test(test_preprocess_against_reference),
        cmocka_unit_test(test_code_file_equals_steps),
        cmocka_unit_test(test_code_file_errors),
        cmocka_unit_test(test_run_turned_equals_steps),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
