/* test_weights_file.c -- per-layer weights files: round trip, the
 * documented format read by hand-written files, and every error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "maso_cli.h"

static const maso_code_layer table[] = {
    { "conv1", MASO_LAYER_RELU, 64, 113, 113, 0, 1, 0, 0, 0, NULL },
    { "pool1", MASO_LAYER_MAXPOOL, 64, 56, 56, 9, 4, 0, 0, 0, NULL },
    { "fire2/squeeze1x1", MASO_LAYER_RELU, 16, 56, 56, 0, 1, 0, 0, 0, NULL },
};
#define N 3
#define P "1111111111111111111111111111111111111111111111111111111111111111"
#define B "2222222222222222222222222222222222222222222222222222222222222222"

static void path_of(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/weights-%s.txt", MASO_TEST_TMPDIR, name);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static void test_round_trip(void **state)
{
    (void)state;
    char path[512], err[MASO_CLI_ERRLEN], fitted[256];
    path_of(path, sizeof path, "rt");
    /* values that need all 17 digits to survive */
    const double w[N] = { 0.1, 0.0, 2.0 / 3.0 };
    assert_int_equal(maso_cli_weights_save(path, table, N, w, P, B,
                                           "/data/2afc/train",
                                           "two\ncomment lines", err), 0);
    double r[N];
    assert_int_equal(maso_cli_weights_load(path, table, N, P, B, r, fitted,
                                           sizeof fitted, err), 0);
    for (int i = 0; i < N; i++)
        assert_true(r[i] == w[i]);
    assert_string_equal(fitted, "/data/2afc/train");
    /* the text is the documented format */
    FILE *f = fopen(path, "r");
    char text[1024];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    assert_non_null(strstr(text, "# two\n# comment lines\nmaso-weights 1\n"
                                 "model " P " " B "\nfitted-on /data/2afc/train\n"
                                 "conv1 0.1"));
    assert_non_null(strstr(text, "\npool1 0\n"));
    /* no temporary file is left behind */
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    assert_int_equal(access(tmp, F_OK), -1);
}

static void test_hand_written_file(void **state)
{
    (void)state;
    char path[512], err[MASO_CLI_ERRLEN];
    path_of(path, sizeof path, "hand");
    write_text(path, "# made by hand\n\n   maso-weights 1\r\nmodel " P " " B
                     "\n\tfire2/squeeze1x1   2.5  \n# conv1 9\nconv1 1e-1\n");
    double r[N];
    assert_int_equal(maso_cli_weights_load(path, table, N, P, B, r, NULL, 0,
                                           err), 0);
    assert_true(r[0] == 0.1 && r[1] == 0.0 && r[2] == 2.5);
}

static void expect_error(const char *name, const char *text, int status,
                         const char *words)
{
    char path[512], err[MASO_CLI_ERRLEN];
    path_of(path, sizeof path, name);
    write_text(path, text);
    double r[N];
    int rc = maso_cli_weights_load(path, table, N, P, B, r, NULL, 0, err);
    if (rc != status || !strstr(err, words) || !strstr(err, path))
        fail_msg("%s: status %d (want %d), message \"%s\" (want \"%s\")",
                 name, rc, status, err, words);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("magic", "maso-weights 2\nmodel " P " " B "\nconv1 1\n",
                 MASO_EDATA, ":1: not a maso weights file");
    expect_error("nomodel", "maso-weights 1\nconv1 1\n", MASO_EDATA,
                 ":2: expected \"model");
    expect_error("other", "maso-weights 1\nmodel " P " " P "\nconv1 1\n",
                 MASO_EMISMATCH, ":2: fitted for another model");
    expect_error("empty", "# nothing\n", MASO_EDATA, "no \"maso-weights 1\"");
    expect_error("noweight", "maso-weights 1\nmodel " P " " B "\nconv1\n",
                 MASO_EDATA, ":3: \"conv1\": expected a layer name");
    expect_error("neg", "maso-weights 1\nmodel " P " " B "\nconv1 -1\n",
                 MASO_EDATA, ":3: layer conv1: the weight must be");
    expect_error("junk", "maso-weights 1\nmodel " P " " B "\nconv1 1x\n",
                 MASO_EDATA, ":3: layer conv1: the weight must be");
    expect_error("inf", "maso-weights 1\nmodel " P " " B "\nconv1 inf\n",
                 MASO_EDATA, ":3: layer conv1: the weight must be");
    expect_error("twice", "maso-weights 1\nmodel " P " " B
                          "\nconv1 1\nconv1 2\n", MASO_EDATA,
                 ":4: layer conv1 is listed twice");
    expect_error("unknown", "maso-weights 1\nmodel " P " " B "\nconv9 1\n",
                 MASO_ENOTFOUND, ":3: the model has no coded layer named conv9");
    expect_error("zeros", "maso-weights 1\nmodel " P " " B "\nconv1 0\n",
                 MASO_EDATA, "every layer weight is 0");

    char err[MASO_CLI_ERRLEN];
    double r[N];
    assert_int_equal(maso_cli_weights_load(MASO_TEST_TMPDIR "/no/such/file",
                                           table, N, P, B, r, NULL, 0, err),
                     ENOENT);
    assert_non_null(strstr(err, "/no/such/file"));
    /* writing: a folder that does not exist, a bad weight, a line break */
    const double w[N] = { 1, 1, 1 }, bad[N] = { 1, -1, 1 };
    assert_int_equal(maso_cli_weights_save(MASO_TEST_TMPDIR "/no/such/w.txt",
                                           table, N, w, P, B, NULL, NULL,
                                           err), ENOENT);
    char path[512];
    path_of(path, sizeof path, "bad");
    assert_int_equal(maso_cli_weights_save(path, table, N, bad, P, B, NULL,
                                           NULL, err), MASO_EINVAL_ARG);
    assert_non_null(strstr(err, "pool1"));
    assert_int_equal(maso_cli_weights_save(path, table, N, w, P, B, "a\nb",
                                           NULL, err), MASO_EINVAL_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_hand_written_file),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
