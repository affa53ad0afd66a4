/* test_eval_npy.c -- the .npy reader on files written here by hand (every
 * header version, both dtypes, both vector shapes), on files written by
 * NumPy itself, and on malformed files. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "eval_testutil.h"
#include "maso.h"
#include "maso_eval.h"

static void tmp_path(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/npy_%s", MASO_TEST_TMPDIR, name);
}

/* Write an .npy as the format spec describes: magic, version, header
 * length (2 bytes for 1.0, 4 otherwise), the dict padded with spaces to a
 * multiple of 64 and ended by '\n', then body. */
static void write_npy(const char *path, int major, const char *dict,
                      const void *body, size_t body_size)
{
    unsigned char buf[4096];
    size_t prefix = major == 1 ? 10 : 12;
    size_t dlen = strlen(dict);
    size_t hlen = dlen + 1;
    while ((prefix + hlen) % 64 != 0)
        hlen++;
    memcpy(buf, "\x93NUMPY", 6);
    buf[6] = (unsigned char)major;
    buf[7] = 0;
    if (major == 1) {
        buf[8] = (unsigned char)(hlen & 0xff);
        buf[9] = (unsigned char)(hlen >> 8);
    } else {
        for (int i = 0; i < 4; i++)
            buf[8 + i] = (unsigned char)(hlen >> (8 * i));
    }
    memcpy(buf + prefix, dict, dlen);
    memset(buf + prefix + dlen, ' ', hlen - dlen - 1);
    buf[prefix + hlen - 1] = '\n';
    assert_true(prefix + hlen + body_size <= sizeof buf);
    memcpy(buf + prefix + hlen, body, body_size);
    eval_test_write(path, buf, prefix + hlen + body_size);
}

/* Little-endian bytes of doubles / floats, independent of the host. */
static void le_f64(const double *v, size_t n, unsigned char *out)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t b;
        memcpy(&b, &v[i], 8);
        for (int k = 0; k < 8; k++)
            out[8 * i + k] = (unsigned char)(b >> (8 * k));
    }
}

static void le_f32(const float *v, size_t n, unsigned char *out)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t b;
        memcpy(&b, &v[i], 4);
        for (int k = 0; k < 4; k++)
            out[4 * i + k] = (unsigned char)(b >> (8 * k));
    }
}

static void test_versions_dtypes_shapes(void **state)
{
    (void)state;
    maso_eval_npy *npy;
    assert_int_equal(maso_eval_npy_create(&npy), 0);
    char path[1024];
    const double d[3] = {0.25, -1.5, 1e10};
    const float f[3] = {0.5f, 2.0f, -3.25f};
    unsigned char body[64];
    size_t n;
    const double *v;

    /* v1.0, '<f8', (3,) */
    le_f64(d, 3, body);
    tmp_path(path, sizeof path, "v1.npy");
    write_npy(path, 1, "{'descr': '<f8', 'fortran_order': False, "
                       "'shape': (3,), }", body, 24);
    assert_int_equal(maso_eval_npy_load_file(npy, path), 0);
    v = maso_eval_npy_values(npy, &n);
    assert_int_equal(n, 3);
    assert_memory_equal(v, d, sizeof d);
    assert_string_equal(maso_eval_npy_errmsg(npy), "");

    /* v2.0, '<f4', (3, 1) */
    le_f32(f, 3, body);
    tmp_path(path, sizeof path, "v2.npy");
    write_npy(path, 2, "{'descr': '<f4', 'fortran_order': False, "
                       "'shape': (3, 1), }", body, 12);
    assert_int_equal(maso_eval_npy_load_file(npy, path), 0);
    v = maso_eval_npy_values(npy, &n);
    assert_int_equal(n, 3);
    for (int i = 0; i < 3; i++)
        assert_true(v[i] == (double)f[i]);

    /* v3.0, '<f8', (1,), Fortran order, keys in another order */
    le_f64(d, 1, body);
    tmp_path(path, sizeof path, "v3.npy");
    write_npy(path, 3, "{'shape': (1,), 'fortran_order': True, "
                       "'descr': '<f8'}", body, 8);
    assert_int_equal(maso_eval_npy_load_file(npy, path), 0);
    v = maso_eval_npy_values(npy, &n);
    assert_int_equal(n, 1);
    assert_true(v[0] == 0.25);

    /* empty vector (0,) */
    tmp_path(path, sizeof path, "empty.npy");
    write_npy(path, 1, "{'descr': '<f4', 'fortran_order': False, "
                       "'shape': (0,), }", body, 0);
    assert_int_equal(maso_eval_npy_load_file(npy, path), 0);
    maso_eval_npy_values(npy, &n);
    assert_int_equal(n, 0);
    maso_eval_npy_destroy(npy);
}

/* Load path and expect failure rc with a message containing want. */
static void expect_error(maso_eval_npy *npy, const char *path, int rc,
                         const char *want)
{
    int got = maso_eval_npy_load_file(npy, path);
    const char *msg = maso_eval_npy_errmsg(npy);
    if (got != rc || strstr(msg, want) == NULL || strstr(msg, path) == NULL)
        fail_msg("%s: got %d '%s', want %d and a message with '%s'", path,
                 got, msg, rc, want);
}

static void test_malformed(void **state)
{
    (void)state;
    maso_eval_npy *npy;
    assert_int_equal(maso_eval_npy_create(&npy), 0);
    char path[1024];
    unsigned char body[64] = {0};
    const double one = 1.0;
    le_f64(&one, 1, body);

    tmp_path(path, sizeof path, "magic.npy");
    eval_test_write(path, "\x93NUMPX\x01\x00\x10\x00{}", 12);
    expect_error(npy, path, MASO_EDATA, "magic");

    tmp_path(path, sizeof path, "big.npy");
    write_npy(path, 1, "{'descr': '>f8', 'fortran_order': False, "
                       "'shape': (1,), }", body, 8);
    expect_error(npy, path, MASO_EDATA, "big-endian");

    tmp_path(path, sizeof path, "int.npy");
    write_npy(path, 1, "{'descr': '<i4', 'fortran_order': False, "
                       "'shape': (2,), }", body, 8);
    expect_error(npy, path, MASO_EDATA, "dtype '<i4' is not supported");

    tmp_path(path, sizeof path, "matrix.npy");
    write_npy(path, 1, "{'descr': '<f4', 'fortran_order': False, "
                       "'shape': (2, 3), }", body, 24);
    expect_error(npy, path, MASO_EDATA, "shape (2, 3) is not a vector");

    tmp_path(path, sizeof path, "trunc.npy");
    write_npy(path, 1, "{'descr': '<f8', 'fortran_order': False, "
                       "'shape': (4,), }", body, 20);
    expect_error(npy, path, MASO_EDATA, "truncated");

    tmp_path(path, sizeof path, "long.npy");
    write_npy(path, 1, "{'descr': '<f8', 'fortran_order': False, "
                       "'shape': (1,), }", body, 9);
    expect_error(npy, path, MASO_EDATA, "trailing bytes");

    tmp_path(path, sizeof path, "version.npy");
    write_npy(path, 4, "{'descr': '<f8', 'fortran_order': False, "
                       "'shape': (1,), }", body, 8);
    expect_error(npy, path, MASO_EDATA, "version 4.0");

    tmp_path(path, sizeof path, "nokey.npy");
    write_npy(path, 1, "{'descr': '<f8', 'shape': (1,), }", body, 8);
    expect_error(npy, path, MASO_EDATA, "lacks");

    tmp_path(path, sizeof path, "syntax.npy");
    write_npy(path, 1, "{'descr': '<f8', 'fortran_order': Maybe, "
                       "'shape': (1,), }", body, 8);
    expect_error(npy, path, MASO_EDATA, "fortran_order");

    const double nan = NAN;
    unsigned char nanbody[8];
    le_f64(&nan, 1, nanbody);
    tmp_path(path, sizeof path, "nan.npy");
    write_npy(path, 1, "{'descr': '<f8', 'fortran_order': False, "
                       "'shape': (1,), }", nanbody, 8);
    expect_error(npy, path, MASO_EDATA, "element 0 is NaN");

    /* a header length pointing past the end of the file */
    tmp_path(path, sizeof path, "hlen.npy");
    eval_test_write(path, "\x93NUMPY\x01\x00\xff\x7f{'descr'", 17);
    expect_error(npy, path, MASO_EDATA, "truncated");

    tmp_path(path, sizeof path, "does-not-exist.npy");
    remove(path);
    expect_error(npy, path, ENOENT, "cannot read");

    assert_int_equal(maso_eval_npy_load_memory(npy, NULL, 4, "x"),
                     MASO_EINVAL_ARG);
    assert_int_equal(maso_eval_npy_load_memory(npy, "\x93NUMPY", 6, "short"),
                     MASO_EDATA);
    maso_eval_npy_destroy(npy);
}

/* Files written by NumPy itself, in all three versions. */
static void test_files_from_numpy(void **state)
{
    (void)state;
    char script[2048];
    snprintf(script, sizeof script,
             "import numpy as np\n"
             "from numpy.lib import format as F\n"
             "d = '%s'\n"
             "a = np.array([0.1, -2.5, 3e-7, 1234.5])\n"
             "np.save(d + '/npy_np1.npy', a)\n"
             "with open(d + '/npy_np2.npy', 'wb') as f:\n"
             "    F.write_array(f, a.astype('<f4').reshape(4, 1), (2, 0))\n"
             "with open(d + '/npy_np3.npy', 'wb') as f:\n"
             "    F.write_array(f, a, (3, 0))\n"
             "print('ok')\n",
             MASO_TEST_TMPDIR);
    free(eval_test_python(script));
    maso_eval_npy *npy;
    assert_int_equal(maso_eval_npy_create(&npy), 0);
    const double want[4] = {0.1, -2.5, 3e-7, 1234.5};
    const char *names[3] = {"np1", "np2", "np3"};
    for (int k = 0; k < 3; k++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/npy_%s.npy", MASO_TEST_TMPDIR,
                 names[k]);
        if (maso_eval_npy_load_file(npy, path) != 0)
            fail_msg("%s", maso_eval_npy_errmsg(npy));
        size_t n;
        const double *v = maso_eval_npy_values(npy, &n);
        assert_int_equal(n, 4);
        for (int i = 0; i < 4; i++)
            assert_true(v[i] == (k == 1 ? (double)(float)want[i] : want[i]));
    }
    maso_eval_npy_destroy(npy);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_versions_dtypes_shapes),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_files_from_numpy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
