/*
 * test_store.c -- the LMDB index store: round trips of every record kind,
 * identity refusal, map growth, concurrent readers and a writer killed with
 * SIGKILL (separate processes), deletes, corrupt files, the space budget.
 * Where the store's own API could hide a bug, the test looks at the LMDB
 * files directly.
 */
#define _DEFAULT_SOURCE /* mkdtemp */
#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "maso.h"
#include "maso_store.h"
#include "scan_internal.h"
#include "layout_testutil.h"
#include "store_sums_testutil.h"
#include "store_testutil.h"

/* ---- fixtures --------------------------------------------------------- */

static void small_identity(maso_store_identity *id, int full_codes)
{
    store_test_identity(id, store_test_layers, STORE_TEST_LAYERS);
    id->sketch.seed = 77;
    id->full_codes = full_codes;
}

typedef struct fixture {
    char dir[512];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "%s/store_XXXXXX", MASO_TEST_TMPDIR);
    if (!mkdtemp(f->dir))
        return -1;
    strcat(f->dir, "/index"); /* created by the store */
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char *slash = strrchr(f->dir, '/');
    *slash = '\0';
    store_test_rmtree(f->dir);
    free(f);
    return 0;
}

/* Deterministic random code for an image number; maxpool nibbles < 9. */
static void make_code(uint64_t n, uint8_t code[STORE_TEST_CODE])
{
    uint64_t s = n * 0x9E3779B97F4A7C15ull + 1;
    for (int i = 0; i < STORE_TEST_CODE; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        code[i] = (uint8_t)s;
    }
    for (int i = 256; i < 512; i++)
        code[i] = (uint8_t)((code[i] & 15) % 9 | ((code[i] >> 4) % 9) << 4);
}

static maso_store *open_store(const char *dir, unsigned flags,
                              const maso_store_identity *id)
{
    maso_store *s = NULL;
    assert_int_equal(maso_store_create(&s), 0);
    int rc = maso_store_open(s, dir, flags, id);
    if (rc)
        print_error("open %s: %s\n", dir, maso_store_errmsg(s));
    assert_int_equal(rc, 0);
    return s;
}

static void put_ok(maso_store_batch *b, const char *path, uint64_t n,
                   const uint8_t *code)
{
    maso_store_record r = {0, path, 1000 + n, (int64_t)n * 1000000007,
                           MASO_RECORD_OK, NULL, NULL, code};
    assert_int_equal(maso_store_batch_put(b, &r), 0);
}

static void put_failed(maso_store_batch *b, const char *path,
                       const char *why)
{
    maso_store_record r = {0, path, 5, -12345, MASO_RECORD_FAILED, why, NULL,
                           NULL};
    assert_int_equal(maso_store_batch_put(b, &r), 0);
}

static char *long_path(char c, size_t len)
{
    char *p = malloc(len + 1);
    p[0] = '/';
    for (size_t i = 1; i < len; i++)
        p[i] = i % 50 == 0 ? '/' : c;
    p[len] = '\0';
    return p;
}

/* Raw LMDB access to a store's files, bypassing the store. */
static void raw_put(const char *dir, const char *db, const void *key,
                    size_t klen, const void *val, size_t vlen, int dup)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    assert_int_equal(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 8);
    assert_int_equal(mdb_env_open(env, dir, 0, 0666), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, db, dup ? MDB_DUPSORT | MDB_DUPFIXED
                                                : 0, &dbi), 0);
    MDB_val k = {klen, (void *)key}, v = {vlen, (void *)val};
    assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

static void be64(uint64_t id, uint8_t k[8])
{
    for (int i = 0; i < 8; i++)
        k[i] = (uint8_t)(id >> (56 - 8 * i));
}

/* ---- round trips ------------------------------------------------------ */

static void check_ok_record(maso_store *s, const char *path, uint64_t id,
                            uint64_t n, int with_code)
{
    uint8_t code[STORE_TEST_CODE];
    make_code(n, code);
    const maso_sketch *sk = maso_store_sketch(s);
    uint8_t *expect = malloc(maso_sketch_bytes(sk));
    maso_sketch_apply(sk, code, expect);
    maso_store_record r;
    assert_int_equal(maso_store_get_by_path(s, path, MASO_STORE_WANT_SKETCH |
                                            MASO_STORE_WANT_CODE, &r), 0);
    assert_int_equal(r.id, id);
    assert_string_equal(r.path, path);
    assert_int_equal(r.size, 1000 + n);
    assert_int_equal(r.mtime_ns, (int64_t)n * 1000000007);
    assert_int_equal(r.status, MASO_RECORD_OK);
    assert_null(r.reason);
    assert_non_null(r.sketch);
    assert_memory_equal(r.sketch, expect, maso_sketch_bytes(sk));
    if (with_code) {
        assert_non_null(r.code);
        assert_memory_equal(r.code, code, STORE_TEST_CODE);
    } else {
        assert_null(r.code);
    }
    maso_store_record_free(&r);
    assert_int_equal(maso_store_get_by_id(s, id, 0, &r), 0);
    assert_string_equal(r.path, path);
    assert_null(r.sketch);
    maso_store_record_free(&r);
    free(expect);
}

static void fill_three(maso_store *s, const char *longp)
{
    uint8_t c1[STORE_TEST_CODE], c3[STORE_TEST_CODE];
    make_code(1, c1);
    make_code(3, c3);
    maso_store_batch *b;
    assert_int_equal(maso_store_batch_begin(s, &b), 0);
    put_ok(b, "/img/a.jpg", 1, c1);
    put_failed(b, "/img/broken.png", "PNG: CRC error in IDAT");
    put_ok(b, longp, 3, c3);
    assert_int_equal(maso_store_batch_count(b), 3);
    assert_int_equal(maso_store_batch_commit(b), 0);
}

static void check_three(maso_store *s, const char *longp, int with_code)
{
    check_ok_record(s, "/img/a.jpg", 1, 1, with_code);
    check_ok_record(s, longp, 3, 3, with_code);
    maso_store_record r;
    assert_int_equal(maso_store_get_by_id(s, 2, MASO_STORE_WANT_SKETCH |
                                          MASO_STORE_WANT_CODE, &r), 0);
    assert_string_equal(r.path, "/img/broken.png");
    assert_int_equal(r.status, MASO_RECORD_FAILED);
    assert_string_equal(r.reason, "PNG: CRC error in IDAT");
    assert_int_equal(r.size, 5);
    assert_int_equal(r.mtime_ns, -12345);
    assert_null(r.sketch);
    assert_null(r.code);
    maso_store_record_free(&r);
    assert_int_equal(maso_store_get_by_id(s, 99, 0, &r), MASO_ENOTFOUND);
    assert_int_equal(maso_store_get_by_path(s, "/img/b.jpg", 0, &r),
                     MASO_ENOTFOUND);
    assert_int_equal(maso_store_check(s), 0);
}

static void test_roundtrip_and_reopen(void **state)
{
    fixture *f = *state;
    maso_store_identity id;
    small_identity(&id, 1);
    char *longp = long_path('x', 1500); /* > 511: hashed path key */
    maso_store *s = open_store(f->dir, MASO_STORE_CREATE, &id);
    fill_three(s, longp);
    check_three(s, longp, 1);
    maso_store_destroy(s);

    /* Reopened read-only, without and with the identity. */
    s = open_store(f->dir, MASO_STORE_RDONLY, NULL);
    check_three(s, longp, 1);
    const maso_store_identity *got = maso_store_get_identity(s);
    assert_string_equal(got->param_sha256, id.param_sha256);
    assert_string_equal(got->bin_sha256, id.bin_sha256);
    assert_string_equal(got->preprocess, id.preprocess);
    assert_int_equal(got->input_height, 227);
    assert_int_equal(got->n_layers, 3);
    assert_string_equal(got->layers[1].name, "pool1");
    assert_int_equal(got->layers[1].bytes, 256);
    assert_int_equal(got->sketch.seed, 77);
    assert_int_equal(got->sketch.relu_samples, MASO_SKETCH_RELU_SAMPLES);
    assert_int_equal(got->full_codes, 1);
    maso_store_stats st;
    assert_int_equal(maso_store_get_stats(s, &st), 0);
    assert_int_equal(st.records, 3);
    assert_int_equal(st.ok, 2);
    assert_int_equal(st.failed, 1);
    assert_int_equal(st.codes, 2);
    assert_int_equal(st.next_id, 4);
    assert_true(st.pages_sketches >= 2 && st.pages_codes >= 2);
    assert_true(st.bytes_per_record > 0);
    maso_store_batch *b;
    assert_int_equal(maso_store_batch_begin(s, &b), MASO_EINVAL_ARG);
    assert_null(b);
    maso_store_destroy(s);

    /* Read-write again with the identity: a new record gets id 4. */
    id.sketch.seed = 999; /* ignored: the store keeps its own */
    id.full_codes = 0;
    s = open_store(f->dir, 0, &id);
    assert_int_equal(maso_store_get_identity(s)->sketch.seed, 77);
    uint8_t c[STORE_TEST_CODE];
    make_code(4, c);
    assert_int_equal(maso_store_batch_begin(s, &b), 0);
    put_ok(b, "/img/d.jpg", 4, c);
    assert_int_equal(maso_store_batch_commit(b), 0);
    check_ok_record(s, "/img/d.jpg", 4, 4, 1);
    check_three(s, longp, 1);
    maso_store_destroy(s);
    free(longp);
}

/* A store without full codes keeps only sketches; a sketch may be given. */
static void test_sketch_only(void **state)
{
    fixture *f = *state;
    maso_store_identity id;
    small_identity(&id, 0);
    maso_store *s = open_store(f->dir, MASO_STORE_CREATE, &id);
    uint8_t c[STORE_TEST_CODE];
    make_code(1, c);
    size_t n = maso_sketch_bytes(maso_store_sketch(s));
    uint8_t *given = malloc(n);
    for (size_t i = 0; i < n; i++)
        given[i] = (uint8_t)(i * 7 + 1);
    maso_store_batch *b;
    assert_int_equal(maso_store_batch_begin(s, &b), 0);
    put_ok(b, "/img/a.jpg", 1, c);
    maso_store_record r = {0, "/img/s.jpg", 1, 2, MASO_RECORD_OK, NULL, given,
                           NULL};
    assert_int_equal(maso_store_batch_put(b, &r), 0);
    /* An OK record with neither code nor sketch is refused. */
    r.sketch = NULL;
    assert_int_equal(maso_store_batch_put(b, &r), MASO_EINVAL_ARG);
    assert_non_null(strstr(maso_store_errmsg(s), "/img/s.jpg"));
    r.path = "";
    r.sketch = given;
    assert_int_equal(maso_store_batch_put(b, &r), MASO_EINVAL_ARG);
    assert_int_equal(maso_store_batch_count(b), 2);
    /* One batch per handle. */
    maso_store_batch *b2;
    assert_int_equal(maso_store_batch_begin(s, &b2), MASO_EINVAL_ARG);
    assert_int_equal(maso_store_batch_commit(b), 0);
    check_ok_record(s, "/img/a.jpg", 1, 1, 0);
    assert_int_equal(maso_store_get_by_path(s, "/img/s.jpg",
                                            MASO_STORE_WANT_SKETCH, &r), 0);
    assert_memory_equal(r.sketch, given, n);
    maso_store_record_free(&r);
    maso_store_stats st;
    assert_int_equal(maso_store_get_stats(s, &st), 0);
    assert_int_equal(st.codes, 0);
    assert_int_equal(st.pages_codes, 0);
    assert_int_equal(maso_store_check(s), 0);
    /* An aborted batch stores nothing. */
    assert_int_equal(maso_store_batch_begin(s, &b), 0);
    put_ok(b, "/img/never.jpg", 9, c);
    maso_store_batch_abort(b);
    assert_int_equal(maso_store_get_by_path(s, "/img/never.jpg", 0, &r),
                     MASO_ENOTFOUND);
    free(given);
    maso_store_destroy(s);
}

/* Re-putting a path keeps its id; deleting removes every trace. */
static void test_replace_and_delete(void **state)
{
    fixture *f = *state;
    maso_store_identity id;
    small_identity(&id, 1);
    char *longp = long_path('y', 800);
    maso_store *s = open_store(f->dir, MASO_STORE_CREATE, &id);
    fill_three(s, longp);
    maso_store_batch *b;
    assert_int_equal(maso_store_batch_begin(s, &b), 0);
    put_failed(b, "/img/a.jpg", "now unreadable");      /* ok -> failed */
    uint8_t c[STORE_TEST_CODE];
    make_code(7, c);
    put_ok(b, "/img/broken.png", 7, c);                 /* failed -> ok */
    assert_int_equal(maso_store_batch_delete(b, longp), 0);
    assert_int_equal(maso_store_batch_delete(b, "/not/there"), 0);
    assert_int_equal(maso_store_batch_commit(b), 0);
    maso_store_record r;
    assert_int_equal(maso_store_get_by_path(s, "/img/a.jpg",
                                            MASO_STORE_WANT_SKETCH, &r), 0);
    assert_int_equal(r.id, 1);
    assert_int_equal(r.status, MASO_RECORD_FAILED);
    assert_string_equal(r.reason, "now unreadable");
    assert_null(r.sketch);
    maso_store_record_free(&r);
    check_ok_record(s, "/img/broken.png", 2, 7, 1);
    assert_int_equal(maso_store_get_by_path(s, longp, 0, &r), MASO_ENOTFOUND);
    assert_int_equal(maso_store_get_by_id(s, 3, 0, &r), MASO_ENOTFOUND);
    maso_store_stats st;
    assert_int_equal(maso_store_get_stats(s, &st), 0);
    assert_int_equal(st.records, 2);
    assert_int_equal(st.ok, 1);
    assert_int_equal(st.failed, 1);
    assert_int_equal(st.codes, 1);
    assert_int_equal(maso_store_check(s), 0);
    /* A deleted path comes back with a fresh id; ids are never reused. */
    assert_int_equal(maso_store_batch_begin(s, &b), 0);
    make_code(3, c);
    put_ok(b, longp, 3, c);
    assert_int_equal(maso_store_batch_commit(b), 0);
    check_ok_record(s, longp, 4, 3, 1);
    assert_int_equal(maso_store_check(s), 0);
    maso_store_destroy(s);

    /* The files agree: no entry for id 3 in any table, and in sketch
     * block 0 (ids 0..B-1) exactly ids 2 and 4 are present. */
    MDB_env *env;
    MDB_txn *txn;
    assert_int_equal(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 8);
    assert_int_equal(mdb_env_open(env, f->dir, MDB_RDONLY, 0666), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
    const char *dbs[] = {"records", "codes"};
    MDB_dbi dbi;
    uint8_t k8[8];
    MDB_val k = {8, k8}, v;
    for (int i = 0; i < 2; i++) {
        be64(3, k8);
        assert_int_equal(mdb_dbi_open(txn, dbs[i], 0, &dbi), 0);
        assert_int_equal(mdb_get(txn, dbi, &k, &v), MDB_NOTFOUND);
    }
    be64(0, k8);
    assert_int_equal(mdb_dbi_open(txn, "blocks", 0, &dbi), 0);
    assert_int_equal(mdb_get(txn, dbi, &k, &v), 0);
    const uint8_t *blk = v.mv_data;
    assert_memory_equal(blk, "MBK1", 4);
    assert_int_equal(blk[48], 1u << 2 | 1u << 4); /* bitmap, slots 0..7 */
    for (int i = 49; i < 112; i++)
        assert_int_equal(blk[i], 0);
    mdb_txn_abort(txn);
    mdb_env_close(env);
    free(longp);
}

/* Two long paths sharing a hashed key (a simulated SHA-256 collision). */
static void test_long_path_collision(void **state)
{
    fixture *f = *state;
    maso_store_identity id;
    small_identity(&id, 0);
    char *pa = long_path('a', 700), *pb = long_path('b', 700);
    maso_store *s = open_store(f->dir, MASO_STORE_CREATE, &id);
    uint8_t c[STORE_TEST_CODE];
    make_code(1, c);
    maso_store_batch *b;
    assert_int_equal(maso_store_batch_begin(s, &b), 0);
    put_ok(b, pa, 1, c);
    put_ok(b, pb, 2, c);
    assert_int_equal(maso_store_batch_commit(b), 0);
    maso_store_destroy(s);
    /* Add b's id under a's key, as a collision would. */
    maso_sha256 h;
    uint8_t key[33] = {0}, idb[8];
    maso_sha256_init(&h);
    maso_sha256_update(&h, pa, strlen(pa));
    maso_sha256_final(&h, key + 1);
    be64(2, idb);
    raw_put(f->dir, "paths", key, 33, idb, 8, 1);
    s = open_store(f->dir, 0, &id);
    maso_store_record r;
    assert_int_equal(maso_store_get_by_path(s, pa, 0, &r), 0);
    assert_int_equal(r.id, 1);
    maso_store_record_free(&r);
    assert_int_equal(maso_store_get_by_path(s, pb, 0, &r), 0);
    assert_int_equal(r.id, 2);
    maso_store_record_free(&r);
    /* The stray entry is what check() reports. */
    assert_int_equal(maso_store_check(s), MASO_EDATA);
    assert_non_null(strstr(maso_store_errmsg(s), "stray"));
    /* Deleting a removes only a's entry. */
    assert_int_equal(maso_store_batch_begin(s, &b), 0);
    assert_int_equal(maso_store_batch_delete(b, pa), 0);
    assert_int_equal(maso_store_batch_commit(b), 0);
    assert_int_equal(maso_store_get_by_path(s, pa, 0, &r), MASO_ENOTFOUND);
    assert_int_equal(maso_store_get_by_path(s, pb, 0, &r), 0);
    assert_int_equal(r.id, 2);
    maso_store_record_free(&r);
    maso_store_destroy(s);
    free(pa);
    free(pb);
}

/* ---- identity ----------------------------------------------------------- */

static void expect_refusal(const char *dir, const maso_store_identity *id,
                           const char *field, const char *a, const char *b)
{
    maso_store *s;
    assert_int_equal(maso_store_create(&s), 0);
    assert_int_equal(maso_store_open(s, dir, MASO_STORE_RDONLY, id),
                     MASO_EMISMATCH);
    const char *msg = maso_store_errmsg(s);
    assert_non_null(strstr(msg, dir));
    assert_non_null(strstr(msg, field));
    assert_non_null(strstr(msg, a));
    assert_non_null(strstr(msg, b));
    assert_null(maso_store_get_identity(s));
    maso_store_destroy(s);
}

static void test_foreign_model(void **state)
{
    fixture *f = *state;
    maso_store_identity id, other;
    small_identity(&id, 0);
    maso_store_destroy(open_store(f->dir, MASO_STORE_CREATE, &id));

    other = id;
    memset(other.bin_sha256, 'c', 64);
    expect_refusal(f->dir, &other, "bin_sha256", id.bin_sha256,
                   other.bin_sha256);
    other = id;
    other.param_sha256[63] = '0';
    expect_refusal(f->dir, &other, "param_sha256", id.param_sha256,
                   other.param_sha256);
    other = id;
    other.input_width = 224;
    expect_refusal(f->dir, &other, "input size", "3x227x227", "3x227x224");
    other = id;
    other.preprocess = "mean=0,0,0 scale=1,1,1 bgr=0";
    expect_refusal(f->dir, &other, "preprocessing", id.preprocess,
                   other.preprocess);
    maso_code_layer layers[3];
    memcpy(layers, store_test_layers, sizeof layers);
    layers[2].name = "fire3";
    other = id;
    other.layers = layers;
    expect_refusal(f->dir, &other, "layer 2", "fire2", "fire3");
    other.n_layers = 2;
    expect_refusal(f->dir, &other, "code layout", "3 layers", "2 layers");
    /* The same identity (and no identity) are accepted. */
    maso_store_destroy(open_store(f->dir, MASO_STORE_RDONLY, &id));
    maso_store_destroy(open_store(f->dir, MASO_STORE_RDONLY, NULL));
}

/* The first u32 of the raw "identity" meta value: its version. */
static uint32_t raw_identity_version(const char *dir)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    assert_int_equal(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 8);
    assert_int_equal(mdb_env_open(env, dir, MDB_RDONLY, 0666), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
    MDB_val k = {8, (void *)"identity"}, v;
    assert_int_equal(mdb_get(txn, dbi, &k, &v), 0);
    assert_true(v.mv_size >= 4);
    uint32_t version;
    memcpy(&version, v.mv_data, 4); /* little-endian, as the store writes */
    mdb_txn_abort(txn);
    mdb_env_close(env);
    return version;
}

/* The precision is part of the identity: an int8 store refuses fp32
 * codes (and the reverse) with a message naming both; fp32 stores keep
 * the version-1 identity earlier releases wrote and read. */
static void test_precision(void **state)
{
    fixture *f = *state;
    maso_store_identity id, other;
    small_identity(&id, 0);
    id.precision = MASO_PRECISION_INT8;
    maso_store_destroy(open_store(f->dir, MASO_STORE_CREATE, &id));
    assert_int_equal(raw_identity_version(f->dir), 2);
    other = id;
    other.precision = MASO_PRECISION_FP32;
    expect_refusal(f->dir, &other, "precision", "int8", "fp32");
    maso_store *s = open_store(f->dir, MASO_STORE_RDONLY, NULL);
    assert_int_equal(maso_store_get_identity(s)->precision,
                     MASO_PRECISION_INT8);
    maso_store_destroy(s);
    maso_store_destroy(open_store(f->dir, MASO_STORE_RDONLY, &id));

    char fp32_dir[600];
    snprintf(fp32_dir, sizeof fp32_dir, "%s/fp32", f->dir);
    maso_store_destroy(open_store(fp32_dir, MASO_STORE_CREATE, &other));
    assert_int_equal(raw_identity_version(fp32_dir), 1);
    expect_refusal(fp32_dir, &id, "precision", "fp32", "int8");
    s = open_store(fp32_dir, MASO_STORE_RDONLY, NULL);
    assert_int_equal(maso_store_get_identity(s)->precision,
                     MASO_PRECISION_FP32);
    maso_store_destroy(s);
    /* a precision outside the enum is refused before anything is made */
    other.precision = (maso_model_precision)7;
    snprintf(fp32_dir, sizeof fp32_dir, "%s/bad", f->dir);
    assert_int_equal(maso_store_create(&s), 0);
    assert_int_equal(maso_store_open(s, fp32_dir, MASO_STORE_CREATE, &other),
                     MASO_EINVAL_ARG);
    maso_store_destroy(s);
}

static void test_schema_version(void **state)
{
    fixture *f = *state;
    maso_store_identity id;
    small_identity(&id, 0);
    maso_store_destroy(open_store(f->dir, MASO_STORE_CREATE, &id));
    uint8_t v[4] = {0xE7, 0x03, 0, 0}; /* 999 */
    raw_put(f->dir, "meta", "schema", 6, v, 4, 0);
    maso_store *s;
    assert_int_equal(maso_store_create(&s), 0);
    assert_int_equal(maso_store_open(s, f->dir, 0, &id), MASO_EMISMATCH);
    assert_non_null(strstr(maso_store_errmsg(s), "schema version 999"));
    maso_store_destroy(s);
}

/* ---- files that are not a store ------------------------------------------ */

static void expect_open_error(const char *dir, unsigned flags, int rc,
                              const char *in_msg)
{
    maso_store *s;
    maso_store_identity id;
    small_identity(&id, 0);
    assert_int_equal(maso_store_create(&s), 0);
    assert_int_equal(maso_store_open(s, dir, flags, &id), rc);
    assert_non_null(strstr(maso_store_errmsg(s), in_msg));
    maso_store_destroy(s);
}

static void test_missing_and_corrupt(void **state)
{
    fixture *f = *state;
    /* Nothing there. */
    expect_open_error(f->dir, MASO_STORE_RDONLY, ENOENT, f->dir);
    expect_open_error(f->dir, 0, ENOENT, f->dir);
    assert_int_equal(mkdir(f->dir, 0777), 0);
    expect_open_error(f->dir, MASO_STORE_RDONLY, ENOENT, f->dir);
    expect_open_error(f->dir, MASO_STORE_RDONLY | MASO_STORE_CREATE, ENOENT,
                      f->dir);

    /* Garbage in data.mdb. */
    char file[600];
    snprintf(file, sizeof file, "%s/data.mdb", f->dir);
    FILE *fp = fopen(file, "wb");
    for (int i = 0; i < 3 * 4096; i++)
        fputc((i * 131 + 7) & 255, fp);
    fclose(fp);
    expect_open_error(f->dir, MASO_STORE_RDONLY, MASO_EDATA, f->dir);
    expect_open_error(f->dir, MASO_STORE_CREATE, MASO_EDATA, f->dir);

    /* A real store, truncated. */
    remove(file);
    maso_store_identity id;
    small_identity(&id, 1);
    maso_store *s = open_store(f->dir, MASO_STORE_CREATE, &id);
    maso_store_batch *b;
    uint8_t c[STORE_TEST_CODE];
    make_code(1, c);
    assert_int_equal(maso_store_batch_begin(s, &b), 0);
    for (int i = 0; i < 20; i++) {
        char p[64];
        snprintf(p, sizeof p, "/img/%d.jpg", i);
        put_ok(b, p, 1, c);
    }
    assert_int_equal(maso_store_batch_commit(b), 0);
    maso_store_destroy(s);
    struct stat sb;
    assert_int_equal(stat(file, &sb), 0);
    assert_int_equal(truncate(file, sb.st_size / 2), 0);
    expect_open_error(f->dir, MASO_STORE_RDONLY, MASO_EDATA, "truncated");

    /* An LMDB environment that is not a maso store. */
    remove(file);
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_open(env, f->dir, 0, 0666), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, NULL, 0, &dbi), 0);
    MDB_val k = {3, "key"}, v = {5, "value"};
    assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    expect_open_error(f->dir, MASO_STORE_RDONLY, MASO_EDATA, "not a maso");
}

/* A malformed stored value is an error, not a crash. */
static void test_corrupt_values(void **state)
{
    fixture *f = *state;
    maso_store_identity id;
    small_identity(&id, 0);
    maso_store *s = open_store(f->dir, MASO_STORE_CREATE, &id);
    fill_three(s, "/img/c.jpg");
    maso_store_destroy(s);
    uint8_t key[8], bad[40] = {0};
    be64(1, key);
    bad[4] = 200; /* path_len 200 in a 40-byte value */
    raw_put(f->dir, "records", key, 8, bad, sizeof bad, 0);
    be64(0, key);
    raw_put(f->dir, "blocks", key, 8, "MBK1 short", 10, 0);
    s = open_store(f->dir, MASO_STORE_RDONLY, &id);
    maso_store_record r;
    assert_int_equal(maso_store_get_by_id(s, 1, 0, &r), MASO_EDATA);
    assert_non_null(strstr(maso_store_errmsg(s), "malformed record 1"));
    assert_null(r.path);
    assert_int_equal(maso_store_get_by_id(s, 3, MASO_STORE_WANT_SKETCH, &r),
                     MASO_EDATA);
    assert_int_equal(maso_store_check(s), MASO_EDATA);
    store_scan *sc;
    uint64_t got;
    const uint8_t *p;
    assert_int_equal(store_scan_begin(s, &sc), 0);
    assert_int_equal(store_scan_next(sc, &got, &p), MASO_EDATA);
    assert_non_null(strstr(maso_store_errmsg(s), "malformed sketch block 0"));
    store_scan_end(sc);
    maso_store_view *view = (maso_store_view *)1;
    assert_int_equal(maso_store_view_begin(s, 0, &view), MASO_EDATA);
    assert_null(view);
    maso_store_destroy(s);
}

/* ---- checksums: damage named, repaired ---------------------------------- */

/* Flip the bits of @p mask in byte @p offset of a stored value (bypassing
 * the store, so no checksum is updated: that is damage).  Returns the
 * value's size. */
static size_t raw_flip(const char *dir, const char *db, const void *key,
                       size_t klen, size_t offset, uint8_t mask)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    assert_int_equal(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 8);
    assert_int_equal(mdb_env_open(env, dir, 0, 0666), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, db, 0, &dbi), 0);
    MDB_val k = {klen, (void *)key}, v;
    assert_int_equal(mdb_get(txn, dbi, &k, &v), 0);
    size_t n = v.mv_size;
    uint8_t *copy = malloc(n);
    memcpy(copy, v.mv_data, n);
    assert_true(offset < n);
    copy[offset] ^= mask;
    MDB_val nv = {n, copy};
    assert_int_equal(mdb_put(txn, dbi, &k, &nv, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    free(copy);
    mdb_env_close(env);
    return n;
}

typedef struct damage_seen {
    uint64_t id[32];
    char what[32][16];
    char path[32][64];
    size_t n;
} damage_seen;

static int on_damage(void *arg, const maso_store_damage *d)
{
    damage_seen *seen = arg;
    assert_true(seen->n < 32);
    seen->id[seen->n] = d->id;
    snprintf(seen->what[seen->n], 16, "%s", d->what);
    snprintf(seen->path[seen->n], 64, "%s", d->path ? d->path : "");
    seen->n++;
    return 0;
}

/* 20 OK records (ids 1..20, "/img/<id-1>.jpg", full codes) and a failed
 * one (id 21). */
static void fill_twenty(maso_store *s)
{
    uint8_t c[STORE_TEST_CODE];
    maso_store_batch *b;
    assert_int_equal(maso_store_batch_begin(s, &b), 0);
    for (int i = 0; i < 20; i++) {
        char p[64];
        snprintf(p, sizeof p, "/img/%d.jpg", i);
        make_code((uint64_t)i, c);
        put_ok(b, p, (uint64_t)i, c);
    }
    put_failed(b, "/img/bad.jpg", "truncated");
    assert_int_equal(maso_store_batch_commit(b), 0);
}

/* One flipped bit in a record, a sketch, a full code and a counter: each
 * is named by check_damage (with its path, even when the record itself is
 * damaged), refused by the reads that return it, and removed by repair;
 * indexing the files again makes the store whole. */
static void test_damage_named_and_repaired(void **state)
{
    fixture *f = *state;
    maso_store_identity id;
    small_identity(&id, 1);
    maso_store *s = open_store(f->dir, MASO_STORE_CREATE, &id);
    assert_int_equal(maso_store_checksums(s), 1);
    fill_twenty(s);
    assert_int_equal(maso_store_check(s), 0);
    maso_store_destroy(s);

    uint8_t key[8];
    be64(3, key);
    raw_flip(f->dir, "records", key, 8, 32 + 5, 0x04); /* a path byte */
    be64(0, key); /* block 0: the sketch of id 5 */
    s = open_store(f->dir, MASO_STORE_RDONLY, &id);
    maso_store_record r;
    assert_int_equal(maso_store_get_by_id(s, 5, MASO_STORE_WANT_SKETCH, &r), 0);
    size_t stride = r.sketch ? maso_sketch_bytes(maso_store_sketch(s)) : 0;
    maso_store_record_free(&r);
    maso_store_destroy(s);
    /* offsets from the documented layout: 112 + 8B slot sums + B summaries
     * of 64 bytes, then the sketches (B = 64) */
    raw_flip(f->dir, "blocks", key, 8, 112 + 8 * 64 + 64 * 64 + 5 * stride + 3,
             0x10);
    be64(7, key);
    raw_flip(f->dir, "codes", key, 8, 48 + 100, 0x01);

    s = open_store(f->dir, MASO_STORE_RDONLY, &id);
    damage_seen seen = {0};
    uint64_t n = 0;
    assert_int_equal(maso_store_check_damage(s, on_damage, &seen, &n),
                     MASO_EDATA);
    assert_int_equal(n, 3);
    assert_int_equal(seen.n, 3);
    assert_int_equal(seen.id[0], 3);
    assert_string_equal(seen.what[0], "record");
    assert_string_equal(seen.path[0], "/img/2.jpg"); /* from the path index */
    assert_int_equal(seen.id[1], 5);
    assert_string_equal(seen.what[1], "sketch");
    assert_string_equal(seen.path[1], "/img/4.jpg");
    assert_int_equal(seen.id[2], 7);
    assert_string_equal(seen.what[2], "full code");
    assert_non_null(strstr(maso_store_errmsg(s), "3 damaged records"));
    assert_non_null(strstr(maso_store_errmsg(s), "--repair"));
    /* The reads that would hand out damaged bytes refuse them. */
    assert_int_equal(maso_store_get_by_id(s, 3, 0, &r), MASO_EDATA);
    assert_non_null(strstr(maso_store_errmsg(s), "record 3 is damaged"));
    assert_int_equal(maso_store_get_by_id(s, 5, MASO_STORE_WANT_SKETCH, &r),
                     MASO_EDATA);
    assert_non_null(strstr(maso_store_errmsg(s), "sketch of record 5"));
    assert_int_equal(maso_store_get_by_id(s, 7, MASO_STORE_WANT_CODE, &r),
                     MASO_EDATA);
    assert_non_null(strstr(maso_store_errmsg(s), "full code of record 7"));
    maso_store_view *v;
    assert_int_equal(maso_store_view_begin(s, 0, &v), 0);
    assert_int_equal(maso_store_view_record(v, 5, &r),
                     MASO_EDATA);
    assert_int_equal(maso_store_view_record(v, 7, &r),
                     MASO_EDATA);
    assert_int_equal(maso_store_view_record(v, 8, &r),
                     0);
    maso_store_view_end(v);
    maso_store_destroy(s);
    /* Damaged counters: named by check, refused by stats. */
    raw_flip(f->dir, "meta", "count_ok", 8, 0, 0x02);
    s = open_store(f->dir, MASO_STORE_RDONLY, &id);
    assert_int_equal(maso_store_check_damage(s, NULL, NULL, &n), MASO_EDATA);
    assert_int_equal(n, 3);
    maso_store_stats st;
    assert_int_equal(maso_store_get_stats(s, &st), MASO_EDATA);
    assert_non_null(strstr(maso_store_errmsg(s), "count_ok\" is damaged"));
    maso_store_destroy(s);

    s = open_store(f->dir, 0, &id);
    memset(&seen, 0, sizeof seen);
    assert_int_equal(maso_store_repair(s, on_damage, &seen, &n), 0);
    assert_int_equal(n, 3);
    assert_string_equal(seen.path[0], "/img/2.jpg");
    assert_int_equal(maso_store_check(s), 0);
    assert_int_equal(maso_store_get_stats(s, &st), 0);
    assert_int_equal(st.ok, 17);
    assert_int_equal(st.failed, 1);
    assert_int_equal(maso_store_get_by_path(s, "/img/2.jpg", 0, &r),
                     MASO_ENOTFOUND);
    /* Indexing the three files again: whole, new ids. */
    uint8_t c[STORE_TEST_CODE];
    maso_store_batch *b;
    assert_int_equal(maso_store_batch_begin(s, &b), 0);
    for (int i = 2; i <= 6; i += 2) {
        char p[64];
        snprintf(p, sizeof p, "/img/%d.jpg", i);
        make_code((uint64_t)i, c);
        put_ok(b, p, (uint64_t)i, c);
    }
    assert_int_equal(maso_store_batch_commit(b), 0);
    assert_int_equal(maso_store_check(s), 0);
    check_ok_record(s, "/img/4.jpg", 23, 4, 1);
    assert_int_equal(maso_store_repair(s, NULL, NULL, &n), 0);
    assert_int_equal(n, 0);
    maso_store_destroy(s);
}

/* Orientation sketches: kept with a record, read back in place, replaced
 * and removed with it, absent for records put without them and in a store
 * whose table predates them; a flipped bit is named by check_damage,
 * refused by the view and removed by repair. */
static void put_oriented(maso_store *s, maso_store_batch *b, const char *p,
                         uint64_t n, int with, uint8_t *orients)
{
    uint8_t c[STORE_TEST_CODE];
    make_code(n, c);
    size_t bytes = maso_sketch_bytes(maso_store_sketch(s));
    for (size_t v = 0; v < MASO_STORE_ORIENTS; v++) {
        uint8_t other[STORE_TEST_CODE];
        make_code(n + 100 * (v + 1), other);
        maso_sketch_apply(maso_store_sketch(s), other, orients + v * bytes);
    }
    maso_store_record r = {0, p, 1000 + n, (int64_t)n * 1000000007,
                           MASO_RECORD_OK, NULL, NULL, c};
    assert_int_equal(maso_store_batch_put_oriented(b, &r,
                                                   with ? orients : NULL), 0);
}

static void test_orients(void **state)
{
    fixture *f = *state;
    maso_store_identity id;
    small_identity(&id, 0);
    maso_store *s = open_store(f->dir, MASO_STORE_CREATE, &id);
    size_t bytes = maso_sketch_bytes(maso_store_sketch(s));
    uint8_t *want = malloc(4 * MASO_STORE_ORIENTS * bytes);
    assert_non_null(want);
    maso_store_batch *b;
    assert_int_equal(maso_store_batch_begin(s, &b), 0);
    for (uint64_t n = 1; n <= 4; n++) { /* ids 1..4, id 4 without */
        char p[64];
        snprintf(p, sizeof p, "/img/o%llu.jpg", (unsigned long long)n);
        put_oriented(s, b, p, n, n != 4,
                     want + (n - 1) * MASO_STORE_ORIENTS * bytes);
    }
    assert_int_equal(maso_store_batch_commit(b), 0);
    assert_int_equal(maso_store_check(s), 0);
    maso_store_view *v;
    const uint8_t *o;
    assert_int_equal(maso_store_view_begin(s, 0, &v), 0);
    for (uint64_t n = 1; n <= 3; n++) {
        assert_int_equal(maso_store_view_orients(v, n, &o), 0);
        assert_memory_equal(o, want + (n - 1) * MASO_STORE_ORIENTS * bytes,
                            MASO_STORE_ORIENTS * bytes);
    }
    assert_int_equal(maso_store_view_orients(v, 4, &o), MASO_ENOTFOUND);
    assert_null(o);
    maso_store_view_end(v);
    /* replaced without them, deleted: gone with the record */
    assert_int_equal(maso_store_batch_begin(s, &b), 0);
    put_oriented(s, b, "/img/o2.jpg", 2, 0, want);
    assert_int_equal(maso_store_batch_delete(b, "/img/o3.jpg"), 0);
    assert_int_equal(maso_store_batch_commit(b), 0);
    assert_int_equal(maso_store_view_begin(s, 0, &v), 0);
    assert_int_equal(maso_store_view_orients(v, 2, &o), MASO_ENOTFOUND);
    assert_int_equal(maso_store_view_orients(v, 3, &o), MASO_ENOTFOUND);
    assert_int_equal(maso_store_view_orients(v, 1, &o), 0);
    maso_store_view_end(v);
    assert_int_equal(maso_store_check(s), 0);
    maso_store_destroy(s);

    uint8_t key[8];
    be64(1, key);
    raw_flip(f->dir, "orients", key, 8, 48 + 17, 0x08);
    s = open_store(f->dir, MASO_STORE_RDONLY, &id);
    damage_seen seen = {0};
    uint64_t n = 0;
    assert_int_equal(maso_store_check_damage(s, on_damage, &seen, &n),
                     MASO_EDATA);
    assert_int_equal(n, 1);
    assert_int_equal(seen.id[0], 1);
    assert_string_equal(seen.what[0], "orientation ske"); /* 16 bytes kept */
    assert_int_equal(maso_store_view_begin(s, 0, &v), 0);
    assert_int_equal(maso_store_view_orients(v, 1, &o), MASO_EDATA);
    assert_non_null(strstr(maso_store_errmsg(s),
                           "orientation sketches of record 1 are damaged"));
    maso_store_view_end(v);
    maso_store_destroy(s);
    s = open_store(f->dir, 0, &id);
    assert_int_equal(maso_store_repair(s, NULL, NULL, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(maso_store_check(s), 0);
    maso_store_destroy(s);

    /* a store written before the table: read-only opens see none */
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    assert_int_equal(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 8);
    assert_int_equal(mdb_env_open(env, f->dir, 0, 0666), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "orients", 0, &dbi), 0);
    assert_int_equal(mdb_drop(txn, dbi, 1), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    s = open_store(f->dir, MASO_STORE_RDONLY, &id);
    assert_int_equal(maso_store_check(s), 0);
    assert_int_equal(maso_store_view_begin(s, 0, &v), 0);
    assert_int_equal(maso_store_view_orients(v, 4, &o), MASO_ENOTFOUND);
    maso_store_view_end(v);
    maso_store_destroy(s);
    free(want);
}

/* A damaged block header (its presence bitmap): every OK record of the
 * block is named; repair drops the block and those records. */
static void test_damaged_block(void **state)
{
    fixture *f = *state;
    maso_store_identity id;
    small_identity(&id, 0);
    maso_store *s = open_store(f->dir, MASO_STORE_CREATE, &id);
    fill_twenty(s);
    maso_store_destroy(s);
    uint8_t key[8];
    be64(0, key);
    raw_flip(f->dir, "blocks", key, 8, 48, 0x02); /* id 1's presence bit */
    s = open_store(f->dir, MASO_STORE_RDONLY, &id);
    damage_seen seen = {0};
    uint64_t n;
    assert_int_equal(maso_store_check_damage(s, on_damage, &seen, &n),
                     MASO_EDATA);
    assert_int_equal(n, 20);
    for (size_t i = 0; i < 20; i++) {
        assert_int_equal(seen.id[i], i + 1);
        assert_string_equal(seen.what[i], "sketch block");
    }
    /* scans and views refuse the block rather than serve it */
    maso_store_view *v;
    assert_int_equal(maso_store_view_begin(s, 0, &v), MASO_EDATA);
    assert_non_null(strstr(maso_store_errmsg(s), "damaged"));
    maso_store_destroy(s);
    s = open_store(f->dir, 0, &id);
    assert_int_equal(maso_store_repair(s, NULL, NULL, &n), 0);
    assert_int_equal(n, 20);
    assert_int_equal(maso_store_check(s), 0);
    maso_store_destroy(s);
}

/* A store of the previous schema (no checksums, as the previous version
 * wrote it): opens, answers the same, takes new records, passes check,
 * and says it is unverified; damage to it goes unseen (documented). */
static void test_schema2_store(void **state)
{
    fixture *f = *state;
    maso_store_identity id;
    small_identity(&id, 1);
    maso_store *s = open_store(f->dir, MASO_STORE_CREATE, &id);
    fill_twenty(s);
    size_t sk_bytes = maso_sketch_bytes(maso_store_sketch(s));
    maso_store_record before[21];
    for (uint64_t i = 1; i <= 21; i++)
        assert_int_equal(maso_store_get_by_id(s, i, MASO_STORE_WANT_SKETCH |
                                              MASO_STORE_WANT_CODE,
                                              &before[i - 1]), 0);
    maso_store_destroy(s);
    assert_int_equal(sums_downgrade_store(f->dir), 0);

    s = open_store(f->dir, MASO_STORE_RDONLY, &id);
    assert_int_equal(maso_store_checksums(s), 0);
    assert_int_equal(maso_store_check(s), 0);
    for (uint64_t i = 1; i <= 21; i++) {
        maso_store_record r;
        assert_int_equal(maso_store_get_by_id(s, i, MASO_STORE_WANT_SKETCH |
                                              MASO_STORE_WANT_CODE, &r), 0);
        assert_string_equal(r.path, before[i - 1].path);
        assert_int_equal(r.status, before[i - 1].status);
        if (r.status == MASO_RECORD_OK) {
            assert_memory_equal(r.sketch, before[i - 1].sketch, sk_bytes);
            assert_memory_equal(r.code, before[i - 1].code, STORE_TEST_CODE);
        }
        maso_store_record_free(&r);
    }
    maso_store_destroy(s);

    s = open_store(f->dir, 0, &id);
    uint8_t c[STORE_TEST_CODE];
    make_code(99, c);
    maso_store_batch *b;
    assert_int_equal(maso_store_batch_begin(s, &b), 0);
    put_ok(b, "/img/new.jpg", 99, c);
    assert_int_equal(maso_store_batch_commit(b), 0);
    assert_int_equal(maso_store_checksums(s), 0);
    assert_int_equal(maso_store_check(s), 0);
    check_ok_record(s, "/img/new.jpg", 22, 99, 1);
    check_ok_record(s, "/img/4.jpg", 5, 4, 1);
    maso_store_destroy(s);

    uint8_t key[8];
    be64(0, key); /* schema 2: sketches after 112 + B summaries */
    raw_flip(f->dir, "blocks", key, 8, 112 + 64 * 64 + 5 * sk_bytes, 0x01);
    s = open_store(f->dir, MASO_STORE_RDONLY, &id);
    assert_int_equal(maso_store_check(s), 0);
    maso_store_destroy(s);
    for (int i = 0; i < 21; i++)
        maso_store_record_free(&before[i]);
}

/* ---- growth ---------------------------------------------------------------- */

static void test_map_grows(void **state)
{
    fixture *f = *state;
    maso_store_identity id;
    small_identity(&id, 1);
    maso_store *s;
    assert_int_equal(maso_store_create(&s), 0);
    assert_int_equal(maso_store_set_map_size(s, 1000), MASO_EINVAL_ARG);
    assert_int_equal(maso_store_set_map_size(s, 256 * 1024), 0);
    assert_int_equal(maso_store_open(s, f->dir, MASO_STORE_CREATE, &id), 0);
    assert_int_equal(maso_store_set_map_size(s, 1 << 20), MASO_EINVAL_ARG);
    /* Each record keeps a full code on its own pages and a slot in a
     * sketch block: 600 records need many times the 256 KiB map, and the
     * first batch alone overflows it. */
    uint8_t c[STORE_TEST_CODE];
    char p[64];
    for (int batch = 0; batch < 3; batch++) {
        maso_store_batch *b;
        assert_int_equal(maso_store_batch_begin(s, &b), 0);
        for (int i = 0; i < 200; i++) {
            int n = batch * 200 + i;
            make_code((uint64_t)n, c);
            snprintf(p, sizeof p, "/img/%05d.jpg", n);
            put_ok(b, p, (uint64_t)n, c);
        }
        assert_int_equal(maso_store_batch_commit(b), 0);
    }
    maso_store_stats st;
    assert_int_equal(maso_store_get_stats(s, &st), 0);
    assert_int_equal(st.records, 600);
    assert_true(st.map_grows >= 4);
    assert_true(st.map_size >= st.file_bytes);
    assert_true(st.map_size >= (256u * 1024) << 4);
    for (int n = 0; n < 600; n += 37) {
        snprintf(p, sizeof p, "/img/%05d.jpg", n);
        check_ok_record(s, p, (uint64_t)n + 1, (uint64_t)n, 1);
    }
    assert_int_equal(maso_store_check(s), 0);
    maso_store_destroy(s);
    /* Reopened, the store keeps the grown map. */
    s = open_store(f->dir, MASO_STORE_RDONLY, &id);
    assert_int_equal(maso_store_get_stats(s, &st), 0);
    assert_true(st.map_size >= (256u * 1024) << 4);
    assert_int_equal(st.map_grows, 0);
    maso_store_destroy(s);
}

/* ---- iteration and scans ----------------------------------------------- */

typedef struct visit_log {
    uint64_t ids[16];
    int n, stop_after;
    unsigned want;
} visit_log;

static int visit(const maso_store_record *r, void *arg)
{
    visit_log *log = arg;
    log->ids[log->n++] = r->id;
    if (r->status == MASO_RECORD_OK) {
        assert_null(r->reason);
        if (log->want) {
            assert_non_null(r->sketch);
            assert_int_equal((uintptr_t)r->sketch % 64, 0);
        } else {
            assert_null(r->sketch);
        }
    } else {
        assert_null(r->sketch);
        assert_string_equal(r->reason, "PNG: CRC error in IDAT");
    }
    return log->n == log->stop_after ? 42 : 0;
}

static void test_iterate_and_scan(void **state)
{
    fixture *f = *state;
    maso_store_identity id;
    small_identity(&id, 0);
    maso_store *s = open_store(f->dir, MASO_STORE_CREATE, &id);
    fill_three(s, "/img/c.jpg");
    uint8_t c[STORE_TEST_CODE];
    maso_store_batch *b;
    assert_int_equal(maso_store_batch_begin(s, &b), 0);
    for (int i = 4; i <= 10; i++) {
        char p[32];
        snprintf(p, sizeof p, "/img/%d.jpg", i);
        make_code((uint64_t)i, c);
        put_ok(b, p, (uint64_t)i, c);
    }
    assert_int_equal(maso_store_batch_commit(b), 0);

    visit_log log = {{0}, 0, 0, MASO_STORE_WANT_SKETCH};
    assert_int_equal(maso_store_foreach(s, MASO_STORE_WANT_SKETCH, visit,
                                        &log), 0);
    assert_int_equal(log.n, 10);
    for (int i = 0; i < 10; i++)
        assert_int_equal(log.ids[i], (uint64_t)i + 1);
    log.n = 0;
    log.stop_after = 4;
    log.want = 0;
    assert_int_equal(maso_store_foreach(s, 0, visit, &log), 42);
    assert_int_equal(log.n, 4);

    /* Scan: OK records only, id order, aligned, in place, equal to gets. */
    size_t n = maso_sketch_bytes(maso_store_sketch(s));
    store_scan *sc;
    assert_int_equal(store_scan_begin(s, &sc), 0);
    uint64_t got, expect_ids[] = {1, 3, 4, 5, 6, 7, 8, 9, 10};
    const uint8_t *p;
    for (size_t i = 0; i < 9; i++) {
        assert_int_equal(store_scan_next(sc, &got, &p), 0);
        assert_int_equal(got, expect_ids[i]);
        assert_int_equal((uintptr_t)p % 64, 0);
        maso_store_record r;
        assert_int_equal(maso_store_get_by_id(s, got, MASO_STORE_WANT_SKETCH,
                                              &r), 0);
        assert_memory_equal(p, r.sketch, n);
        assert_ptr_not_equal(p, r.sketch);
        maso_store_record_free(&r);
    }
    assert_int_equal(store_scan_next(sc, &got, &p), MASO_ENOTFOUND);
    assert_int_equal(store_scan_next(sc, &got, &p), MASO_ENOTFOUND);
    assert_int_equal(store_scan_copies(sc), 0);
    /* Seek: to an existing id, to a gap, past the end. */
    assert_int_equal(store_scan_seek(sc, 7), 0);
    assert_int_equal(store_scan_next(sc, &got, &p), 0);
    assert_int_equal(got, 7);
    assert_int_equal(store_scan_next(sc, &got, &p), 0);
    assert_int_equal(got, 8);
    assert_int_equal(store_scan_seek(sc, 2), 0);
    assert_int_equal(store_scan_next(sc, &got, &p), 0);
    assert_int_equal(got, 3);
    assert_int_equal(store_scan_seek(sc, 11), 0);
    assert_int_equal(store_scan_next(sc, &got, &p), MASO_ENOTFOUND);
    /* Two scans at once on one handle. */
    store_scan *sc2;
    assert_int_equal(store_scan_begin(s, &sc2), 0);
    assert_int_equal(store_scan_next(sc2, &got, &p), 0);
    assert_int_equal(got, 1);
    store_scan_end(sc2);
    store_scan_end(sc);
    maso_store_destroy(s);
}

static void test_batch_due(void **state)
{
    fixture *f = *state;
    maso_store_identity id;
    small_identity(&id, 0);
    maso_store *s = open_store(f->dir, MASO_STORE_CREATE, &id);
    maso_store_batch *b;
    assert_int_equal(maso_store_batch_begin(s, &b), 0);
    assert_int_equal(maso_store_batch_due(b, 2, 0.0), 0); /* empty */
    put_failed(b, "/a", "x");
    assert_int_equal(maso_store_batch_due(b, 2, 3600.0), 0);
    assert_int_equal(maso_store_batch_due(b, 2, 0.0), 1);
    put_failed(b, "/b", "y");
    assert_int_equal(maso_store_batch_due(b, 2, 3600.0), 1);
    assert_int_equal(maso_store_batch_commit(b), 0);
    /* After commit, a new batch may begin. */
    assert_int_equal(maso_store_batch_begin(s, &b), 0);
    maso_store_batch_abort(b);
    maso_store_destroy(s);
}

/* ---- processes ------------------------------------------------------------ */

/* Child: commit @p batches batches of @p per records each starting at
 * number @p first, writing one byte to @p fd after each commit.  Returns
 * an exit status (no cmocka in children). */
static int child_writer(const char *dir, int first, int batches, int per,
                        int fd, uint64_t map)
{
    maso_store_identity id;
    small_identity(&id, 1);
    maso_store *s;
    if (maso_store_create(&s) || (map && maso_store_set_map_size(s, map)) ||
        maso_store_open(s, dir, MASO_STORE_CREATE, &id))
        return 2;
    uint8_t c[STORE_TEST_CODE];
    for (int k = 0; k < batches; k++) {
        maso_store_batch *b;
        if (maso_store_batch_begin(s, &b))
            return 3;
        for (int i = 0; i < per; i++) {
            int n = first + k * per + i;
            char p[64];
            snprintf(p, sizeof p, "/img/%06d.jpg", n);
            make_code((uint64_t)n, c);
            maso_store_record r = {0, p, 1000 + (uint64_t)n,
                                   (int64_t)n * 1000000007, MASO_RECORD_OK,
                                   NULL, NULL, c};
            if (maso_store_batch_put(b, &r))
                return 4;
        }
        if (maso_store_batch_commit(b))
            return 5;
        if (write(fd, "x", 1) != 1)
            return 6;
    }
    maso_store_destroy(s);
    return 0;
}

static int count_records(maso_store *s)
{
    maso_store_stats st;
    assert_int_equal(maso_store_get_stats(s, &st), 0);
    return (int)st.records;
}

/* Fork a child_writer and, for each batch it reports committed, check with
 * the reader handle @p r that only whole batches of @p per records (after
 * the 3 initial ones) are visible.  Returns the number of commits seen. */
static int follow_writer(maso_store *r, const char *dir, int batches, int per,
                         int deep_check)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        _exit(child_writer(dir, 100, batches, per, fds[1], 0));
    }
    close(fds[1]);
    char buf[8];
    int commits = 0;
    while (read(fds[0], buf, 1) == 1) {
        commits++;
        int n = count_records(r);
        assert_true(n >= 3 + per * commits && (n - 3) % per == 0);
        if (deep_check)
            assert_int_equal(maso_store_check(r), 0);
    }
    close(fds[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    return commits;
}

/* A reader keeps its snapshot while another process commits batches; a
 * new read sees the new commits. */
static void test_reader_during_write(void **state)
{
    fixture *f = *state;
    maso_store_identity id;
    small_identity(&id, 1);
    maso_store *w = open_store(f->dir, MASO_STORE_CREATE, &id);
    fill_three(w, "/img/c.jpg");
    maso_store_destroy(w);

    maso_store *r = open_store(f->dir, MASO_STORE_RDONLY, &id);
    store_scan *sc;
    assert_int_equal(store_scan_begin(r, &sc), 0);
    uint64_t got;
    const uint8_t *p;
    assert_int_equal(store_scan_next(sc, &got, &p), 0);
    assert_int_equal(got, 1);

    /* While the child writes, reads see whole batches only.  (The same
     * handle: LMDB forbids opening one environment twice in a process.) */
    assert_int_equal(follow_writer(r, f->dir, 3, 100, 1), 3);
    /* The open scan still sees its snapshot: ids 1 and 3 only. */
    assert_int_equal(store_scan_next(sc, &got, &p), 0);
    assert_int_equal(got, 3);
    assert_int_equal(store_scan_next(sc, &got, &p), MASO_ENOTFOUND);
    store_scan_end(sc);
    /* A new read sees everything. */
    assert_int_equal(count_records(r), 303);
    check_ok_record(r, "/img/000399.jpg", 303, 399, 1);
    maso_store_destroy(r);
}

/* A small map that the child grows many times while we read. */
static void test_reader_across_growth(void **state)
{
    fixture *f = *state;
    maso_store_identity id;
    small_identity(&id, 1);
    maso_store *w;
    assert_int_equal(maso_store_create(&w), 0);
    assert_int_equal(maso_store_set_map_size(w, 128 * 1024), 0);
    assert_int_equal(maso_store_open(w, f->dir, MASO_STORE_CREATE, &id), 0);
    fill_three(w, "/img/c.jpg");
    maso_store_destroy(w);
    maso_store *r = open_store(f->dir, MASO_STORE_RDONLY, &id);
    /* Same handle: each read picks up the map the child grew. */
    assert_int_equal(follow_writer(r, f->dir, 6, 50, 0), 6);
    assert_int_equal(count_records(r), 303);
    maso_store_stats st;
    assert_int_equal(maso_store_get_stats(r, &st), 0);
    assert_true(st.map_size >= 8 * 128 * 1024);
    assert_int_equal(maso_store_check(r), 0);
    check_ok_record(r, "/img/000399.jpg", 303, 399, 1);
    maso_store_destroy(r);
}

/* kill -9 while batches are being committed: the store opens, is
 * consistent, and holds exactly the batches committed (reported) plus at
 * most the one in flight. */
static void test_kill9(void **state)
{
    fixture *f = *state;
    maso_store_identity id;
    small_identity(&id, 1);
    maso_store_destroy(open_store(f->dir, MASO_STORE_CREATE, &id));
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        _exit(child_writer(f->dir, 0, 1000000, 300, fds[1], 64 * 1024));
    }
    close(fds[1]);
    char buf[64];
    int seen = 0;
    while (seen < 3 && read(fds[0], buf, 1) == 1)
        seen++;
    assert_int_equal(seen, 3);
    usleep(3000); /* land inside the next batch */
    assert_int_equal(kill(pid, SIGKILL), 0);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    ssize_t more;
    while ((more = read(fds[0], buf, sizeof buf)) > 0)
        seen += (int)more;
    close(fds[0]);

    maso_store *s = open_store(f->dir, 0, &id);
    int n = count_records(s);
    assert_true(n == 300 * seen || n == 300 * (seen + 1));
    assert_int_equal(maso_store_check(s), 0);
    char p[64];
    snprintf(p, sizeof p, "/img/%06d.jpg", n - 1);
    check_ok_record(s, p, (uint64_t)n, (uint64_t)n - 1, 1);
    /* The store is writable again and ids continue. */
    maso_store_batch *b;
    uint8_t c[STORE_TEST_CODE];
    make_code(12345, c);
    assert_int_equal(maso_store_batch_begin(s, &b), 0);
    put_ok(b, "/after.jpg", 12345, c);
    assert_int_equal(maso_store_batch_commit(b), 0);
    check_ok_record(s, "/after.jpg", (uint64_t)n + 1, 12345, 1);
    assert_int_equal(maso_store_check(s), 0);
    maso_store_destroy(s);
}

/* ---- the space budget ------------------------------------------------------ */

/* SqueezeNet v1.1's layout (from the golden codes.tsv) with the default
 * sketch: at most 8 KiB of pages per image, and aligned in-place scans. */
static void test_budget_squeezenet(void **state)
{
    fixture *f = *state;
    char path[512];
    snprintf(path, sizeof path,
             "%s/reference/squeezenet_v1.1/bird/codes.tsv", MASO_SHARED_DIR);
    golden_layout golden;
    size_t n = golden_layout_read(path, &golden);
    assert_true(n > 0);
    maso_store_identity id;
    small_identity(&id, 0);
    id.layers = golden.layers;
    id.n_layers = n;
    maso_store *s = open_store(f->dir, MASO_STORE_CREATE, &id);
    size_t sk = maso_sketch_bytes(maso_store_sketch(s));
    uint8_t *sketch = malloc(sk);
    enum { N = 1000 };
    maso_store_batch *b;
    assert_int_equal(maso_store_batch_begin(s, &b), 0);
    for (int i = 0; i < N; i++) {
        char p[128];
        snprintf(p, sizeof p, "/srv/photos/2024/%02d/holiday/IMG_%06d.jpg",
                 i % 12 + 1, i * 7919 % 1000003);
        for (size_t j = 0; j < sk; j++)
            sketch[j] = (uint8_t)(j * 31 + (size_t)i);
        maso_store_record r = {0, p, 2500000, 1700000000000000000ll,
                               MASO_RECORD_OK, NULL, sketch, NULL};
        assert_int_equal(maso_store_batch_put(b, &r), 0);
    }
    assert_int_equal(maso_store_batch_commit(b), 0);
    maso_store_stats st;
    assert_int_equal(maso_store_get_stats(s, &st), 0);
    print_message("squeezenet default sketch: %zu bytes; %.0f bytes per "
                  "image (pages: records %llu, paths %llu, sketches %llu, "
                  "page %llu)\n", sk, st.bytes_per_record,
                  (unsigned long long)st.pages_records,
                  (unsigned long long)st.pages_paths,
                  (unsigned long long)st.pages_sketches,
                  (unsigned long long)st.page_size);
    assert_true(st.bytes_per_record <= 8192.0);
    store_scan *sc;
    assert_int_equal(store_scan_begin(s, &sc), 0);
    uint64_t got;
    const uint8_t *p;
    int k = 0;
    while (store_scan_next(sc, &got, &p) == 0) {
        assert_int_equal((uintptr_t)p % 64, 0);
        assert_int_equal(p[5], (uint8_t)(5 * 31 + k));
        k++;
    }
    assert_int_equal(k, N);
    assert_int_equal(store_scan_copies(sc), 0);
    store_scan_end(sc);
    free(sketch);
    maso_store_destroy(s);
}

static void test_invalid_args(void **state)
{
    (void)state;
    maso_store *s;
    assert_int_equal(maso_store_create(NULL), MASO_EINVAL_ARG);
    assert_int_equal(maso_store_create(&s), 0);
    assert_int_equal(maso_store_open(s, NULL, 0, NULL), MASO_EINVAL_ARG);
    maso_store_identity id;
    small_identity(&id, 0);
    id.bin_sha256[3] = 'X'; /* not lowercase hex */
    char dir[600];
    snprintf(dir, sizeof dir, "%s/store_invalid_%d", MASO_TEST_TMPDIR,
             (int)getpid());
    assert_int_equal(maso_store_open(s, dir, MASO_STORE_CREATE, &id),
                     MASO_EINVAL_ARG);
    assert_non_null(strstr(maso_store_errmsg(s), "sha256"));
    assert_int_equal(maso_store_open(s, dir, MASO_STORE_CREATE, NULL),
                     MASO_EINVAL_ARG);
    maso_store_record r;
    assert_int_equal(maso_store_get_by_id(s, 1, 0, &r), MASO_EINVAL_ARG);
    maso_store_destroy(s);
    maso_store_destroy(NULL);
    maso_store_batch_abort(NULL);
    store_scan_end(NULL);
    maso_store_record_free(NULL);
    char buf[128];
    maso_preprocess pre = {{104, 117, 123}, {1, 1, 0.5f}, 1};
    maso_store_preprocess_format(&pre, buf, sizeof buf);
    assert_string_equal(buf, "mean=104,117,123 scale=1,1,0.5 bgr=1");
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_roundtrip_and_reopen, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sketch_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replace_and_delete, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_long_path_collision, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_foreign_model, setup, teardown),
        cmocka_unit_test_setup_teardown(test_precision, setup, teardown),
        cmocka_unit_test_setup_teardown(test_schema_version, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_and_corrupt, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_orients, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damage_named_and_repaired, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_damaged_block, setup, teardown),
        cmocka_unit_test_setup_teardown(test_schema2_store, setup, teardown),
        cmocka_unit_test_setup_teardown(test_map_grows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_iterate_and_scan, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_batch_due, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reader_during_write, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_reader_across_growth, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_kill9, setup, teardown),
        cmocka_unit_test_setup_teardown(test_budget_squeezenet, setup,
                                        teardown),
        cmocka_unit_test(test_invalid_args),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
