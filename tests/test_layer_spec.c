/* test_layer_spec.c -- the --layers SPEC parser over a layout table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>

#include "maso_cli.h"

/* A table shaped like SqueezeNet's start (only names and kinds matter). */
static const maso_code_layer table[] = {
    { "conv1", MASO_LAYER_RELU, 64, 113, 113, 0, 1, 0, 0, 0, NULL },
    { "pool1", MASO_LAYER_MAXPOOL, 64, 56, 56, 9, 4, 0, 0, 0, NULL },
    { "fire2/squeeze1x1", MASO_LAYER_RELU, 16, 56, 56, 0, 1, 0, 0, 0, NULL },
    { "fire2/expand1x1", MASO_LAYER_RELU, 64, 56, 56, 0, 1, 0, 0, 0, NULL },
    { "fire2/expand3x3", MASO_LAYER_RELU, 64, 56, 56, 0, 1, 0, 0, 0, NULL },
    { "conv10", MASO_LAYER_RELU, 1000, 13, 13, 0, 1, 0, 0, 0, NULL },
};
#define N (sizeof table / sizeof table[0])

static void expect(const char *spec, const double want[N])
{
    double w[N];
    char err[MASO_CLI_ERRLEN];
    int rc = maso_cli_layer_spec_parse(spec, table, N, w, err);
    if (rc != 0)
        fail_msg("\"%s\": %d %s", spec, rc, err);
    for (size_t i = 0; i < N; i++)
        if (w[i] != want[i])
            fail_msg("\"%s\": layer %zu weight %g, want %g", spec, i, w[i],
                     want[i]);
}

static void test_names_ranges_weights(void **state)
{
    (void)state;
    expect("conv1", (double[N]){ 1, 0, 0, 0, 0, 0 });
    expect("all", (double[N]){ 1, 1, 1, 1, 1, 1 });
    expect("fire2/squeeze1x1..conv10", (double[N]){ 0, 0, 1, 1, 1, 1 });
    expect("conv1:0.5,fire2/expand3x3:2", (double[N]){ 0.5, 0, 0, 0, 2, 0 });
    expect("pool1..fire2/expand1x1:3,conv10:0.25",
           (double[N]){ 0, 3, 3, 3, 0, 0.25 });
    /* a one-layer range, and a zero weight next to a positive one */
    expect("conv10..conv10,conv1:0", (double[N]){ 0, 0, 0, 0, 0, 1 });
}

static void expect_error(const char *spec, int status, const char *words)
{
    double w[N];
    char err[MASO_CLI_ERRLEN];
    int rc = maso_cli_layer_spec_parse(spec, table, N, w, err);
    if (rc != status)
        fail_msg("\"%s\": status %d, want %d (%s)", spec, rc, status, err);
    if (!strstr(err, words))
        fail_msg("\"%s\": message \"%s\" lacks \"%s\"", spec, err, words);
}

static void test_errors_name_the_item(void **state)
{
    (void)state;
    expect_error("conv2", MASO_ENOTFOUND, "\"conv2\"");
    expect_error("conv1..fire9/concat", MASO_ENOTFOUND, "\"fire9/concat\"");
    expect_error("conv10..conv1", MASO_EDATA, "ends before it starts");
    expect_error("conv1,,pool1", MASO_EDATA, "empty item");
    expect_error("", MASO_EDATA, "empty item");
    expect_error("conv1,", MASO_EDATA, "empty item");
    expect_error("conv1:-1", MASO_EDATA, "number >= 0");
    expect_error("conv1:x", MASO_EDATA, "number >= 0");
    expect_error("conv1:", MASO_EDATA, "number >= 0");
    expect_error("conv1:nan", MASO_EDATA, "number >= 0");
    expect_error(":2", MASO_EDATA, "no layer name");
    expect_error("conv1,pool1..fire2/expand1x1,pool1", MASO_EDATA,
                 "\"pool1\" is selected twice");
    expect_error("conv1:0,pool1:0", MASO_EDATA, "every selected weight is 0");
    double w[N];
    char err[MASO_CLI_ERRLEN];
    assert_int_equal(maso_cli_layer_spec_parse(NULL, table, N, w, err),
                     MASO_EINVAL_ARG);
    assert_int_equal(maso_cli_layer_spec_parse("conv1", table, 0, w, err),
                     MASO_EINVAL_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_ranges_weights),
        cmocka_unit_test(test_errors_name_the_item),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
