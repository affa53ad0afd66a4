/* test_network_errors.c -- malformed models are refused with the right
 * status and a message naming the file, line and layer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "maso.h"
#include "network_testutil.h"

#include <errno.h>
#include <math.h>
#include <string.h>

/* A valid two-layer model: 1x1 convolution 2->1, fp32 weights, bias. */
static const char *good_param =
    "7767517\n"
    "2 2\n"
    "Input            data   0 1 data 0=3 1=3 2=2\n"
    "Convolution      conv   1 1 data out 0=1 1=1 5=1 6=2 9=1\n";

static void write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
}

/* .bin of good_param plus @p extra bytes, minus @p cut bytes. */
static void write_bin(const char *path, size_t cut, size_t extra)
{
    unsigned char buf[64] = {0};
    uint32_t tag = 0;
    float v[3] = {0.5f, -1.0f, 0.25f};
    memcpy(buf, &tag, 4);
    memcpy(buf + 4, v, sizeof v);
    write_file(path, buf, 16 - cut + extra);
}

/* Load @p param text with a good (or cut/extended) .bin; expect @p status
 * and every string of the NULL-terminated @p needles in the message. */
static void expect_load(const char *param, size_t cut, size_t extra,
                        int status, const char *const *needles)
{
    const char *ppath = MASO_TEST_TMPDIR "/err.param";
    const char *bpath = MASO_TEST_TMPDIR "/err.bin";
    write_file(ppath, param, strlen(param));
    write_bin(bpath, cut, extra);
    maso_model *m = NULL;
    assert_int_equal(maso_model_create(&m), 0);
    int rc = maso_model_load(m, ppath, bpath);
    const char *msg = maso_model_errmsg(m);
    if (rc != status)
        fail_msg("status %d (%s), expected %d; message: %s", rc,
                 maso_strerror(rc), status, msg);
    for (; needles && *needles; needles++)
        if (!strstr(msg, *needles))
            fail_msg("message '%s' lacks '%s'", msg, *needles);
    /* a failed load leaves a usable handle */
    assert_int_equal(maso_model_code_bytes(m), 0);
    if (status != 0) {
        write_file(ppath, good_param, strlen(good_param));
        write_bin(bpath, 0, 0);
        assert_int_equal(maso_model_load(m, ppath, bpath), 0);
        assert_int_equal(maso_model_output_size(m), 9);
    }
    maso_model_destroy(m);
}

static void test_good_model_loads(void **state)
{
    (void)state;
    const char *ppath = MASO_TEST_TMPDIR "/good.param";
    const char *bpath = MASO_TEST_TMPDIR "/good.bin";
    write_file(ppath, good_param, strlen(good_param));
    write_bin(bpath, 0, 0);
    maso_model *m = NULL;
    assert_int_equal(maso_model_create(&m), 0);
    assert_int_equal(maso_model_load(m, ppath, bpath), 0);
    assert_string_equal(maso_model_errmsg(m), "");
    /* a second load on the same handle is refused */
    assert_int_equal(maso_model_load(m, ppath, bpath), MASO_EINVAL_ARG);
    maso_forward *fw = NULL;
    assert_int_equal(maso_forward_create(m, &fw), 0);
    float in[18], out[9];
    for (int i = 0; i < 18; i++)
        in[i] = (float)i - 8.0f;
    uint8_t code[64];
    assert_int_equal(maso_model_code_bytes(m), 64);
    assert_int_equal(maso_forward_run(fw, in, code, out), 0);
    for (int i = 9; i < 64 * 8; i++)
        assert_int_equal(code[i / 8] >> (i % 8) & 1, 0);
    for (int i = 0; i < 9; i++) {
        float pre = 0.5f * in[i] - 1.0f * in[9 + i] + 0.25f;
        assert_float_equal(out[i], pre > 0 ? pre : 0, 1e-6);
        assert_int_equal(code[i / 8] >> (i % 8) & 1, pre > 0);
    }
    maso_forward_destroy(fw);
    maso_model_destroy(m);
}

static void test_missing_files(void **state)
{
    (void)state;
    maso_model *m = NULL;
    assert_int_equal(maso_model_create(&m), 0);
    assert_int_equal(maso_model_load(m, MASO_TEST_TMPDIR "/nonexistent.param",
                                     MASO_TEST_TMPDIR "/nonexistent.bin"),
                     ENOENT);
    assert_non_null(strstr(maso_model_errmsg(m), "nonexistent.param"));
    assert_int_equal(maso_model_load(m, NULL, NULL), MASO_EINVAL_ARG);
    /* a model that failed to load has no identity */
    assert_string_equal(maso_model_param_sha256(m), "");
    assert_string_equal(maso_model_bin_sha256(m), "");
    maso_model_destroy(m);
    assert_string_equal(maso_model_param_sha256(NULL), "");
    assert_string_equal(maso_model_bin_sha256(NULL), "");
    assert_null(maso_model_get_preprocess(NULL));
    maso_forward *fw = (maso_forward *)1;
    assert_int_equal(maso_forward_create(NULL, &fw), MASO_EINVAL_ARG);
    assert_null(fw);
}

static void test_bad_magic(void **state)
{
    (void)state;
    const char *n[] = {"err.param:1:", "magic", NULL};
    expect_load("7767518\n2 2\n"
                "Input data 0 1 data 0=3 1=3 2=2\n"
                "Convolution conv 1 1 data out 0=1 1=1 5=1 6=2 9=1\n",
                0, 0, MASO_EMODEL, n);
}

static void test_unknown_layer_type(void **state)
{
    (void)state;
    const char *n[] = {"err.param:4:", "frobber", "Frobnicate", NULL};
    expect_load("7767517\n3 3\n"
                "Input data 0 1 data 0=3 1=3 2=2\n"
                "Frobnicate frobber 1 1 data x\n"
                "Convolution conv 1 1 x out 0=1 1=1 5=1 6=2 9=1\n",
                0, 0, MASO_EUNSUPPORTED, n);
}

static void test_weight_count_mismatch(void **state)
{
    (void)state;
    const char *n[] = {"err.param:4:", "'conv'", "weight_data_size 3", NULL};
    expect_load("7767517\n2 2\n"
                "Input data 0 1 data 0=3 1=3 2=2\n"
                "Convolution conv 1 1 data out 0=1 1=1 5=1 6=3 9=1\n",
                0, 0, MASO_EMODEL, n);
}

static void test_truncated_bin(void **state)
{
    (void)state;
    const char *n[] = {"err.bin", "truncated", "'conv'", "err.param:4", NULL};
    expect_load(good_param, 1, 0, MASO_EMODEL, n);
    expect_load(good_param, 12, 0, MASO_EMODEL, n);
}

static void test_oversized_bin(void **state)
{
    (void)state;
    const char *n[] = {"err.bin", "4 bytes", "left over", NULL};
    expect_load(good_param, 0, 4, MASO_EMODEL, n);
}

static void test_unknown_input_blob(void **state)
{
    (void)state;
    const char *n[] = {"err.param:4:", "'conv'", "unknown input blob 'dta'", NULL};
    expect_load("7767517\n2 2\n"
                "Input data 0 1 data 0=3 1=3 2=2\n"
                "Convolution conv 1 1 dta out 0=1 1=1 5=1 6=2 9=1\n",
                0, 0, MASO_EMODEL, n);
}

static void test_garbage_numbers(void **state)
{
    (void)state;
    const char *n1[] = {"err.param:4:", "'conv'", "bad number '1x'", NULL};
    expect_load("7767517\n2 2\n"
                "Input data 0 1 data 0=3 1=3 2=2\n"
                "Convolution conv 1 1 data out 0=1x 1=1 5=1 6=2 9=1\n",
                0, 0, MASO_EMODEL, n1);
    const char *n2[] = {"err.param:2:", NULL};
    expect_load("7767517\ntwo 2\n", 0, 0, MASO_EMODEL, n2);
    const char *n3[] = {"err.param:4:", "'conv'", "integer", NULL};
    expect_load("7767517\n2 2\n"
                "Input data 0 1 data 0=3 1=3 2=2\n"
                "Convolution conv 1 1 data out 0=1.5 1=1 5=1 6=2 9=1\n",
                0, 0, MASO_EMODEL, n3);
    const char *n4[] = {"err.param:3:", "'data'", "id=value", NULL};
    expect_load("7767517\n2 2\n"
                "Input data 0 1 data 0=3 1=3 2\n"
                "Convolution conv 1 1 data out 0=1 1=1 5=1 6=2 9=1\n",
                0, 0, MASO_EMODEL, n4);
    const char *n5[] = {"err.param:4:", "'conv'", "blob", NULL};
    expect_load("7767517\n2 2\n"
                "Input data 0 1 data 0=3 1=3 2=2\n"
                "Convolution conv 5 1 data\n",
                0, 0, MASO_EMODEL, n5);
    /* An integer too large for an int is out of range, not "not an
     * integer". */
    const char *n6[] = {"err.param:4:", "'conv'", "0=3000000000 out of range",
                        NULL};
    expect_load("7767517\n2 2\n"
                "Input data 0 1 data 0=3 1=3 2=2\n"
                "Convolution conv 1 1 data out 0=3000000000 1=1 5=1 6=2 9=1\n",
                0, 0, MASO_EUNSUPPORTED, n6);
}

/* A NUL byte is reported on the line it is on. */
static void test_nul_byte(void **state)
{
    (void)state;
    static const char text[] = "7767517\n2 2\nInput data 0 1 data 0=3\0\n";
    const char *ppath = MASO_TEST_TMPDIR "/nul.param";
    const char *bpath = MASO_TEST_TMPDIR "/nul.bin";
    write_file(ppath, text, sizeof text - 1);
    write_bin(bpath, 0, 0);
    maso_model *m = NULL;
    assert_int_equal(maso_model_create(&m), 0);
    assert_int_equal(maso_model_load(m, ppath, bpath), MASO_EMODEL);
    if (!strstr(maso_model_errmsg(m), "nul.param:3: a NUL byte"))
        fail_msg("message: %s", maso_model_errmsg(m));
    maso_model_destroy(m);
}

static void test_counts_and_duplicates(void **state)
{
    (void)state;
    const char *n1[] = {"err.param", "declares 3", NULL};
    expect_load("7767517\n3 2\n"
                "Input data 0 1 data 0=3 1=3 2=2\n"
                "Convolution conv 1 1 data out 0=1 1=1 5=1 6=2 9=1\n",
                0, 0, MASO_EMODEL, n1);
    const char *n2[] = {"err.param:2:", "3 blobs", NULL};
    expect_load("7767517\n2 3\n"
                "Input data 0 1 data 0=3 1=3 2=2\n"
                "Convolution conv 1 1 data out 0=1 1=1 5=1 6=2 9=1\n",
                0, 0, MASO_EMODEL, n2);
    const char *n3[] = {"err.param:4:", "'conv'", "produced twice", NULL};
    expect_load("7767517\n2 2\n"
                "Input data 0 1 data 0=3 1=3 2=2\n"
                "Convolution conv 1 1 data data 0=1 1=1 5=1 6=2 9=1\n",
                0, 0, MASO_EMODEL, n3);
    const char *n4[] = {"err.param:4:", "'conv'", "given twice", NULL};
    expect_load("7767517\n2 2\n"
                "Input data 0 1 data 0=3 1=3 2=2\n"
                "Convolution conv 1 1 data out 0=1 1=1 5=1 6=2 9=1 9=1\n",
                0, 0, MASO_EMODEL, n4);
}

static void test_unsupported_params(void **state)
{
    (void)state;
    const char *n1[] = {"err.param:4:", "'conv'", "array parameter 3", NULL};
    expect_load("7767517\n2 2\n"
                "Input data 0 1 data 0=3 1=3 2=2\n"
                "Convolution conv 1 1 data out 0=1 1=1 5=1 6=2 9=1 -23303=2,1,1\n",
                0, 0, MASO_EUNSUPPORTED, n1);
    const char *n2[] = {"err.param:4:", "'conv'", "parameter 9=4", NULL};
    expect_load("7767517\n2 2\n"
                "Input data 0 1 data 0=3 1=3 2=2\n"
                "Convolution conv 1 1 data out 0=1 1=1 5=1 6=2 9=4\n",
                0, 0, MASO_EUNSUPPORTED, n2);
    const char *n3[] = {"err.param:4:", "'conv'", "parameter 17", NULL};
    expect_load("7767517\n2 2\n"
                "Input data 0 1 data 0=3 1=3 2=2\n"
                "Convolution conv 1 1 data out 0=1 1=1 5=1 6=2 9=1 17=1\n",
                0, 0, MASO_EUNSUPPORTED, n3);
    /* BatchNorm after a convolution with a fused ReLU cannot be folded */
    const char *n4[] = {"err.param:5:", "'bn'", NULL};
    expect_load("7767517\n3 3\n"
                "Input data 0 1 data 0=3 1=3 2=2\n"
                "Convolution conv 1 1 data out 0=1 1=1 5=1 6=2 9=1\n"
                "BatchNorm bn 1 1 out bn 0=1\n",
                0, 16, MASO_EUNSUPPORTED, n4);
}

static void test_bad_weight_tag(void **state)
{
    (void)state;
    const char *ppath = MASO_TEST_TMPDIR "/tag.param";
    const char *bpath = MASO_TEST_TMPDIR "/tag.bin";
    write_file(ppath, good_param, strlen(good_param));
    unsigned char buf[16] = {0};
    uint32_t tag = 0x000D4B38; /* int8 */
    memcpy(buf, &tag, 4);
    write_file(bpath, buf, sizeof buf);
    maso_model *m = NULL;
    assert_int_equal(maso_model_create(&m), 0);
    assert_int_equal(maso_model_load(m, ppath, bpath), MASO_EUNSUPPORTED);
    assert_non_null(strstr(maso_model_errmsg(m), "'conv'"));
    assert_non_null(strstr(maso_model_errmsg(m), "int8"));
    maso_model_destroy(m);
}

/* Load good_param (or @p param) with the .bin bytes given; expect
 * MASO_EMODEL and @p needle in the message. */
static void expect_bin_refused(const char *param, const void *bin, size_t n,
                               const char *needle)
{
    const char *ppath = MASO_TEST_TMPDIR "/nf.param";
    const char *bpath = MASO_TEST_TMPDIR "/nf.bin";
    write_file(ppath, param, strlen(param));
    write_file(bpath, bin, n);
    maso_model *m = NULL;
    assert_int_equal(maso_model_create(&m), 0);
    int rc = maso_model_load(m, ppath, bpath);
    const char *msg = maso_model_errmsg(m);
    if (rc != MASO_EMODEL || !strstr(msg, needle) ||
        (!strstr(msg, "'conv'") && !strstr(msg, "'bn'")))
        fail_msg("status %d, message '%s', expected '%s'", rc, msg, needle);
    maso_model_destroy(m);
}

/* An Inf or NaN weight (fp32 or fp16) or bias is refused at load with the
 * layer's name; so is a BatchNorm that folds into non-finite weights. */
static void test_non_finite_weights(void **state)
{
    (void)state;
    unsigned char buf[64];
    uint32_t tag = 0;
    float w[3] = {0.5f, NAN, 0.25f}; /* 2 weights, 1 bias */

    memset(buf, 0, sizeof buf);
    memcpy(buf, &tag, 4);
    memcpy(buf + 4, w, sizeof w);
    expect_bin_refused(good_param, buf, 16, "weight 1 of 2 is NaN");
    w[1] = 1.0f;
    w[2] = INFINITY;
    memcpy(buf + 4, w, sizeof w);
    expect_bin_refused(good_param, buf, 16, "bias 0 of 1 is infinite");

    uint32_t fp16 = 0x01306B47;
    uint16_t h[2] = {0x3C00, 0xFC00}; /* 1.0, -inf */
    float bias = 0;
    memcpy(buf, &fp16, 4);
    memcpy(buf + 4, h, 4);
    memcpy(buf + 8, &bias, 4);
    expect_bin_refused(good_param, buf, 12, "weight 1 of 2 is infinite");

    /* BatchNorm after the convolution: slope, mean, variance, bias. */
    const char *bn_param = "7767517\n3 3\n"
                           "Input data 0 1 data 0=3 1=3 2=2\n"
                           "Convolution conv 1 1 data out 0=1 1=1 5=1 6=2\n"
                           "BatchNorm bn 1 1 out bn 0=1\n";
    float conv_bn[2 + 1 + 4] = {0.5f, 1.0f, 0.0f, 1.0f, 0.0f, -4.0f, 0.0f};
    memset(buf, 0, sizeof buf);
    memcpy(buf, &tag, 4);
    memcpy(buf + 4, conv_bn, sizeof conv_bn);
    expect_bin_refused(bn_param, buf, 4 + sizeof conv_bn,
                       "does not fold into finite weights");
    conv_bn[5] = NAN;
    memcpy(buf + 4, conv_bn, sizeof conv_bn);
    expect_bin_refused(bn_param, buf, 4 + sizeof conv_bn, "is NaN");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_model_loads),
        cmocka_unit_test(test_missing_files),
        cmocka_unit_test(test_bad_magic),
        cmocka_unit_test(test_unknown_layer_type),
        cmocka_unit_test(test_weight_count_mismatch),
        cmocka_unit_test(test_truncated_bin),
        cmocka_unit_test(test_oversized_bin),
        cmocka_unit_test(test_unknown_input_blob),
        cmocka_unit_test(test_garbage_numbers),
        cmocka_unit_test(test_counts_and_duplicates),
        cmocka_unit_test(test_unsupported_params),
        cmocka_unit_test(test_bad_weight_tag),
        cmocka_unit_test(test_non_finite_weights),
        cmocka_unit_test(test_nul_byte),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
