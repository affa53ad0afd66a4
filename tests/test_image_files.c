/*
 * test_image_files.c -- maso_decoder_load_file(): I/O errors and their
 * messages, type sniffing by content, and every shared sample image.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <turbojpeg.h>

#include "image_fixtures.h"
#include "maso.h"

static maso_decoder *dec;

static int setup(void **state)
{
    (void)state;
    return maso_decoder_create(&dec);
}

static int teardown(void **state)
{
    (void)state;
    maso_decoder_destroy(dec);
    return 0;
}

static void tmp_path(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", MASO_TEST_TMPDIR, name);
}

static void test_empty_file(void **state)
{
    char path[512];
    maso_image img;
    (void)state;
    tmp_path(path, sizeof path, "img_empty.png");
    fx_write_file(path, "", 0);
    assert_int_equal(maso_decoder_load_file(dec, path, NULL, &img),
                     MASO_EFORMAT);
    assert_null(img.pixels);
    assert_non_null(strstr(maso_decoder_errmsg(dec), path));
    assert_non_null(strstr(maso_decoder_errmsg(dec), "empty"));
}

static void test_missing_file(void **state)
{
    char path[512];
    maso_image img;
    (void)state;
    tmp_path(path, sizeof path, "img_does_not_exist.jpg");
    remove(path);
    assert_int_equal(maso_decoder_load_file(dec, path, NULL, &img), ENOENT);
    assert_non_null(strstr(maso_decoder_errmsg(dec), path));
    assert_non_null(strstr(maso_decoder_errmsg(dec), strerror(ENOENT)));
    assert_int_equal(maso_decoder_load_file(dec, MASO_TEST_TMPDIR, NULL, &img),
                     EISDIR);
}

/* The type comes from the bytes: a text file named .png is refused, and
 * a JPEG named .png decodes. */
static void test_sniffing(void **state)
{
    char path[512];
    maso_image img;
    unsigned char px[16 * 16 * 3];
    (void)state;

    tmp_path(path, sizeof path, "img_text.png");
    fx_write_file(path, "hello, this is text\n", 20);
    assert_int_equal(maso_decoder_load_file(dec, path, NULL, &img),
                     MASO_EFORMAT);
    assert_non_null(strstr(maso_decoder_errmsg(dec), "not an image format"));
    assert_non_null(strstr(maso_decoder_errmsg(dec), path));

    memset(px, 90, sizeof px);
    fx_buf jpeg = fx_jpeg_encode(px, 16, 16, TJPF_RGB, TJSAMP_444, 90, 0);
    tmp_path(path, sizeof path, "img_really_a_jpeg.png");
    fx_write_file(path, jpeg.data, jpeg.size);
    assert_int_equal(maso_decoder_load_file(dec, path, NULL, &img), 0);
    assert_string_equal(maso_decoder_errmsg(dec), "");
    assert_int_equal(img.width, 16);
    assert_true(abs(img.pixels[0] - 90) <= 2);
    maso_image_free(&img);
    free(jpeg.data);

    assert_int_equal(maso_decoder_load_memory(dec, NULL, 0, "x", NULL, &img),
                     MASO_EFORMAT);
    assert_int_equal(maso_decoder_load_file(NULL, path, NULL, &img),
                     MASO_EINVAL_ARG);
    assert_int_equal(maso_decoder_load_file(dec, NULL, NULL, &img),
                     MASO_EINVAL_ARG);
}

static void decode_dir(const char *dir, const char *const *names, size_t n,
                       int kodak)
{
    maso_decode_params p;

    maso_decode_params_init(&p);
    for (size_t i = 0; i < n; i++) {
        char path[512];
        maso_image img;
        int rc;

        snprintf(path, sizeof path, "%s/images/%s/%s", MASO_SHARED_DIR, dir,
                 names[i]);
        rc = maso_decoder_load_file(dec, path, &p, &img);
        if (rc != 0)
            fail_msg("%s", maso_decoder_errmsg(dec));
        if (kodak)
            assert_true((img.width == 768 && img.height == 512) ||
                        (img.width == 512 && img.height == 768));
        assert_true(img.width >= 64 && img.width <= 8192);
        assert_true(img.height >= 64 && img.height <= 8192);
        /* a photo is not one flat colour */
        size_t npx = (size_t)img.width * img.height * 3, differ = 0;
        for (size_t k = 3; k < npx; k += 3 * 97)
            differ += memcmp(img.pixels, img.pixels + k, 3) != 0;
        assert_true(differ > 0);
        maso_image_free(&img);
    }
}

static void test_shared_classify(void **state)
{
    static const char *const names[] = {
        "bird.png", "cat.png", "dog.jpg", "dragonfly.png", "eagle.jpg",
        "giraffe.jpg", "grace_hopper.png", "horses.jpg", "kite.jpg",
        "person.jpg", "scream.jpg", "sunflower.png"};
    (void)state;
    decode_dir("classify", names, sizeof names / sizeof *names, 0);
}

static void test_shared_kodak(void **state)
{
    char names_buf[24][16];
    const char *names[24];
    (void)state;
    for (int i = 0; i < 24; i++) {
        snprintf(names_buf[i], sizeof names_buf[i], "kodim%02d.png", i + 1);
        names[i] = names_buf[i];
    }
    decode_dir("kodak", names, 24, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_file),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_sniffing),
        cmocka_unit_test(test_shared_classify),
        cmocka_unit_test(test_shared_kodak),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
