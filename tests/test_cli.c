/* test_cli.c -- model location and provisioning, labels, JSON strings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "maso_cli.h"
#include "maso_store.h"

#define MODEL_DIR MASO_SHARED_DIR "/models/squeezenet_v1.1"

static void make_tmpdir(char *dir, size_t len, const char *tag)
{
    snprintf(dir, len, "%s/cli-%s-XXXXXX", MASO_TEST_TMPDIR, tag);
    assert_non_null(mkdtemp(dir));
}

static void read_sha_from_source(const char *file, char hex[65])
{
    /* The pinned sums are written in SOURCE.md as "<hex>  <file>". */
    FILE *f = fopen(MODEL_DIR "/SOURCE.md", "r");
    assert_non_null(f);
    char line[512];
    hex[0] = '\0';
    while (fgets(line, sizeof line, f)) {
        char h[80], name[256];
        if (sscanf(line, " %79s %255s", h, name) == 2 && strlen(h) == 64 &&
            strcmp(name, file) == 0)
            memcpy(hex, h, 65);
    }
    fclose(f);
    assert_int_equal(strlen(hex), 64);
}

static void test_option_and_env_take_precedence(void **state)
{
    (void)state;
    char dir[PATH_MAX], err[MASO_CLI_ERRLEN];
    assert_int_equal(maso_cli_model_locate(MODEL_DIR, dir, sizeof dir, err), 0);
    assert_string_equal(dir, MODEL_DIR);

    setenv("MASO_MODEL", MASO_TEST_TMPDIR, 1);
    assert_int_equal(maso_cli_model_locate(NULL, dir, sizeof dir, err), 0);
    assert_string_equal(dir, MASO_TEST_TMPDIR);
    /* The option wins over the environment. */
    assert_int_equal(maso_cli_model_locate(MODEL_DIR, dir, sizeof dir, err), 0);
    assert_string_equal(dir, MODEL_DIR);
    unsetenv("MASO_MODEL");
}

static void test_named_directory_must_exist(void **state)
{
    (void)state;
    char dir[PATH_MAX], err[MASO_CLI_ERRLEN];
    int rc = maso_cli_model_locate("/nonexistent/model", dir, sizeof dir, err);
    assert_int_not_equal(rc, 0);
    assert_non_null(strstr(err, "/nonexistent/model"));
    assert_non_null(strstr(err, "--model"));
    setenv("MASO_MODEL", "/nonexistent/env-model", 1);
    rc = maso_cli_model_locate(NULL, dir, sizeof dir, err);
    assert_int_not_equal(rc, 0);
    assert_non_null(strstr(err, "MASO_MODEL"));
    unsetenv("MASO_MODEL");
}

static void test_provision_downloads_and_verifies(void **state)
{
    (void)state;
    char cache[PATH_MAX], sub[PATH_MAX + 16], err[MASO_CLI_ERRLEN];
    char path[PATH_MAX + 64], hex[65], want[65];
    make_tmpdir(cache, sizeof cache, "cache");
    snprintf(sub, sizeof sub, "%s/a/b", cache);
    assert_int_equal(maso_cli_model_provision(sub, "file://" MODEL_DIR, err), 0);
    read_sha_from_source("squeezenet_v1.1.bin", want);
    snprintf(path, sizeof path, "%s/squeezenet_v1.1.bin", sub);
    assert_int_equal(maso_sha256_file(path, hex), 0);
    assert_string_equal(hex, want);

    /* A damaged copy in the cache is detected and replaced. */
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    fputc('x', f);
    fclose(f);
    assert_int_equal(maso_cli_model_provision(sub, "file://" MODEL_DIR, err), 0);
    assert_int_equal(maso_sha256_file(path, hex), 0);
    assert_string_equal(hex, want);
}

static void test_download_rejects_wrong_checksum(void **state)
{
    (void)state;
    char dir[PATH_MAX], path[PATH_MAX + 16], err[MASO_CLI_ERRLEN];
    make_tmpdir(dir, sizeof dir, "sum");
    snprintf(path, sizeof path, "%s/model.param", dir);
    int rc = maso_cli_download("file://" MODEL_DIR "/squeezenet_v1.1.param", path,
                               "0000000000000000000000000000000000000000000000000000000000000000",
                               err);
    assert_int_equal(rc, MASO_ECHECKSUM);
    assert_non_null(strstr(err, "sha256"));
    struct stat st;
    assert_int_not_equal(stat(path, &st), 0); /* nothing left behind */
    char part[PATH_MAX + 32];
    snprintf(part, sizeof part, "%s.part", path);
    assert_int_not_equal(stat(part, &st), 0);
}

static void test_download_reports_missing_source(void **state)
{
    (void)state;
    char dir[PATH_MAX], path[PATH_MAX + 16], err[MASO_CLI_ERRLEN];
    make_tmpdir(dir, sizeof dir, "missing");
    snprintf(path, sizeof path, "%s/x", dir);
    int rc = maso_cli_download("file:///nonexistent/file", path, "00", err);
    assert_int_not_equal(rc, 0);
    assert_non_null(strstr(err, "file:///nonexistent/file"));
}

static void test_labels(void **state)
{
    (void)state;
    maso_cli_labels labels;
    char err[MASO_CLI_ERRLEN];
    assert_int_equal(maso_cli_labels_load(MODEL_DIR "/synset_words.txt", &labels, err), 0);
    assert_int_equal(labels.count, 1000);
    assert_string_equal(labels.label[0], "n01440764 tench, Tinca tinca");
    maso_cli_labels_free(&labels);
    assert_int_not_equal(maso_cli_labels_load("/nonexistent/labels", &labels, err), 0);
    assert_non_null(strstr(err, "/nonexistent/labels"));
}

/* The identity maso-index creates stores with and maso-query expects:
 * the model's published sums, its input, its preprocessing text and its
 * own layout table, default sketch, no full codes. */
static void test_store_identity(void **state)
{
    (void)state;
    maso_model *m = NULL;
    char err[MASO_CLI_ERRLEN];
    assert_int_equal(maso_cli_model_open(MODEL_DIR, &m, NULL, err), 0);
    maso_store_identity id;
    char pre[MASO_CLI_PREPROCESS_LEN];
    memset(&id, 0x55, sizeof id);
    maso_cli_store_identity(m, &id, pre);
    assert_string_equal(id.param_sha256,
        "6a38784ab51f056e5ecdf208120f8a9174b74831255e66b74c4dd6bf755a4324");
    assert_string_equal(id.bin_sha256,
        "928c82c485a16064df88794d83c333025055e60c08f73217222244ab0ed2dbc6");
    assert_int_equal(id.input_channels, 3);
    assert_int_equal(id.input_height, 227);
    assert_int_equal(id.input_width, 227);
    assert_ptr_equal(id.preprocess, pre);
    assert_string_equal(pre, "mean=104,117,123 scale=1,1,1 bgr=1");
    const maso_code_layer *layers;
    assert_int_equal(id.n_layers, maso_model_code_layers(m, &layers));
    assert_ptr_equal(id.layers, layers);
    assert_int_equal(id.sketch.seed, 0);
    assert_int_equal(id.sketch.relu_samples, MASO_SKETCH_RELU_SAMPLES);
    assert_int_equal(id.sketch.maxpool_samples, MASO_SKETCH_MAXPOOL_SAMPLES);
    assert_int_equal(id.full_codes, 0);
    maso_model_destroy(m);
}

static void test_json_string(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    maso_cli_json_string(f, "a\"b\\c\nd\x01" "\xc3\xa9");
    fclose(f);
    assert_string_equal(buf, "\"a\\\"b\\\\c\\nd\\u0001\xc3\xa9\"");
    free(buf);
}

/* Both quotes become entities, so the text is safe in an attribute of
 * either kind (the query page and the maso-eval report share this). */
static void test_html_escaped(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    maso_cli_html_escaped(f, "<a href='x'>\"R&D\"</a>\t\x7f\xc3\xa9");
    fclose(f);
    assert_string_equal(buf, "&lt;a href=&#39;x&#39;&gt;&quot;R&amp;D&quot;"
                             "&lt;/a&gt;\\x09\\x7f\xc3\xa9");
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_option_and_env_take_precedence),
        cmocka_unit_test(test_named_directory_must_exist),
        cmocka_unit_test(test_provision_downloads_and_verifies),
        cmocka_unit_test(test_download_rejects_wrong_checksum),
        cmocka_unit_test(test_download_reports_missing_source),
        cmocka_unit_test(test_labels),
        cmocka_unit_test(test_store_identity),
        cmocka_unit_test(test_json_string),
        cmocka_unit_test(test_html_escaped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
