/*
 * test_index_plan.c -- maso-index's plan against a store made with the store
 * API: which files are skipped (same size and mtime), re-indexed (changed,
 * or --rescan), left as failed, and which records --prune removes (gone
 * files only: not files that exist but were not named).  Paths longer than
 * the store's short-path limit (hashed keys) included.  Also the walk:
 * recursion, what counts as an image, symbolic links, and what it leaves
 * out (other files, links, hidden folders and caches, --exclude).
 */
#define _DEFAULT_SOURCE /* mkdtemp, realpath */
#include <errno.h>
#include <fcntl.h>
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

#include "indexer.h"
#include "store_testutil.h"

#define CODE_BYTES 512

typedef struct fixture {
    char dir[4096];
    maso_store *store;
} fixture;

static void write_file(const char *path, const char *bytes, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static void join(char *out, const fixture *f, const char *name)
{
    snprintf(out, 4096, "%s/%s", f->dir, name);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "%s/plan_XXXXXX", MASO_TEST_TMPDIR);
    if (!mkdtemp(f->dir))
        return -1;
    /* The store keys records by absolute, resolved paths. */
    char *real = realpath(f->dir, NULL);
    snprintf(f->dir, sizeof f->dir, "%s", real);
    free(real);
    maso_store_identity id;
    store_test_identity(&id, store_test_layers, 2); /* a 512-byte code */
    char db[4096];
    join(db, f, "db");
    if (maso_store_create(&f->store) != 0 ||
        maso_store_open(f->store, db, MASO_STORE_CREATE, &id) != 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    maso_store_destroy(f->store);
    store_test_rmtree(f->dir);
    free(f);
    return 0;
}

/* Queue a record for @p path with the given size and mtime. */
static void put(maso_store_batch *b, const char *path, uint64_t size,
                int64_t mtime_ns, maso_record_status status)
{
    static uint8_t code[CODE_BYTES];
    maso_store_record r;
    memset(&r, 0, sizeof r);
    r.path = path;
    r.size = size;
    r.mtime_ns = mtime_ns;
    r.status = status;
    r.reason = status == MASO_RECORD_FAILED ? "truncated" : NULL;
    r.code = status == MASO_RECORD_OK ? code : NULL;
    assert_int_equal(maso_store_batch_put(b, &r), 0);
}

static void stat_of(const char *path, uint64_t *size, int64_t *mtime_ns)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    *size = (uint64_t)st.st_size;
    *mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
}

static int in_todo(const index_plan *p, const char *path)
{
    for (size_t i = 0; i < p->n_todo; i++)
        if (strcmp(p->todo[i].path, path) == 0)
            return 1;
    return 0;
}

static void test_plan_decisions(void **state)
{
    fixture *f = *state;
    char same[4096], grown[4096], touched[4096], failed[4096], fresh[4096],
        gone[4096], other[4096], longdir[4096], longp[4096];
    join(same, f, "same.png");
    join(grown, f, "grown.png");
    join(touched, f, "touched.png");
    join(failed, f, "failed.jpg");
    join(fresh, f, "fresh.png");
    join(gone, f, "gone.png");
    join(other, f, "other.png");
    /* A path over MASO_STORE_SHORT_PATH bytes: stored under a hash. */
    char name[201];
    memset(name, 'd', 200);
    name[200] = '\0';
    snprintf(longdir, sizeof longdir, "%s/%s", f->dir, name);
    assert_int_equal(mkdir(longdir, 0755), 0);
    snprintf(longdir + strlen(longdir), sizeof longdir - strlen(longdir),
             "/%s", name);
    assert_int_equal(mkdir(longdir, 0755), 0);
    snprintf(longp, sizeof longp, "%s/%s.png", longdir, name);
    assert_true(strlen(longp) > MASO_STORE_SHORT_PATH);

    const char *on_disk[] = { same, grown, touched, failed, fresh, other, longp };
    for (size_t i = 0; i < 7; i++)
        write_file(on_disk[i], "0123456789", 10);
    uint64_t size;
    int64_t mtime;
    maso_store_batch *b;
    assert_int_equal(maso_store_batch_begin(f->store, &b), 0);
    stat_of(same, &size, &mtime);
    put(b, same, size, mtime, MASO_RECORD_OK);
    stat_of(grown, &size, &mtime);
    put(b, grown, size - 1, mtime, MASO_RECORD_OK);
    stat_of(touched, &size, &mtime);
    put(b, touched, size, mtime - 1, MASO_RECORD_OK);
    stat_of(failed, &size, &mtime);
    put(b, failed, size, mtime, MASO_RECORD_FAILED);
    stat_of(longp, &size, &mtime);
    put(b, longp, size, mtime, MASO_RECORD_OK);
    put(b, gone, 10, 1, MASO_RECORD_OK);
    stat_of(other, &size, &mtime);
    put(b, other, size, mtime, MASO_RECORD_OK);
    assert_int_equal(maso_store_batch_commit(b), 0);

    /* Named this run: everything but other.png (exists, not named). */
    walk_list files = {0};
    walk_options wo = { .follow_symlinks = 0 };
    const char *named[] = { same, grown, touched, failed, fresh, longp };
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(walk_add(&files, named[i], &wo), 0);
    walk_finish(&files);

    index_plan plan;
    assert_int_equal(index_plan_build(f->store, &files, 0, 1, &plan), 0);
    assert_int_equal(plan.n_todo, 3);
    assert_true(in_todo(&plan, grown));
    assert_true(in_todo(&plan, touched));
    assert_true(in_todo(&plan, fresh));
    assert_int_equal(plan.skipped, 2);        /* same, long */
    assert_int_equal(plan.skipped_failed, 1); /* failed */
    assert_int_equal(plan.n_prune, 1);
    assert_string_equal(plan.prune[0], gone);
    /* The items carry what the records will hold. */
    for (size_t i = 0; i < plan.n_todo; i++) {
        stat_of(plan.todo[i].path, &size, &mtime);
        assert_int_equal(plan.todo[i].size, size);
        assert_int_equal(plan.todo[i].mtime_ns, mtime);
    }
    index_plan_free(&plan);

    /* --rescan, no --prune: every named file, nothing removed. */
    assert_int_equal(index_plan_build(f->store, &files, 1, 0, &plan), 0);
    assert_int_equal(plan.n_todo, 6);
    assert_int_equal(plan.skipped + plan.skipped_failed, 0);
    assert_int_equal(plan.n_prune, 0);
    index_plan_free(&plan);

    /* Nothing named, --prune alone: only the gone record. */
    walk_list none = {0};
    assert_int_equal(index_plan_build(f->store, &none, 0, 1, &plan), 0);
    assert_int_equal(plan.n_todo, 0);
    assert_int_equal(plan.n_prune, 1);
    index_plan_free(&plan);
    walk_free(&files);
}

static void on_error(void *opaque, const char *path, int err)
{
    (void)path;
    (void)err;
    (*(int *)opaque)++;
}

static void test_walk(void **state)
{
    fixture *f = *state;
    char p[4096], q[4096];
    join(p, f, "tree");
    assert_int_equal(mkdir(p, 0755), 0);
    join(p, f, "tree/sub");
    assert_int_equal(mkdir(p, 0755), 0);
    join(p, f, "tree/a.JPG");
    write_file(p, "x", 1);                   /* image name, any bytes */
    join(p, f, "tree/sub/b.png");
    write_file(p, "x", 1);
    join(p, f, "tree/sub/camera.dat");
    write_file(p, "\xff\xd8\xff\xe0", 4);    /* JPEG signature */
    join(p, f, "tree/notes.txt");
    write_file(p, "notes", 5);               /* neither: left out */
    join(p, f, "outside.png");
    write_file(p, "x", 1);
    join(q, f, "tree/link.png");
    assert_int_equal(symlink(p, q), 0);

    int errors = 0;
    walk_options wo = { .on_error = on_error, .opaque = &errors };
    walk_list list = {0};
    join(p, f, "tree");
    assert_int_equal(walk_add(&list, p, &wo), 0);
    assert_int_equal(walk_add(&list, p, &wo), 0); /* twice: deduplicated */
    walk_finish(&list);
    assert_int_equal(list.count, 3);
    join(p, f, "tree/a.JPG");
    assert_string_equal(list.path[0], p);
    join(p, f, "tree/sub/b.png");
    assert_string_equal(list.path[1], p);
    join(p, f, "tree/sub/camera.dat");
    assert_string_equal(list.path[2], p);
    walk_free(&list);

    wo.follow_symlinks = 1;
    join(p, f, "tree");
    assert_int_equal(walk_add(&list, p, &wo), 0);
    walk_finish(&list);
    assert_int_equal(list.count, 4);
    walk_free(&list);

    /* A missing named path is the caller's error; --files-from lists
     * report it through on_error and go on. */
    join(p, f, "missing.png");
    assert_int_equal(walk_add(&list, p, &wo), ENOENT);
    char text[8300];
    snprintf(text, sizeof text, "%s/missing.png%c%s/outside.png%c", f->dir,
             '\0', f->dir, '\0');
    FILE *in = fmemopen(text, strlen(f->dir) * 2 + 26, "r");
    assert_non_null(in);
    assert_int_equal(walk_add_from(&list, in, 1, &wo), 0);
    fclose(in);
    assert_int_equal(errors, 1);
    assert_int_equal(list.count, 1);
    join(p, f, "outside.png");
    assert_string_equal(list.path[0], p);
    walk_free(&list);
}

/* The skipped entry for @p path, or -1 when it was not skipped. */
static int skip_reason(const walk_list *list, const char *path)
{
    for (size_t i = 0; i < list->n_skipped; i++)
        if (strcmp(list->skipped[i].path, path) == 0)
            return (int)list->skipped[i].why;
    return -1;
}

static int listed(const walk_list *list, const char *path)
{
    for (size_t i = 0; i < list->count; i++)
        if (strcmp(list->path[i], path) == 0)
            return 1;
    return 0;
}

/* Nothing is left out silently: other files, links, hidden folders and
 * caches, exclusions each come back with their reason, once even when
 * folders overlap; --hidden and patterns change what is walked. */
static void test_walk_skips(void **state)
{
    fixture *f = *state;
    char p[4096], q[4096];
    static const char *const dirs[] = {
        "t", "t/.thumbnails", "t/@eaDir", "t/.Trash-1000", "t/Backups",
        "t/2019", "t/2019/raw", "t/$RECYCLE.BIN",
    };
    static const char *const files[] = {
        "t/a.webp", "t/b.HEIC", "t/c.tif", "t/notes.txt", "t/._d.jpg",
        "t/.thumbnails/x.png", "t/@eaDir/y.jpg", "t/.Trash-1000/z.png",
        "t/Backups/old.png", "t/2019/e.bmp", "t/2019/raw/f.pgm",
        "t/2019/g.tmp", "t/$RECYCLE.BIN/h.gif", "t/2019/nameless",
    };
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        join(p, f, dirs[i]);
        assert_int_equal(mkdir(p, 0755), 0);
    }
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        join(p, f, files[i]);
        write_file(p, "x", 1);
    }
    join(p, f, "t/2019/nameless"); /* a GIF by its bytes only */
    write_file(p, "GIF89a\1\0\1\0", 10);
    join(p, f, "t/a.webp");
    join(q, f, "t/link.webp");
    assert_int_equal(symlink(p, q), 0);

    walk_list list = {0};
    walk_options wo = { .follow_symlinks = 0 };
    join(p, f, "t");
    assert_int_equal(walk_add(&list, p, &wo), 0);
    join(p, f, "t/2019"); /* overlapping: counted once */
    assert_int_equal(walk_add(&list, p, &wo), 0);
    walk_finish(&list);
    static const char *const indexed[] = {
        "t/a.webp", "t/b.HEIC", "t/c.tif", "t/Backups/old.png",
        "t/2019/e.bmp", "t/2019/raw/f.pgm", "t/2019/nameless",
    };
    assert_int_equal(list.count, sizeof indexed / sizeof indexed[0]);
    for (size_t i = 0; i < list.count; i++) {
        join(p, f, indexed[i]);
        assert_true(listed(&list, p));
    }
    static const struct { const char *path; walk_skip why; } skipped[] = {
        {"t/notes.txt", WALK_SKIP_OTHER}, {"t/2019/g.tmp", WALK_SKIP_OTHER},
        {"t/link.webp", WALK_SKIP_SYMLINK}, {"t/._d.jpg", WALK_SKIP_HIDDEN},
        {"t/.thumbnails", WALK_SKIP_HIDDEN}, {"t/@eaDir", WALK_SKIP_HIDDEN},
        {"t/.Trash-1000", WALK_SKIP_HIDDEN},
        {"t/$RECYCLE.BIN", WALK_SKIP_HIDDEN},
    };
    assert_int_equal(list.n_skipped, sizeof skipped / sizeof skipped[0]);
    for (size_t i = 0; i < sizeof skipped / sizeof skipped[0]; i++) {
        join(p, f, skipped[i].path);
        assert_int_equal(skip_reason(&list, p), (int)skipped[i].why);
    }
    assert_int_equal(walk_skipped_count(&list, WALK_SKIP_OTHER), 2);
    assert_int_equal(walk_skipped_count(&list, WALK_SKIP_SYMLINK), 1);
    assert_int_equal(walk_skipped_count(&list, WALK_SKIP_HIDDEN), 5);
    assert_int_equal(walk_skipped_count(&list, WALK_SKIP_EXCLUDED), 0);
    walk_free(&list);

    /* --hidden walks them all; -L follows the link. */
    wo.include_hidden = 1;
    wo.follow_symlinks = 1;
    join(p, f, "t");
    assert_int_equal(walk_add(&list, p, &wo), 0);
    walk_finish(&list);
    assert_int_equal(list.count, 7 + 6);
    assert_int_equal(list.n_skipped, 2); /* notes.txt, g.tmp */
    walk_free(&list);

    /* Patterns: a name at any depth, a wildcard, a path (relative to the
     * current directory) and the folder it names; named paths too. */
    walk_patterns ex = {0};
    assert_int_equal(walk_patterns_add(&ex, "Backups"), 0);
    assert_int_equal(walk_patterns_add(&ex, "*.tmp"), 0);
    assert_int_equal(walk_patterns_add(&ex, ""), EINVAL);
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(f->dir), 0);
    assert_int_equal(walk_patterns_add(&ex, "t/2019/raw/"), 0);
    assert_int_equal(chdir(cwd), 0);
    char text[] = "# comment\n\n*.HEIC\n";
    FILE *in = fmemopen(text, strlen(text), "r");
    assert_non_null(in);
    assert_int_equal(walk_patterns_read(&ex, in), 0);
    fclose(in);
    assert_int_equal(ex.count, 4);
    join(p, f, "t/2019/raw/f.pgm");
    assert_true(walk_patterns_match(&ex, p));
    join(p, f, "t/2019/rawer/f.pgm");
    assert_false(walk_patterns_match(&ex, p));
    join(p, f, "t/Backups/2019/x.png");
    assert_true(walk_patterns_match(&ex, p));
    join(p, f, "t/NotBackups/x.png");
    assert_false(walk_patterns_match(&ex, p));

    wo.include_hidden = 0;
    wo.follow_symlinks = 0;
    wo.exclude = &ex;
    join(p, f, "t");
    assert_int_equal(walk_add(&list, p, &wo), 0);
    join(p, f, "t/Backups/old.png"); /* named, and excluded */
    assert_int_equal(walk_add(&list, p, &wo), 0);
    walk_finish(&list);
    assert_int_equal(list.count, 4); /* a.webp c.tif e.bmp nameless */
    assert_int_equal(walk_skipped_count(&list, WALK_SKIP_EXCLUDED), 5);
    static const char *const excluded[] = {
        "t/Backups", "t/2019/g.tmp", "t/2019/raw", "t/b.HEIC",
    };
    for (size_t i = 0; i < 4; i++) {
        join(p, f, excluded[i]);
        assert_int_equal(skip_reason(&list, p), WALK_SKIP_EXCLUDED);
    }
    join(p, f, "t/Backups/old.png");
    assert_int_equal(skip_reason(&list, p), WALK_SKIP_EXCLUDED);
    walk_free(&list);
    walk_patterns_free(&ex);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_plan_decisions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_walk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_walk_skips, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
