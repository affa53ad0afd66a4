/*
 * test_image_formats.c -- WebP, TIFF, GIF, HEIF, AVIF, JPEG XL, BMP and PNM
 * files written by Debian's tools (tests/programs/make_format_fixtures.sh)
 * decoded by libmaso and compared with their twins: PNGs written by an
 * independent encoder or decoder (the source itself for lossless formats,
 * dwebp / heif-convert / djxl for lossy ones).  Then orientation metadata,
 * the size limit, truncated and corrupted copies of every file, and type
 * detection by content.
 */
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

#include "maso.h"

#define FIXTURES MASO_TEST_TMPDIR "/formats"

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

static void fixture_path(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", FIXTURES, name);
}

static unsigned char *read_fixture(const char *name, size_t *size)
{
    char path[512];
    FILE *f;
    long n;
    unsigned char *data;

    fixture_path(path, sizeof path, name);
    f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("%s: %s (make_format_fixtures.sh writes it)", path,
                 strerror(errno));
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    data = malloc((size_t)n + 1);
    assert_non_null(data);
    assert_int_equal(fread(data, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *size = (size_t)n;
    return data;
}

static void load(const char *name, const maso_decode_params *params,
                 maso_image *img)
{
    char path[512];
    int rc;

    fixture_path(path, sizeof path, name);
    rc = maso_decoder_load_file(dec, path, params, img);
    if (rc != 0)
        fail_msg("%s: %s", name, maso_decoder_errmsg(dec));
    assert_string_equal(maso_decoder_errmsg(dec), "");
}

/* Largest and mean absolute sample difference; the sizes must match. */
static void compare(const char *name, const maso_image *a, const maso_image *b,
                    int *max_diff, double *mean_diff)
{
    size_t n;
    uint64_t sum = 0;
    int mx = 0;

    if (a->width != b->width || a->height != b->height)
        fail_msg("%s: %dx%d, its twin %dx%d", name, a->width, a->height,
                 b->width, b->height);
    n = (size_t)a->width * (size_t)a->height * 3;
    for (size_t i = 0; i < n; i++) {
        int d = abs((int)a->pixels[i] - (int)b->pixels[i]);
        sum += (uint64_t)d;
        if (d > mx)
            mx = d;
    }
    *max_diff = mx;
    *mean_diff = (double)sum / (double)n;
}

static double psnr(const maso_image *a, const maso_image *b)
{
    size_t n = (size_t)a->width * (size_t)a->height * 3;
    double se = 0;

    for (size_t i = 0; i < n; i++) {
        double d = (double)a->pixels[i] - (double)b->pixels[i];
        se += d * d;
    }
    return se == 0 ? 99.0 : 10.0 * log10(255.0 * 255.0 * (double)n / se);
}

typedef struct format_case {
    const char *file, *twin;
    maso_format format;
    int max_diff;      /* largest sample difference allowed */
    double max_mean;   /* mean difference allowed */
} format_case;

/* Tolerances: 0 (identical) everywhere, lossy formats included, since
 * their twins come from the formats' own reference decoders and libmaso
 * asks the same libraries for the same conversion; and ImageMagick's TIFF
 * CMYK conversion is the same naive formula.  1 for 16-bit CMYK (our
 * high bytes against ImageMagick's 16-bit arithmetic) and 5- and 6-bit BMP
 * fields, scaled to 8 bits by rounding (ours) or by bit replication
 * (ImageMagick). */
static const format_case cases[] = {
    {"png_exif6.png", "src_rot90.png", MASO_FORMAT_PNG, 0, 0},
    {"webp_lossless.webp", "src.png", MASO_FORMAT_WEBP, 0, 0},
    {"webp_alpha.webp", "alpha.png", MASO_FORMAT_WEBP, 0, 0},
    {"webp_lossy.webp", "webp_lossy_twin.png", MASO_FORMAT_WEBP, 0, 0},
    {"webp_anim.webp", "src.png", MASO_FORMAT_WEBP, 0, 0},
    {"webp_exif6.webp", "src_rot90.png", MASO_FORMAT_WEBP, 0, 0},
    {"tiff_rgb8.tif", "src.png", MASO_FORMAT_TIFF, 0, 0},
    {"tiff_lzw.tif", "src.png", MASO_FORMAT_TIFF, 0, 0},
    {"tiff_zip.tif", "src.png", MASO_FORMAT_TIFF, 0, 0},
    {"tiff_rgb16.tif", "src.png", MASO_FORMAT_TIFF, 0, 0},
    {"tiff_grey.tif", "grey.png", MASO_FORMAT_TIFF, 0, 0},
    {"tiff_palette.tif", "pal.png", MASO_FORMAT_TIFF, 0, 0},
    {"tiff_cmyk.tif", "tiff_cmyk_twin.png", MASO_FORMAT_TIFF, 0, 0},
    {"tiff_cmyk16.tif", "tiff_cmyk16_twin.png", MASO_FORMAT_TIFF, 1, 0.5},
    {"tiff_alpha.tif", "alpha.png", MASO_FORMAT_TIFF, 0, 0},
    {"tiff_pages.tif", "src.png", MASO_FORMAT_TIFF, 0, 0},
    {"tiff_planar.tif", "src.png", MASO_FORMAT_TIFF, 0, 0},
    {"tiff_tiled.tif", "src.png", MASO_FORMAT_TIFF, 0, 0},
    {"tiff_orient6.tif", "src_rot90.png", MASO_FORMAT_TIFF, 0, 0},
    {"gif_still.gif", "pal.png", MASO_FORMAT_GIF, 0, 0},
    {"gif_interlaced.gif", "pal.png", MASO_FORMAT_GIF, 0, 0},
    {"gif_anim.gif", "pal.png", MASO_FORMAT_GIF, 0, 0},
    {"heif.heic", "heif_twin.png", MASO_FORMAT_HEIF, 0, 0},
    {"heif_alpha.heic", "heif_alpha_twin.png", MASO_FORMAT_HEIF, 0, 0},
    {"heif_exif6.heic", "heif_exif6_twin.png", MASO_FORMAT_HEIF, 0, 0},
    {"heif_irot3.heic", "heif_irot3_twin.png", MASO_FORMAT_HEIF, 0, 0},
    {"heif_grey.heic", "heif_grey_twin.png", MASO_FORMAT_HEIF, 0, 0},
    {"heif_10bit.heic", "heif_10bit_twin.png", MASO_FORMAT_HEIF, 0, 0},
    {"avif.avif", "avif_twin.png", MASO_FORMAT_AVIF, 0, 0},
    {"jxl_lossless.jxl", "src.png", MASO_FORMAT_JXL, 0, 0},
    {"jxl_alpha.jxl", "alpha.png", MASO_FORMAT_JXL, 0, 0},
    {"jxl_grey.jxl", "grey.png", MASO_FORMAT_JXL, 0, 0},
    {"jxl_16bit.jxl", "src.png", MASO_FORMAT_JXL, 0, 0},
    {"jxl_lossy.jxl", "jxl_lossy_twin.png", MASO_FORMAT_JXL, 0, 0},
    {"jxl_exif6.jxl", "jxl_exif6_twin.png", MASO_FORMAT_JXL, 0, 0},
    {"bmp_rgb24.bmp", "src.png", MASO_FORMAT_BMP, 0, 0},
    {"bmp_os2.bmp", "src.png", MASO_FORMAT_BMP, 0, 0},
    {"bmp_pal8.bmp", "pal.png", MASO_FORMAT_BMP, 0, 0},
    {"bmp_rle8.bmp", "pal.png", MASO_FORMAT_BMP, 0, 0},
    {"bmp_rgb565.bmp", "bmp_rgb565_twin.png", MASO_FORMAT_BMP, 1, 0.1},
    {"bmp_alpha32.bmp", "alpha.png", MASO_FORMAT_BMP, 0, 0},
    {"bmp_mono.bmp", "mono.png", MASO_FORMAT_BMP, 0, 0},
    {"ppm_raw.ppm", "src.png", MASO_FORMAT_PNM, 0, 0},
    {"ppm_plain.ppm", "src.png", MASO_FORMAT_PNM, 0, 0},
    {"ppm_raw16.ppm", "src.png", MASO_FORMAT_PNM, 0, 0},
    {"pgm_raw.pgm", "grey.png", MASO_FORMAT_PNM, 0, 0},
    {"pgm_plain.pgm", "grey.png", MASO_FORMAT_PNM, 0, 0},
    {"pbm_raw.pbm", "mono.png", MASO_FORMAT_PNM, 0, 0},
    {"pbm_plain.pbm", "mono.png", MASO_FORMAT_PNM, 0, 0},
    {"pam_alpha.pam", "alpha.png", MASO_FORMAT_PNM, 0, 0},
};
#define N_CASES (sizeof cases / sizeof cases[0])

/* Every file decodes to its twin within its tolerance. */
static void test_twins(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_CASES; i++) {
        maso_image img, twin;
        int mx;
        double mean;

        load(cases[i].file, NULL, &img);
        load(cases[i].twin, NULL, &twin);
        compare(cases[i].file, &img, &twin, &mx, &mean);
        print_message("%-22s %-22s max %d mean %.3f\n", cases[i].file,
                      cases[i].twin, mx, mean);
        if (mx > cases[i].max_diff || mean > cases[i].max_mean)
            fail_msg("%s differs from %s: max %d (allowed %d), mean %.3f "
                     "(allowed %.3f)", cases[i].file, cases[i].twin, mx,
                     cases[i].max_diff, mean, cases[i].max_mean);
        maso_image_free(&img);
        maso_image_free(&twin);
    }
}

/* The lossy files are near the source itself, so a twin made by the same
 * library cannot hide a shared mistake (a colour swap, a shift). */
static void test_lossy_near_source(void **state)
{
    static const struct { const char *file, *src; double min_psnr; } lossy[] = {
        {"webp_lossy.webp", "src.png", 30},
        {"heif.heic", "src.png", 30},
        {"avif.avif", "src.png", 30},
        {"jxl_lossy.jxl", "src.png", 30},
        {"jxl_exif6.jxl", "src_rot90.png", 30},
        {"tiff_cmyk.tif", "src.png", 30},
        {"heif_alpha.heic", "alpha.png", 30},
    };
    (void)state;
    for (size_t i = 0; i < sizeof lossy / sizeof lossy[0]; i++) {
        maso_image img, src;
        int mx;
        double mean, p;

        load(lossy[i].file, NULL, &img);
        load(lossy[i].src, NULL, &src);
        compare(lossy[i].file, &img, &src, &mx, &mean);
        p = psnr(&img, &src);
        print_message("%-18s vs %-14s PSNR %.1f dB\n", lossy[i].file,
                      lossy[i].src, p);
        if (p < lossy[i].min_psnr)
            fail_msg("%s: PSNR %.1f dB against %s", lossy[i].file, p,
                     lossy[i].src);
        maso_image_free(&img);
        maso_image_free(&src);
    }
}

/* With apply_orientation off, a file with an orientation is the stored
 * picture; HEIF's EXIF orientation is never applied (HEIF says how to
 * show an image with its own transformation boxes). */
static void test_orientation_off(void **state)
{
    static const char *const files[] = {"png_exif6.png", "webp_exif6.webp",
                                        "tiff_orient6.tif"};
    maso_decode_params p;
    maso_image img, src;
    int mx;
    double mean;
    (void)state;

    maso_decode_params_init(&p);
    p.apply_orientation = 0;
    load("src.png", NULL, &src);
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        load(files[i], &p, &img);
        compare(files[i], &img, &src, &mx, &mean);
        assert_int_equal(mx, 0);
        maso_image_free(&img);
    }
    load("heif_exif6.heic", NULL, &img);
    assert_int_equal(img.width, src.width);
    assert_int_equal(img.height, src.height);
    assert_true(psnr(&img, &src) > 30);
    maso_image_free(&img);
    maso_image_free(&src);
}

/* Every file is recognised by its bytes, whatever its name. */
static void test_detect(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_CASES; i++) {
        size_t size;
        unsigned char *data = read_fixture(cases[i].file, &size);
        maso_format f = maso_format_detect(data, size < 32 ? size : 32);
        if (f != cases[i].format)
            fail_msg("%s detected as %s, not %s", cases[i].file,
                     maso_format_name(f), maso_format_name(cases[i].format));
        free(data);
    }
    for (size_t i = 0; i < 2; i++) {
        const char *name = i ? "video.mp4" : "text.txt";
        char path[512];
        maso_image img;
        size_t size;
        unsigned char *data = read_fixture(name, &size);

        assert_int_equal(maso_format_detect(data, size), MASO_FORMAT_UNKNOWN);
        free(data);
        fixture_path(path, sizeof path, name);
        assert_int_equal(maso_decoder_load_file(dec, path, NULL, &img),
                         MASO_EFORMAT);
        assert_non_null(strstr(maso_decoder_errmsg(dec), "not an image"));
    }
    assert_string_equal(maso_format_name(MASO_FORMAT_JXL), "JPEG XL");
    assert_int_equal(maso_format_detect(NULL, 0), MASO_FORMAT_UNKNOWN);
}

static void expect_failure(const char *what, const char *format_name, int rc,
                           int expected)
{
    const char *msg = maso_decoder_errmsg(dec);

    if (rc != expected)
        fail_msg("%s: status %d (%s), expected %d: %s", what, rc,
                 maso_strerror(rc), expected, msg);
    if (strstr(msg, what) == NULL || strstr(msg, format_name) == NULL)
        fail_msg("%s: the message does not name the file and %s: %s", what,
                 format_name, msg);
}

/* max_pixels is checked before decoding, in every format. */
static void test_size_limit(void **state)
{
    maso_decode_params p;
    (void)state;

    maso_decode_params_init(&p);
    p.max_pixels = 97 * 65 - 1;
    for (size_t i = 0; i < N_CASES; i++) {
        size_t size;
        unsigned char *data = read_fixture(cases[i].file, &size);
        maso_image img;
        int rc = maso_decoder_load_memory(dec, data, size, cases[i].file, &p,
                                          &img);
        expect_failure(cases[i].file, maso_format_name(cases[i].format), rc,
                       MASO_ETOOBIG);
        assert_null(img.pixels);
        free(data);
    }
}

/* Decompression bombs: small files whose headers claim 10^10 pixels or
 * more are refused with the default limit, before any pixel memory is
 * asked for (the sizes here could not be allocated). */
static void test_bombs(void **state)
{
    static const char pnm[] = "P6\n100000 100000\n255\n\0\0\0";
    static const char pam[] = "P7\nWIDTH 200000\nHEIGHT 200000\nDEPTH 3\n"
                              "MAXVAL 255\nENDHDR\n\0\0\0";
    maso_image img;
    size_t size;
    unsigned char *data;
    (void)state;

    assert_int_equal(maso_decoder_load_memory(dec, pnm, sizeof pnm - 1, "bomb.ppm",
                                              NULL, &img), MASO_ETOOBIG);
    assert_int_equal(maso_decoder_load_memory(dec, pam, sizeof pam - 1, "bomb.pam",
                                              NULL, &img), MASO_ETOOBIG);
    /* GIF: a 65535 x 65535 logical screen. */
    data = read_fixture("gif_still.gif", &size);
    memset(data + 6, 0xFF, 4);
    assert_int_equal(maso_decoder_load_memory(dec, data, size, "bomb.gif", NULL,
                                              &img), MASO_ETOOBIG);
    assert_non_null(strstr(maso_decoder_errmsg(dec), "65535x65535"));
    free(data);
    /* BMP: 100000 x -100000 (top-down). */
    data = read_fixture("bmp_rgb24.bmp", &size);
    memcpy(data + 18, "\xA0\x86\x01\x00\x60\x79\xFE\xFF", 8);
    assert_int_equal(maso_decoder_load_memory(dec, data, size, "bomb.bmp", NULL,
                                              &img), MASO_ETOOBIG);
    assert_non_null(strstr(maso_decoder_errmsg(dec), "100000x100000"));
    free(data);
    /* TIFF: an ImageWidth of 2^31 - 1 (a LONG tag), rows as before (one
     * strip: libtiff's own checks on the strip count still pass). */
    data = read_fixture("tiff_rgb8.tif", &size);
    {
        uint32_t ifd = (uint32_t)data[4] | (uint32_t)data[5] << 8 |
                       (uint32_t)data[6] << 16 | (uint32_t)data[7] << 24;
        unsigned n = (unsigned)data[ifd] | (unsigned)data[ifd + 1] << 8;
        for (unsigned e = 0; e < n; e++) {
            unsigned char *ent = data + ifd + 2 + 12 * e;
            unsigned tag = (unsigned)ent[0] | (unsigned)ent[1] << 8;
            if (tag == 256) { /* ImageWidth, as a LONG */
                memcpy(ent + 2, "\x04\x00\x01\x00\x00\x00", 6);
                memcpy(ent + 8, "\xFF\xFF\xFF\x7F", 4);
            }
        }
    }
    assert_int_equal(maso_decoder_load_memory(dec, data, size, "bomb.tif", NULL,
                                              &img), MASO_ETOOBIG);
    assert_non_null(strstr(maso_decoder_errmsg(dec), "TIFF of 2147483647x"));
    free(data);
}

/* A copy cut short anywhere past its signature (before the end of the
 * first frame or page) fails as corrupt, naming the file and its format. */
static void test_truncated(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_CASES; i++) {
        size_t size;
        unsigned char *data = read_fixture(cases[i].file, &size);
        const size_t cuts[] = {32, size / 4, size / 2, size * 9 / 10};
        /* Past the first frame or page the first one is still whole. */
        int multi = strstr(cases[i].file, "anim") != NULL ||
                    strstr(cases[i].file, "pages") != NULL;

        for (size_t c = 0; c < (multi ? 2 : 4); c++) {
            char what[128];
            maso_image img;
            unsigned char *copy = malloc(cuts[c]);
            int rc;

            assert_non_null(copy);
            memcpy(copy, data, cuts[c]);
            snprintf(what, sizeof what, "%s cut at %zu", cases[i].file,
                     cuts[c]);
            rc = maso_decoder_load_memory(dec, copy, cuts[c], what, NULL, &img);
            expect_failure(what, maso_format_name(cases[i].format), rc,
                           MASO_ECORRUPT);
            assert_null(img.pixels);
            free(copy);
        }
        free(data);
    }
}

/* Bytes overwritten at random: the decoder may succeed (uncompressed
 * pixels cannot be checked) but must not crash or read out of bounds
 * (ASan run), and a failure is one of the documented ones with a message. */
static void test_corrupted(void **state)
{
    uint64_t rng = 0x9E3779B97F4A7C15u;
    (void)state;
    for (size_t i = 0; i < N_CASES; i++) {
        size_t size;
        unsigned char *data = read_fixture(cases[i].file, &size);
        unsigned char *copy = malloc(size);

        assert_non_null(copy);
        for (int trial = 0; trial < 40; trial++) {
            maso_image img;
            int rc;

            memcpy(copy, data, size);
            for (int k = 0; k < 1 + trial % 8; k++) {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                /* Past the first 12 bytes, so that the format stays the
                 * same and its decoder gets the damage. */
                size_t at = 12 + (size_t)(rng % (size - 12));
                copy[at] = (unsigned char)(rng >> 32);
            }
            rc = maso_decoder_load_memory(dec, copy, size, cases[i].file, NULL,
                                          &img);
            if (rc == 0) {
                assert_true(img.width > 0 && img.height > 0);
                maso_image_free(&img);
                continue;
            }
            assert_null(img.pixels);
            if (rc != MASO_ECORRUPT && rc != MASO_EUNSUPPORTED &&
                rc != MASO_ETOOBIG && rc != MASO_EFORMAT)
                fail_msg("%s trial %d: status %d: %s", cases[i].file, trial,
                         rc, maso_decoder_errmsg(dec));
            assert_non_null(strstr(maso_decoder_errmsg(dec), cases[i].file));
        }
        free(copy);
        free(data);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_twins),
        cmocka_unit_test(test_lossy_near_source),
        cmocka_unit_test(test_orientation_off),
        cmocka_unit_test(test_detect),
        cmocka_unit_test(test_size_limit),
        cmocka_unit_test(test_bombs),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_corrupted),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
