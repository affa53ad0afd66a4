/*
 * test_optional_libraries.c -- libheif, libjxl, libtiff and libcurl are loaded only
 * when a file or a download needs them, and a missing one fails that file
 * alone with a message naming the library and the loader's cause.
 *
 * Run twice by ctest.  As it is: the process's loaded objects
 * (dl_iterate_phdr) hold none of the three after decoding a JPEG, a PNG and
 * every other format maso reads without them, then each appears with its
 * first HEIF, JPEG XL or TIFF file or download, and the files decode.  With
 * MASO_TEST_LIBRARIES=broken and LD_LIBRARY_PATH at a folder holding, under
 * their SONAMEs, empty files, another library (libxxhash, without the
 * functions) and a text file (tests/CMakeLists.txt makes it): the
 * dynamic loader's real failures, no stub of a decoder.  Each file then
 * fails with MASO_EUNSUPPORTED and its message, again on a second try (the
 * table is filled once), while the other formats still decode.
 */
#define _GNU_SOURCE /* dl_iterate_phdr */
#include <errno.h>
#include <limits.h>
#include <link.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "maso.h"
#include "maso_cli.h"

#define FIXTURES MASO_TEST_TMPDIR "/formats"
#define MODEL_DIR MASO_SHARED_DIR "/models/squeezenet_v1.1"

/* Formats decoded by libmaso itself or by linked libraries. */
static const char *const linked_formats[] = {
    "src.jpg", "src.png", "webp_lossy.webp", "gif_still.gif", "bmp_rgb24.bmp",
    "ppm_raw.ppm",
};

struct search {
    const char *name; /* a SONAME, or a part of a path */
    int exact;        /* the object's file name is name */
    int found;
};

static int visit(struct dl_phdr_info *info, size_t size, void *opaque)
{
    struct search *s = opaque;
    const char *path = info->dlpi_name, *base;
    (void)size;
    if (path == NULL || path[0] == '\0')
        return 0;
    base = strrchr(path, '/');
    base = base != NULL ? base + 1 : path;
    if (s->exact ? strcmp(base, s->name) == 0 : strstr(path, s->name) != NULL)
        s->found = 1;
    return 0;
}

/* Whether an object of the process has the file name @p soname. */
static int mapped(const char *soname)
{
    struct search s = {soname, 1, 0};
    dl_iterate_phdr(visit, &s);
    return s.found;
}

/* Whether any object's path contains @p part ("libheif", "libde265"). */
static int mapped_like(const char *part)
{
    struct search s = {part, 0, 0};
    dl_iterate_phdr(visit, &s);
    return s.found;
}

static int broken_mode(void)
{
    const char *mode = getenv("MASO_TEST_LIBRARIES");
    return mode != NULL && strcmp(mode, "broken") == 0;
}

/* Decode FIXTURES/@p name; returns the status, message in @p msg. */
static int decode(const char *name, char *msg, size_t len)
{
    char path[PATH_MAX];
    maso_decoder *dec = NULL;
    maso_decode_params params;
    maso_image img = {0, 0, NULL};
    int rc;

    snprintf(path, sizeof path, "%s/%s", FIXTURES, name);
    assert_int_equal(maso_decoder_create(&dec), 0);
    maso_decode_params_init(&params);
    rc = maso_decoder_load_file(dec, path, &params, &img);
    snprintf(msg, len, "%s", maso_decoder_errmsg(dec));
    if (rc == 0) {
        assert_true(img.width > 0 && img.height > 0);
        assert_non_null(img.pixels);
    }
    maso_image_free(&img);
    maso_decoder_destroy(dec);
    return rc;
}

static void decode_linked_formats(void)
{
    char msg[MASO_ERRMSG_SIZE];
    for (size_t i = 0; i < sizeof linked_formats / sizeof *linked_formats; i++)
        if (decode(linked_formats[i], msg, sizeof msg) != 0)
            fail_msg("%s: %s", linked_formats[i], msg);
}

/* Download the model's .param from its file:// URL into a scratch folder;
 * returns the status, message in @p err. */
static int download(char err[MASO_CLI_ERRLEN])
{
    char dir[PATH_MAX], path[PATH_MAX + 16], hex[65];
    snprintf(dir, sizeof dir, "%s/libraries-XXXXXX", MASO_TEST_TMPDIR);
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/model.param", dir);
    assert_int_equal(
        maso_sha256_file(MODEL_DIR "/squeezenet_v1.1.param", hex), 0);
    int rc = maso_cli_download("file://" MODEL_DIR "/squeezenet_v1.1.param",
                               path, hex, err);
    struct stat st;
    if (rc == 0) {
        char got[65];
        assert_int_equal(maso_sha256_file(path, got), 0);
        assert_string_equal(got, hex);
        remove(path);
    } else {
        assert_int_not_equal(stat(path, &st), 0); /* nothing left */
    }
    remove(dir);
    return rc;
}

static void test_loaded_when_needed(void **state)
{
    char msg[MASO_ERRMSG_SIZE], err[MASO_CLI_ERRLEN];
    (void)state;

    /* Nothing of them at start, nor after every other format. */
    decode_linked_formats();
    assert_false(mapped_like("libheif"));
    assert_false(mapped_like("libde265"));
    assert_false(mapped_like("libjxl"));
    assert_false(mapped_like("libhwy"));
    assert_false(mapped_like("libcurl"));
    assert_false(mapped_like("libtiff"));
    assert_false(mapped_like("libLerc"));

    /* The first HEIF file loads libheif, and only it. */
    if (decode("heif.heic", msg, sizeof msg) != 0)
        fail_msg("heif.heic: %s", msg);
    assert_true(mapped(MASO_LIBHEIF_SONAME));
    assert_false(mapped(MASO_LIBJXL_SONAME));
    if (decode("avif.avif", msg, sizeof msg) != 0)
        fail_msg("avif.avif: %s", msg);

    if (decode("jxl_lossy.jxl", msg, sizeof msg) != 0)
        fail_msg("jxl_lossy.jxl: %s", msg);
    assert_true(mapped(MASO_LIBJXL_SONAME));
    assert_false(mapped(MASO_LIBTIFF_SONAME));
    if (decode("tiff_lzw.tif", msg, sizeof msg) != 0)
        fail_msg("tiff_lzw.tif: %s", msg);
    assert_true(mapped(MASO_LIBTIFF_SONAME));
    assert_false(mapped(MASO_LIBCURL_SONAME));

    if (download(err) != 0)
        fail_msg("download: %s", err);
    assert_true(mapped(MASO_LIBCURL_SONAME));
}

/* A failure's message: "PATH: WHAT SONAME: CAUSE", CAUSE containing
 * @p cause. */
static void expect_missing(const char *file, const char *what,
                           const char *soname, const char *cause)
{
    char msg[MASO_ERRMSG_SIZE], want[512];
    for (int attempt = 0; attempt < 2; attempt++) {
        int rc = decode(file, msg, sizeof msg);
        assert_int_equal(rc, MASO_EUNSUPPORTED);
        snprintf(want, sizeof want, "%s/%s: %s support needs %s: ", FIXTURES,
                 file, what, soname);
        if (strncmp(msg, want, strlen(want)) != 0 ||
            strstr(msg + strlen(want), cause) == NULL)
            fail_msg("message '%s', expected '%s...%s...'", msg, want, cause);
    }
}

static void test_missing_library_fails_the_file(void **state)
{
    char err[MASO_CLI_ERRLEN], want[512];
    (void)state;

    decode_linked_formats();
    /* an empty file, another library, a text file */
    expect_missing("heif.heic", "HEIF", MASO_LIBHEIF_SONAME, "file too short");
    expect_missing("avif.avif", "HEIF", MASO_LIBHEIF_SONAME, "file too short");
    expect_missing("jxl_lossy.jxl", "JPEG XL", MASO_LIBJXL_SONAME,
                   "undefined symbol: JxlDecoder");
    expect_missing("tiff_lzw.tif", "TIFF", MASO_LIBTIFF_SONAME,
                   "file too short");
    assert_int_equal(download(err), MASO_EUNSUPPORTED);
    snprintf(want, sizeof want, "download of file://%s/squeezenet_v1.1.param "
             "needs %s: ", MODEL_DIR, MASO_LIBCURL_SONAME);
    if (strncmp(err, want, strlen(want)) != 0 ||
        strstr(err, "invalid ELF header") == NULL)
        fail_msg("message '%s', expected '%s...invalid ELF header'", err,
                 want);
    /* the other formats are unharmed */
    decode_linked_formats();
}

int main(void)
{
    const struct CMUnitTest as_installed[] = {
        cmocka_unit_test(test_loaded_when_needed),
    };
    const struct CMUnitTest broken[] = {
        cmocka_unit_test(test_missing_library_fails_the_file),
    };
    if (broken_mode())
        return cmocka_run_group_tests(broken, NULL, NULL);
    return cmocka_run_group_tests(as_installed, NULL, NULL);
}
