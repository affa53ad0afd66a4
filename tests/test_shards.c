/*
 * test_shards.c -- the manifest of a sharded index (maso_shards.h): a
 * written manifest reads back the same, placeholders expand, bad templates
 * and malformed lines are refused with the line named, the identity is
 * compared, the path hash is FNV-1a 64 (checked against the published
 * test vectors), and shard owners (maso_job.h) follow the hosts.
 */
#define _DEFAULT_SOURCE /* mkdtemp */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "maso.h"
#include "maso_job.h"
#include "maso_shards.h"

static const char *const SHA_A =
    "6a38784ab51f056e5ecdf208120f8a9174b74831255e66b74c4dd6bf755a4324";
static const char *const SHA_B =
    "928c82c485a16064df88794d83c333025055e60c08f73217222244ab0ed2dbc6";

static void identity(maso_store_identity *id)
{
    memset(id, 0, sizeof *id);
    memcpy(id->param_sha256, SHA_A, 65);
    memcpy(id->bin_sha256, SHA_B, 65);
    id->input_channels = 3;
    id->input_height = id->input_width = 227;
    id->preprocess = "mean=104,117,123 scale=1,1,1 bgr=1";
    maso_sketch_params_init(&id->sketch);
    id->sketch.seed = 99;
    id->full_codes = 1;
}

static char *tmpdir(void)
{
    char *d = malloc(512);
    snprintf(d, 512, "%s/shards_XXXXXX", MASO_TEST_TMPDIR);
    assert_non_null(mkdtemp(d));
    return d;
}

static void write_file(const char *dir, const char *text)
{
    char f[600];
    snprintf(f, sizeof f, "%s/manifest", dir);
    FILE *out = fopen(f, "w");
    assert_non_null(out);
    fputs(text, out);
    fclose(out);
}

static void cleanup(char *dir)
{
    char f[600];
    snprintf(f, sizeof f, "%s/manifest", dir);
    unlink(f);
    rmdir(dir);
    free(dir);
}

static void test_round_trip(void **state)
{
    (void)state;
    char *dir = tmpdir();
    maso_store_identity id, back;
    identity(&id);
    maso_shards *m, *r;
    assert_int_equal(maso_shards_create(&m), 0);
    assert_int_equal(maso_shards_create(&r), 0);
    assert_int_equal(maso_shards_is_sharded(dir), 0);
    assert_int_equal(maso_shards_init(m, dir, 3, NULL, NULL, 0, &id), 0);
    assert_int_equal(maso_shards_write(m), 0);
    assert_int_equal(maso_shards_is_sharded(dir), 1);
    assert_int_equal(maso_shards_open(r, dir), 0);
    assert_int_equal(maso_shards_count(r), 3);
    char want[700];
    for (size_t i = 0; i < 3; i++) {
        snprintf(want, sizeof want, "shard-%03zu", i);
        assert_string_equal(maso_shards_path(r, i), want);
        snprintf(want, sizeof want, "%s/shard-%03zu", dir, i);
        assert_string_equal(maso_shards_location(r, i), want);
        assert_string_equal(maso_shards_host(r, i), "*");
    }
    assert_null(maso_shards_path(r, 3));
    assert_int_equal(maso_shards_identity(r, &id, &back), 0);
    assert_string_equal(back.param_sha256, SHA_A);
    assert_string_equal(back.preprocess, id.preprocess);
    assert_int_equal(back.sketch.seed, 99);
    assert_int_equal(back.sketch.relu_samples, id.sketch.relu_samples);
    assert_int_equal(back.full_codes, 1);
    /* Another model is refused, naming the field. */
    maso_store_identity other = id;
    other.bin_sha256[0] = other.bin_sha256[0] == 'a' ? 'b' : 'a';
    assert_int_equal(maso_shards_identity(r, &other, &back),
                     MASO_EMISMATCH);
    assert_non_null(strstr(maso_shards_errmsg(r), "bin sha256"));
    maso_shards_destroy(m);
    maso_shards_destroy(r);
    cleanup(dir);
}

static void test_templates(void **state)
{
    (void)state;
    maso_store_identity id;
    identity(&id);
    maso_shards *m;
    assert_int_equal(maso_shards_create(&m), 0);
    const char *hosts[] = { "n1", "n2" };
    assert_int_equal(maso_shards_init(m, "/db", 3, "/local/%h/s%n-100%%",
                                      hosts, 2, &id), 0);
    assert_string_equal(maso_shards_path(m, 0), "/local/n1/s000-100%");
    assert_string_equal(maso_shards_path(m, 1), "/local/n2/s001-100%");
    assert_string_equal(maso_shards_host(m, 2), "n1");
    assert_string_equal(maso_shards_location(m, 2), "/local/n1/s002-100%");
    /* Wider numbers for more than 1000 shards. */
    assert_int_equal(maso_shards_init(m, "/db", 1001, NULL, NULL, 0, &id), 0);
    assert_string_equal(maso_shards_path(m, 7), "shard-0007");
    /* Refused: no %n, an unknown placeholder, %h without hosts, S = 0. */
    assert_int_equal(maso_shards_init(m, "/db", 2, "/x/%h", hosts, 2, &id),
                     MASO_EINVAL_ARG);
    assert_non_null(strstr(maso_shards_errmsg(m), "%n"));
    assert_int_equal(maso_shards_init(m, "/db", 2, "/x/%d", NULL, 0, &id),
                     MASO_EINVAL_ARG);
    assert_int_equal(maso_shards_init(m, "/db", 2, "%h%n", NULL, 0, &id),
                     MASO_EINVAL_ARG);
    assert_int_equal(maso_shards_init(m, "/db", 0, NULL, NULL, 0, &id),
                     MASO_EINVAL_ARG);
    assert_int_equal(maso_shards_count(m), 0);
    maso_shards_destroy(m);
}

/* FNV-1a 64 test vectors (Fowler, Noll, Vo: the FNV reference page):
 * "" -> cbf29ce484222325, "a" -> af63dc4c8601ec8c,
 * "foobar" -> 85944171f73967e8.  With 65536 shards a path's shard is the
 * hash's low 16 bits; with 3, the hash mod 3. */
static void test_hash(void **state)
{
    (void)state;
    maso_store_identity id;
    identity(&id);
    maso_shards *m;
    assert_int_equal(maso_shards_create(&m), 0);
    assert_int_equal(maso_shards_init(m, "/db", 65536, NULL, NULL, 0, &id),
                     0);
    assert_int_equal(maso_shards_of_path(m, ""), 0x2325);
    assert_int_equal(maso_shards_of_path(m, "a"), 0xec8c);
    assert_int_equal(maso_shards_of_path(m, "foobar"), 0x67e8);
    assert_int_equal(maso_shards_init(m, "/db", 3, NULL, NULL, 0, &id), 0);
    assert_int_equal(maso_shards_of_path(m, "foobar"),
                     UINT64_C(0x85944171f73967e8) % 3);
    maso_shards_destroy(m);
}

static void expect_bad(const char *dir, const char *text, const char *why)
{
    write_file(dir, text);
    maso_shards *m;
    assert_int_equal(maso_shards_create(&m), 0);
    assert_int_equal(maso_shards_open(m, dir), MASO_EDATA);
    if (!strstr(maso_shards_errmsg(m), why))
        fail_msg("'%s' does not say '%s'", maso_shards_errmsg(m), why);
    assert_int_equal(maso_shards_count(m), 0);
    maso_shards_destroy(m);
}

#define HEAD "maso-shards 1\nshards 2\nhash fnv1a64\nparam_sha256 " \
    "6a38784ab51f056e5ecdf208120f8a9174b74831255e66b74c4dd6bf755a4324\n" \
    "bin_sha256 " \
    "928c82c485a16064df88794d83c333025055e60c08f73217222244ab0ed2dbc6\n" \
    "input 3 227 227\npreprocess mean=1 scale=1 bgr=1\nsketch 0 2048 640\n" \
    "full_codes 0\n"

static void test_malformed(void **state)
{
    (void)state;
    char *dir = tmpdir();
    maso_shards *m;
    assert_int_equal(maso_shards_create(&m), 0);
    assert_int_equal(maso_shards_open(m, dir), ENOENT);
    maso_shards_destroy(m);
    /* A hand-edited manifest: comments, a moved shard with spaces. */
    write_file(dir, "# edited\n" HEAD "shard 1 node9 /big disk/s1\n\n"
                    "shard 0 * s0\n");
    assert_int_equal(maso_shards_create(&m), 0);
    assert_int_equal(maso_shards_open(m, dir), 0);
    assert_string_equal(maso_shards_location(m, 1), "/big disk/s1");
    assert_string_equal(maso_shards_host(m, 1), "node9");
    maso_shards_destroy(m);
    expect_bad(dir, HEAD "shard 0 * s0\n", "shard 1 is not listed");
    expect_bad(dir, HEAD "shard 0 * s0\nshard 0 * s1\n", ":11: shard 0 is "
               "listed twice");
    expect_bad(dir, HEAD "shard 2 * s0\n", ":10: shard number '2'");
    expect_bad(dir, HEAD "shard 0 *\n", "expected 'shard NUMBER HOST PATH'");
    expect_bad(dir, HEAD "colour blue\n", "unknown key 'colour'");
    expect_bad(dir, "maso-shards 2\n", ":1: manifest format '2'");
    expect_bad(dir, "shards 2\nshard 0 * a\nshard 1 * b\n",
               "incomplete manifest");
    expect_bad(dir, "hash md5\n", "unknown hash 'md5'");
    cleanup(dir);
}

/* The precision is recorded at creation and read back; a model identity of
 * another precision is refused naming both; a manifest written before the
 * record (no precision line) answers ENOENT and takes the model's; a bad
 * or repeated precision line is refused. */
static void test_precision(void **state)
{
    (void)state;
    char *dir = tmpdir();
    maso_store_identity id, back;
    identity(&id);
    id.precision = MASO_PRECISION_INT8;
    maso_shards *m, *r;
    assert_int_equal(maso_shards_create(&m), 0);
    assert_int_equal(maso_shards_create(&r), 0);
    assert_int_equal(maso_shards_init(m, dir, 2, NULL, NULL, 0, &id), 0);
    assert_int_equal(maso_shards_write(m), 0);
    assert_int_equal(maso_shards_open(r, dir), 0);
    maso_model_precision p = MASO_PRECISION_FP32;
    assert_int_equal(maso_shards_precision(r, &p), 0);
    assert_int_equal(p, MASO_PRECISION_INT8);
    assert_int_equal(maso_shards_identity(r, &id, &back), 0);
    assert_int_equal(back.precision, MASO_PRECISION_INT8);
    assert_int_equal(maso_shards_identity(r, NULL, &back), 0);
    assert_int_equal(back.precision, MASO_PRECISION_INT8);
    maso_store_identity fp32 = id;
    fp32.precision = MASO_PRECISION_FP32;
    assert_int_equal(maso_shards_identity(r, &fp32, &back), MASO_EMISMATCH);
    assert_non_null(strstr(maso_shards_errmsg(r), "precision differs: the "
                                                 "index holds int8 codes, "
                                                 "these are fp32 codes"));
    assert_non_null(strstr(maso_shards_errmsg(r), "manifest"));
    /* fp32 is recorded too */
    assert_int_equal(maso_shards_init(m, dir, 2, NULL, NULL, 0, &fp32), 0);
    assert_int_equal(maso_shards_write(m), 0);
    assert_int_equal(maso_shards_open(r, dir), 0);
    assert_int_equal(maso_shards_precision(r, &p), 0);
    assert_int_equal(p, MASO_PRECISION_FP32);
    assert_int_equal(maso_shards_identity(r, &id, &back), MASO_EMISMATCH);
    /* an older manifest: not recorded, the model's is taken */
    write_file(dir, HEAD "shard 0 * s0\nshard 1 * s1\n");
    assert_int_equal(maso_shards_open(r, dir), 0);
    assert_int_equal(maso_shards_precision(r, &p), ENOENT);
    maso_store_identity old = id;
    memcpy(old.param_sha256, "6a38784ab51f056e5ecdf208120f8a9174b74831255e66b7"
                             "4c4dd6bf755a4324", 65);
    memcpy(old.bin_sha256, "928c82c485a16064df88794d83c333025055e60c08f73217"
                           "222244ab0ed2dbc6", 65);
    old.preprocess = "mean=1 scale=1 bgr=1";
    assert_int_equal(maso_shards_identity(r, &old, &back), 0);
    assert_int_equal(back.precision, MASO_PRECISION_INT8);
    write_file(dir, HEAD "precision int8\nshard 0 * s0\nshard 1 * s1\n");
    assert_int_equal(maso_shards_open(r, dir), 0);
    assert_int_equal(maso_shards_identity(r, &old, &back), 0);
    old.precision = MASO_PRECISION_FP32;
    assert_int_equal(maso_shards_identity(r, &old, &back), MASO_EMISMATCH);
    maso_shards_destroy(m);
    maso_shards_destroy(r);
    expect_bad(dir, HEAD "precision int4\nshard 0 * s0\nshard 1 * s1\n",
               ":10: unknown precision 'int4'");
    expect_bad(dir, HEAD "precision fp32\nprecision fp32\n",
               "'precision' given twice");
    cleanup(dir);
}

static void test_owners(void **state)
{
    (void)state;
    char err[MASO_CLI_ERRLEN];
    maso_job *job;
    int argc = 0;
    char **argv = NULL;
    /* Not launched by mpirun (ctest): a job of one rank on this host. */
    assert_int_equal(maso_job_launched(), 0);
    assert_int_equal(maso_job_start(&argc, &argv, &job, err), 0);
    assert_int_equal(maso_job_size(job), 1);
    assert_int_equal(maso_job_is_mpi(job), 0);
    char host[256];
    assert_int_equal(gethostname(host, sizeof host), 0);
    assert_string_equal(maso_job_host(job), host);
    maso_store_identity id;
    identity(&id);
    maso_shards *m;
    assert_int_equal(maso_shards_create(&m), 0);
    const char *hosts[] = { host, "elsewhere" };
    assert_int_equal(maso_shards_init(m, "/db", 4, "/l/%h/%n", hosts, 2, &id),
                     0);
    int owner[4];
    const char *h[4];
    for (size_t i = 0; i < 4; i++)
        h[i] = maso_shards_host(m, i);
    maso_job_owners(job, h, 4, owner);
    assert_int_equal(owner[0], 0);
    assert_int_equal(owner[1], -1);   /* no rank on "elsewhere" */
    assert_int_equal(owner[2], 0);
    assert_int_equal(owner[3], -1);
    assert_int_equal(maso_shards_init(m, "/db", 2, NULL, NULL, 0, &id), 0);
    h[0] = maso_shards_host(m, 0);
    h[1] = maso_shards_host(m, 1);
    maso_job_owners(job, h, 2, owner);
    assert_int_equal(owner[0], 0);
    assert_int_equal(owner[1], 0);
    maso_shards_destroy(m);
    maso_job_end(job);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_templates),
        cmocka_unit_test(test_hash),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_precision),
        cmocka_unit_test(test_owners),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
