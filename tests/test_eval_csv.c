/* test_eval_csv.c -- the pair-list reader: quoting, line ends, path
 * resolution, and errors that name the line. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "maso_eval.h"
#include "eval_testutil.h"
#include "maso.h"

static const char *dir(void)
{
    static char d[512]; /* tests are single-threaded */
    snprintf(d, sizeof d, "%s/csvdir", MASO_TEST_TMPDIR);
    mkdir(d, 0755);
    return d;
}

static void write_csv(char *path, size_t cap, const char *name,
                      const char *text)
{
    snprintf(path, cap, "%s/%s", dir(), name);
    eval_test_write(path, text, strlen(text));
}

static void expect_pair(const maso_eval_pairs *p, size_t i, const char *ref,
                        const char *dis, double score, size_t line)
{
    const maso_eval_pair *q = maso_eval_pairs_get(p, i);
    assert_non_null(q);
    char want[4096];
    if (ref[0] == '/')
        snprintf(want, sizeof want, "%s", ref);
    else
        snprintf(want, sizeof want, "%s/%s", dir(), ref);
    assert_string_equal(q->reference, want);
    snprintf(want, sizeof want, "%s/%s", dir(), dis);
    assert_string_equal(q->distorted, want);
    assert_true(q->score == score);
    assert_int_equal(q->line, line);
}

static void test_quoting_and_line_ends(void **state)
{
    (void)state;
    maso_eval_pairs *p;
    assert_int_equal(maso_eval_pairs_create(&p), 0);
    char path[2048];
    write_csv(path, sizeof path, "good.csv",
              "\xEF\xBB\xBF" "reference,distorted,score\r\n"
              "a.png,b.png,1.5\r\n"
              "\"with, comma.png\",\"say \"\"hi\"\".png\",-2\r\n"
              "\r\n"
              "  spaced.png , x.png ,  3e-1  \n"
              "\"two\nlines.png\",y.png,4\n"
              "/abs/ref.png,z.png,5");
    if (maso_eval_pairs_load_csv(p, path) != 0)
        fail_msg("%s", maso_eval_pairs_errmsg(p));
    assert_int_equal(maso_eval_pairs_count(p), 5);
    expect_pair(p, 0, "a.png", "b.png", 1.5, 2);
    expect_pair(p, 1, "with, comma.png", "say \"hi\".png", -2, 3);
    expect_pair(p, 2, "spaced.png", "x.png", 0.3, 5);
    expect_pair(p, 3, "two\nlines.png", "y.png", 4, 6);
    expect_pair(p, 4, "/abs/ref.png", "z.png", 5, 8);
    assert_null(maso_eval_pairs_get(p, 5));
    assert_string_equal(maso_eval_pairs_errmsg(p), "");

    /* columns in another order, an extra column, header case */
    write_csv(path, sizeof path, "order.csv",
              "Score,id,Distorted,Reference\n0.75,7,d.png,r.png\n");
    assert_int_equal(maso_eval_pairs_load_csv(p, path), 0);
    assert_int_equal(maso_eval_pairs_count(p), 1);
    expect_pair(p, 0, "r.png", "d.png", 0.75, 2);
    maso_eval_pairs_destroy(p);
}

static void expect_error(maso_eval_pairs *p, const char *name, const char *text,
                         const char *where, const char *want)
{
    char path[2048], prefix[2200];
    write_csv(path, sizeof path, name, text);
    int rc = maso_eval_pairs_load_csv(p, path);
    const char *msg = maso_eval_pairs_errmsg(p);
    snprintf(prefix, sizeof prefix, "%s:%s: ", path, where);
    if (rc != MASO_EDATA || strncmp(msg, prefix, strlen(prefix)) != 0 ||
        strstr(msg, want) == NULL)
        fail_msg("%s: got %d '%s', want MASO_EDATA, '%s' and '%s'", name,
                 rc, msg, prefix, want);
}

static void test_errors(void **state)
{
    (void)state;
    maso_eval_pairs *p;
    assert_int_equal(maso_eval_pairs_create(&p), 0);
    /* a good load first: a failed load must keep it */
    char path[2048];
    write_csv(path, sizeof path, "keep.csv",
              "reference,distorted,score\na,b,1\n");
    assert_int_equal(maso_eval_pairs_load_csv(p, path), 0);

    expect_error(p, "score.csv",
                 "reference,distorted,score\na,b,1\nc,d,abc\n", "3",
                 "score 'abc' is not a finite number");
    expect_error(p, "nan.csv", "reference,distorted,score\na,b,nan\n", "2",
                 "not a finite number");
    expect_error(p, "fields.csv",
                 "reference,distorted,score\r\na,b,1\r\nc,d\r\n", "3",
                 "2 fields, the header has 3");
    expect_error(p, "column.csv", "reference,score\na,1\n", "1",
                 "no 'distorted' column");
    expect_error(p, "quote.csv",
                 "reference,distorted,score\na,b,1\n\"open,b,1\n", "3",
                 "unterminated quoted field");
    expect_error(p, "after.csv",
                 "reference,distorted,score\n\"a\"x,b,1\n", "2",
                 "after a closing quote");
    expect_error(p, "inner.csv", "reference,distorted,score\na\"b,c,1\n",
                 "2", "quote inside an unquoted field");
    expect_error(p, "emptypath.csv",
                 "reference,distorted,score\na,b,1\n\n,b,2\n", "4",
                 "empty reference path");
    expect_error(p, "empty.csv", "", "1", "empty file");
    expect_error(p, "header-only.csv", "reference,distorted,score\n", "2",
                 "no pairs");

    assert_int_equal(maso_eval_pairs_count(p), 1);
    assert_string_equal(maso_eval_pairs_get(p, 0)->distorted,
                        strcat(strcpy(path, dir()), "/b"));

    snprintf(path, sizeof path, "%s/missing.csv", dir());
    remove(path);
    assert_int_equal(maso_eval_pairs_load_csv(p, path), ENOENT);
    assert_non_null(strstr(maso_eval_pairs_errmsg(p), "missing.csv"));
    assert_int_equal(maso_eval_pairs_load_csv(p, dir()), EISDIR);
    assert_int_equal(maso_eval_pairs_load_csv(NULL, path), MASO_EINVAL_ARG);
    maso_eval_pairs_destroy(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quoting_and_line_ends),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
