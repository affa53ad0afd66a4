/* test_act.c -- libmaso_act against what the file system says afterwards:
 * destinations of --move-to, moves that must refuse (existing target, not
 * a file), the trash's names and info files (freedesktop.org Trash spec:
 * unique names, URL-escaped Path), hard links (same inode; a no-op when
 * already linked; EXDEV across file systems), deletes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "maso_act.h"

#define DIR_ MASO_TEST_TMPDIR "/act"

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static char *slurp(const char *path)
{
    static char buf[4096];
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static int setup(void **state)
{
    (void)state;
    assert_int_equal(system("rm -rf '" DIR_ "' && mkdir -p '" DIR_ "'"), 0);
    return 0;
}

static void test_move_target(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(maso_act_move_target("/d", "/home/u", "/home/u/a/b.jpg",
                                          out, sizeof out), 0);
    assert_string_equal(out, "/d/a/b.jpg");
    assert_int_equal(maso_act_move_target("/d/", "/home/u/", "/home/u/b.jpg",
                                          out, sizeof out), 0);
    assert_string_equal(out, "/d/b.jpg");
    /* outside the base (a sibling with the same prefix too): whole path */
    assert_int_equal(maso_act_move_target("/d", "/home/u", "/home/uv/b.jpg",
                                          out, sizeof out), 0);
    assert_string_equal(out, "/d/home/uv/b.jpg");
    assert_int_equal(maso_act_move_target("/d", "/", "/x/y.png", out,
                                          sizeof out), 0);
    assert_string_equal(out, "/d/x/y.png");
    assert_int_equal(maso_act_move_target("/d", NULL, "/x.png", out, 6),
                     ENAMETOOLONG);
}

static void test_move(void **state)
{
    (void)state;
    char err[MASO_ACT_ERRLEN];
    put(DIR_ "/a.txt", "alpha");
    put(DIR_ "/taken.txt", "other");
    /* an existing destination is never replaced */
    assert_int_equal(maso_act_move(DIR_ "/a.txt", DIR_ "/taken.txt", err),
                     EEXIST);
    assert_non_null(strstr(err, "taken.txt"));
    assert_string_equal(slurp(DIR_ "/a.txt"), "alpha");
    assert_string_equal(slurp(DIR_ "/taken.txt"), "other");
    /* folders are created; the file arrives whole */
    assert_int_equal(maso_act_move(DIR_ "/a.txt", DIR_ "/x/y/a.txt", err), 0);
    assert_null(slurp(DIR_ "/a.txt"));
    assert_string_equal(slurp(DIR_ "/x/y/a.txt"), "alpha");
    /* not a regular file; a missing source */
    assert_int_equal(maso_act_move(DIR_ "/x", DIR_ "/z", err),
                     MASO_EINVAL_ARG);
    assert_int_equal(access(DIR_ "/z", F_OK), -1);
    assert_int_equal(maso_act_move(DIR_ "/none", DIR_ "/z", err), ENOENT);
    /* a folder in the way of the destination's parent */
    assert_int_equal(maso_act_move(DIR_ "/taken.txt", DIR_ "/x/y/a.txt/b",
                                   err), ENOTDIR);
    assert_string_equal(slurp(DIR_ "/taken.txt"), "other");
}

static void test_trash(void **state)
{
    (void)state;
    char err[MASO_ACT_ERRLEN], to[1024];
    assert_int_equal(setenv("XDG_DATA_HOME", DIR_ "/xdg", 1), 0);
    assert_int_equal(mkdir(DIR_ "/p", 0777), 0);
    /* two files of one name, one with a space and an accent */
    put(DIR_ "/p/caf\xc3\xa9 1.jpg", "one");
    assert_int_equal(maso_act_trash(DIR_ "/p/caf\xc3\xa9 1.jpg", to,
                                    sizeof to, err), 0);
    assert_string_equal(to, DIR_ "/xdg/Trash/files/caf\xc3\xa9 1.jpg");
    put(DIR_ "/p/caf\xc3\xa9 1.jpg", "two");
    assert_int_equal(maso_act_trash(DIR_ "/p/caf\xc3\xa9 1.jpg", to,
                                    sizeof to, err), 0);
    assert_string_equal(to, DIR_ "/xdg/Trash/files/caf\xc3\xa9 1.1.jpg");
    assert_string_equal(slurp(to), "two");
    assert_null(slurp(DIR_ "/p/caf\xc3\xa9 1.jpg"));
    char *info = slurp(DIR_ "/xdg/Trash/info/caf\xc3\xa9 1.1.jpg.trashinfo");
    assert_non_null(info);
    assert_memory_equal(info, "[Trash Info]\nPath=", 18);
    assert_non_null(strstr(info, "/p/caf%C3%A9%201.jpg\nDeletionDate="));
    assert_int_equal(strlen(strstr(info, "DeletionDate=")),
                     strlen("DeletionDate=2026-01-02T03:04:05\n"));
    /* a relative path is refused */
    assert_int_equal(maso_act_trash("p/x.jpg", NULL, 0, err), MASO_EINVAL_ARG);
}

static void test_hardlink_delete(void **state)
{
    (void)state;
    char err[MASO_ACT_ERRLEN];
    put(DIR_ "/kept.jpg", "kept");
    put(DIR_ "/copy.jpg", "copy");
    assert_int_equal(maso_act_hardlink(DIR_ "/kept.jpg", DIR_ "/copy.jpg",
                                       err), 0);
    assert_true(maso_act_same_file(DIR_ "/kept.jpg", DIR_ "/copy.jpg"));
    assert_string_equal(slurp(DIR_ "/copy.jpg"), "kept");
    /* again: nothing to do */
    assert_int_equal(maso_act_hardlink(DIR_ "/kept.jpg", DIR_ "/copy.jpg",
                                       err), 0);
    struct stat st;
    assert_int_equal(stat(DIR_ "/kept.jpg", &st), 0);
    assert_int_equal(st.st_nlink, 2);
    /* across file systems: refused, the file stays */
    struct stat shm, here;
    if (stat("/dev/shm", &shm) == 0 && stat(DIR_, &here) == 0 &&
        shm.st_dev != here.st_dev) {
        char other[128];
        snprintf(other, sizeof other, "/dev/shm/maso-test-act-%ld",
                 (long)getpid());
        put(other, "far");
        assert_int_equal(maso_act_hardlink(DIR_ "/kept.jpg", other, err),
                         EXDEV);
        assert_string_equal(slurp(other), "far");
        unlink(other);
    }
    assert_int_equal(maso_act_delete(DIR_ "/copy.jpg", err), 0);
    assert_int_equal(access(DIR_ "/copy.jpg", F_OK), -1);
    assert_string_equal(slurp(DIR_ "/kept.jpg"), "kept");
    assert_int_equal(maso_act_delete(DIR_ "/copy.jpg", err), ENOENT);
    assert_int_equal(mkdir(DIR_ "/d", 0777), 0);
    assert_int_equal(maso_act_delete(DIR_ "/d", err), EISDIR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_move_target, setup),
        cmocka_unit_test_setup(test_move, setup),
        cmocka_unit_test_setup(test_trash, setup),
        cmocka_unit_test_setup(test_hardlink_delete, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
