/*
 * test_image_jpeg.c -- JPEG decoding against pixels compressed with
 * TurboJPEG's tjCompress2: greyscale, YCbCr 4:2:0 and 4:4:4, CMYK,
 * progressive; DCT-domain scaling; EXIF orientation 1..8 in both byte
 * orders; malformed EXIF; truncation and corruption.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <turbojpeg.h>

#include "image_fixtures.h"
#include "image/image_internal.h"
#include "maso.h"

static uint32_t rng_state = 88172645u;
static uint32_t rnd(void) { return fx_rand(&rng_state); }

/* A smooth colour picture (gradients and a soft blob) that JPEG keeps
 * close to the original. */
static unsigned char *smooth_rgb(int w, int h)
{
    unsigned char *px = malloc((size_t)w * h * 3);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            unsigned char *p = px + ((size_t)y * w + x) * 3;
            int dx = x - w / 3, dy = y - h / 2;
            p[0] = (unsigned char)(255 * x / (w - 1));
            p[1] = (unsigned char)(255 * y / (h - 1));
            p[2] = (unsigned char)(dx * dx + dy * dy < w * h / 16 ? 220 : 40);
        }
    return px;
}

static int decode(const fx_buf *jpeg, const maso_decode_params *p,
                  maso_image *img)
{
    maso_decoder *d = NULL;
    int rc;

    assert_int_equal(maso_decoder_create(&d), 0);
    rc = maso_decoder_load_memory(d, jpeg->data, jpeg->size, "t.jpg", p, img);
    if (rc != 0)
        print_message("decode: %s\n", maso_decoder_errmsg(d));
    maso_decoder_destroy(d);
    return rc;
}

static void check_colour(int subsamp, int flags, double bound)
{
    int w = 64, h = 48;
    unsigned char *px = smooth_rgb(w, h);
    fx_buf jpeg = fx_jpeg_encode(px, w, h, TJPF_RGB, subsamp, 95, flags);
    maso_image img;

    assert_int_equal(decode(&jpeg, NULL, &img), 0);
    assert_int_equal(img.width, w);
    assert_int_equal(img.height, h);
    double mae = fx_mean_abs_diff(img.pixels, px, (size_t)w * h * 3);
    if (mae > bound)
        fail_msg("mean abs error %.2f > %.2f", mae, bound);
    maso_image_free(&img);
    free(jpeg.data);
    free(px);
}

static void test_ycbcr_444(void **s) { (void)s; check_colour(TJSAMP_444, 0, 2.0); }
static void test_ycbcr_420(void **s) { (void)s; check_colour(TJSAMP_420, 0, 4.0); }
static void test_progressive(void **s)
{
    (void)s;
    check_colour(TJSAMP_420, TJFLAG_PROGRESSIVE, 4.0);
    check_colour(TJSAMP_444, TJFLAG_PROGRESSIVE, 2.0);
}

static void test_grey(void **state)
{
    int w = 40, h = 24;
    unsigned char *g = malloc((size_t)w * h);
    unsigned char *want = malloc((size_t)w * h * 3);
    maso_image img;
    (void)state;

    for (int i = 0; i < w * h; i++) {
        g[i] = (unsigned char)(i % w * 6);
        want[3 * i] = want[3 * i + 1] = want[3 * i + 2] = g[i];
    }
    fx_buf jpeg = fx_jpeg_encode(g, w, h, TJPF_GRAY, TJSAMP_GRAY, 95, 0);
    assert_int_equal(decode(&jpeg, NULL, &img), 0);
    assert_int_equal(img.width, w);
    for (int i = 0; i < w * h; i++) { /* grey stays grey */
        assert_int_equal(img.pixels[3 * i], img.pixels[3 * i + 1]);
        assert_int_equal(img.pixels[3 * i], img.pixels[3 * i + 2]);
    }
    assert_true(fx_mean_abs_diff(img.pixels, want, (size_t)w * h * 3) < 2.0);
    maso_image_free(&img);
    free(jpeg.data);
    free(g);
    free(want);
}

/* CMYK in the Adobe (inverted) convention: stored 255 means no ink, so the
 * expected RGB is C*K/255 etc.  libjpeg writes the Adobe marker for
 * four-component files; the test checks it is there. */
static void test_cmyk(void **state)
{
    int w = 48, h = 32, ww = 0, hh = 0, ss = 0, cs = -1;
    unsigned char *cmyk = malloc((size_t)w * h * 4);
    unsigned char *want = malloc((size_t)w * h * 3);
    maso_image img;
    tjhandle tj = tjInitDecompress();
    (void)state;

    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            unsigned char *p = cmyk + ((size_t)y * w + x) * 4;
            unsigned char *q = want + ((size_t)y * w + x) * 3;
            p[0] = (unsigned char)(100 + 3 * x);
            p[1] = (unsigned char)(255 - 4 * y);
            p[2] = (unsigned char)(60 + 2 * x + 2 * y);
            p[3] = (unsigned char)(x < w / 2 ? 255 : 160);
            for (int c = 0; c < 3; c++)
                q[c] = (unsigned char)((double)p[c] * p[3] / 255.0 + 0.5);
        }
    fx_buf jpeg = fx_jpeg_encode(cmyk, w, h, TJPF_CMYK, TJSAMP_444, 95, 0);
    assert_int_equal(tjDecompressHeader3(tj, jpeg.data, jpeg.size, &ww, &hh,
                                         &ss, &cs), 0);
    assert_true(cs == TJCS_YCCK || cs == TJCS_CMYK);
    tjDestroy(tj);
    assert_int_equal(decode(&jpeg, NULL, &img), 0);
    double mae = fx_mean_abs_diff(img.pixels, want, (size_t)w * h * 3);
    if (mae > 3.0)
        fail_msg("CMYK mean abs error %.2f", mae);
    maso_image_free(&img);
    free(jpeg.data);
    free(cmyk);
    free(want);
}

static fx_buf big_grey_jpeg(int w, int h)
{
    unsigned char *g = malloc((size_t)w * h);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            g[(size_t)y * w + x] = (unsigned char)((x / 50 + y / 50) * 37);
    fx_buf jpeg = fx_jpeg_encode(g, w, h, TJPF_GRAY, TJSAMP_GRAY, 75,
                                 TJFLAG_FASTDCT);
    free(g);
    return jpeg;
}

static void expect_size(const fx_buf *jpeg, int minw, int minh, int w, int h)
{
    maso_decode_params p;
    maso_image img;

    maso_decode_params_init(&p);
    p.min_width = minw;
    p.min_height = minh;
    assert_int_equal(decode(jpeg, &p, &img), 0);
    if (img.width != w || img.height != h)
        fail_msg("min %dx%d: got %dx%d, want %dx%d", minw, minh, img.width,
                 img.height, w, h);
    maso_image_free(&img);
}

/* Scale factors are n/8: the smallest covering the minimum wins. */
static void test_dct_scaling(void **state)
{
    fx_buf jpeg = big_grey_jpeg(4000, 3000);
    (void)state;

    expect_size(&jpeg, 227, 227, 500, 375);    /* 1/8 */
    expect_size(&jpeg, 600, 400, 1000, 750);   /* 2/8 */
    expect_size(&jpeg, 1001, 10, 1500, 1125);  /* 3/8 */
    expect_size(&jpeg, 10, 2999, 4000, 3000);  /* 8/8 */
    expect_size(&jpeg, 5000, 5000, 4000, 3000); /* never enlarged */
    expect_size(&jpeg, 0, 0, 4000, 3000);
    expect_size(&jpeg, 0, 376, 1000, 750);
    free(jpeg.data);
}

/* With orientation 6 the stored 4000x3000 is shown as 3000x4000; the
 * minimum applies to the upright image. */
static void test_dct_scaling_rotated(void **state)
{
    fx_buf plain = big_grey_jpeg(4000, 3000);
    unsigned char tiff[26];
    (void)state;

    fx_exif_orientation_block(tiff, 1, 6);
    fx_buf jpeg = fx_jpeg_with_exif(&plain, tiff, sizeof tiff);
    expect_size(&jpeg, 227, 500, 375, 500);  /* stored 1/8: 500x375 */
    expect_size(&jpeg, 500, 227, 750, 1000); /* stored needs h >= 500 */
    free(jpeg.data);
    free(plain.data);
}

/* An asymmetric picture: four flat quadrants, red TL, green TR, blue BL,
 * white BR (48x32, quadrants of 24x16, so the 8x8 blocks do not mix). */
enum { RED, GREEN, BLUE, WHITE };
static const unsigned char colours[4][3] = {
    {255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {255, 255, 255}};

static int nearest_colour(const unsigned char *p)
{
    int best = -1, bestd = 1 << 30;
    for (int i = 0; i < 4; i++) {
        int d = 0;
        for (int c = 0; c < 3; c++)
            d += (p[c] - colours[i][c]) * (p[c] - colours[i][c]);
        if (d < bestd)
            bestd = d, best = i;
    }
    return best;
}

/* Colour near the upright corners TL, TR, BL, BR for each orientation, as
 * read off the EXIF specification's table (where stored row 0 and column
 * 0 end up on screen). */
static const int corners[9][4] = {
    {0},
    {RED, GREEN, BLUE, WHITE},   /* 1 as stored */
    {GREEN, RED, WHITE, BLUE},   /* 2 mirrored left-right */
    {WHITE, BLUE, GREEN, RED},   /* 3 rotated 180 */
    {BLUE, WHITE, RED, GREEN},   /* 4 mirrored top-bottom */
    {RED, BLUE, GREEN, WHITE},   /* 5 transposed */
    {BLUE, RED, WHITE, GREEN},   /* 6 turned 90 clockwise */
    {WHITE, GREEN, BLUE, RED},   /* 7 transversed */
    {GREEN, WHITE, RED, BLUE},   /* 8 turned 90 counter-clockwise */
};

static fx_buf quadrant_jpeg(void)
{
    int w = 48, h = 32;
    unsigned char *px = malloc((size_t)w * h * 3);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            memcpy(px + ((size_t)y * w + x) * 3,
                   colours[(y >= h / 2) * 2 + (x >= w / 2)], 3);
    fx_buf jpeg = fx_jpeg_encode(px, w, h, TJPF_RGB, TJSAMP_444, 95, 0);
    free(px);
    return jpeg;
}

static void check_corners(const maso_image *img, int orientation)
{
    int w = img->width, h = img->height;
    const int pos[4][2] = {{2, 2}, {w - 3, 2}, {2, h - 3}, {w - 3, h - 3}};
    for (int i = 0; i < 4; i++) {
        const unsigned char *p =
            img->pixels + ((size_t)pos[i][1] * w + pos[i][0]) * 3;
        if (nearest_colour(p) != corners[orientation][i])
            fail_msg("orientation %d corner %d: got colour %d want %d",
                     orientation, i, nearest_colour(p),
                     corners[orientation][i]);
    }
}

static void test_exif_orientations(void **state)
{
    fx_buf plain = quadrant_jpeg();
    maso_decode_params p;
    (void)state;

    maso_decode_params_init(&p);
    for (int little = 0; little < 2; little++)
        for (unsigned o = 1; o <= 8; o++) {
            unsigned char tiff[26];
            maso_image img;

            fx_exif_orientation_block(tiff, little, o);
            fx_buf jpeg = fx_jpeg_with_exif(&plain, tiff, sizeof tiff);
            p.apply_orientation = 1;
            assert_int_equal(decode(&jpeg, &p, &img), 0);
            assert_int_equal(img.width, o >= 5 ? 32 : 48);
            assert_int_equal(img.height, o >= 5 ? 48 : 32);
            check_corners(&img, (int)o);
            maso_image_free(&img);
            p.apply_orientation = 0; /* stored layout when disabled */
            assert_int_equal(decode(&jpeg, &p, &img), 0);
            assert_int_equal(img.width, 48);
            check_corners(&img, 1);
            maso_image_free(&img);
            free(jpeg.data);
        }
    free(plain.data);
}

/* Malformed EXIF blocks decode as orientation 1. */
static void test_exif_malformed(void **state)
{
    fx_buf plain = quadrant_jpeg();
    unsigned char good[26], bad[26];
    (void)state;

    fx_exif_orientation_block(good, 0, 6); /* big-endian */
    for (int k = 0; k < 8; k++) {
        maso_image img;
        size_t len = sizeof bad;

        memcpy(bad, good, sizeof bad);
        switch (k) {
        case 0: bad[0] = bad[1] = 'X'; break;          /* byte order */
        case 1: bad[3] = 43; break;                    /* magic */
        case 2: bad[4] = 0xFF; break;                  /* IFD offset */
        case 3: bad[7] = 25; break;                    /* IFD at the end */
        case 4: bad[8] = 0xFF, bad[9] = 0xFF;          /* entry count */
                bad[11] = 0x13; break;                 /* and no tag */
        case 5: bad[13] = 4; break;                    /* type LONG */
        case 6: bad[19] = 9; break;                    /* value 9 */
        case 7: len = 17; break;                       /* cut entry */
        }
        fx_buf jpeg = fx_jpeg_with_exif(&plain, bad, len);
        if (core_exif_orientation(jpeg.data, jpeg.size) != 1)
            fail_msg("malformed case %d gave an orientation", k);
        assert_int_equal(decode(&jpeg, NULL, &img), 0);
        assert_int_equal(img.width, 48);
        check_corners(&img, 1);
        maso_image_free(&img);
        free(jpeg.data);
    }
    free(plain.data);
}

/* Fuzz the EXIF parser: random bytes and random mutations of a valid
 * block, every truncation, and a segment length lying about the file
 * size.  It must stay in bounds (ASan) and answer 1..8. */
static void test_exif_fuzz(void **state)
{
    fx_buf plain = quadrant_jpeg();
    unsigned char good[26], buf[64];
    (void)state;

    fx_exif_orientation_block(good, 1, 3);
    for (int it = 0; it < 20000; it++) {
        size_t len = rnd() % sizeof buf;
        if (it % 2) {
            memcpy(buf, good, sizeof good);
            for (int m = 0; m < 3; m++)
                buf[rnd() % sizeof good] = (unsigned char)rnd();
        } else {
            for (size_t i = 0; i < len; i++)
                buf[i] = (unsigned char)rnd();
        }
        fx_buf jpeg = fx_jpeg_with_exif(&plain, buf, len);
        /* the parser only sees up to the cut, which may end mid-segment */
        size_t cut = 2 + rnd() % (len + 14);
        int o = core_exif_orientation(jpeg.data, cut);
        assert_true(o >= 1 && o <= 8);
        free(jpeg.data);
    }
    free(plain.data);
}

static void test_truncated(void **state)
{
    int w = 64, h = 48;
    unsigned char *px = smooth_rgb(w, h);
    maso_decoder *d = NULL;
    maso_image img;
    (void)state;

    assert_int_equal(maso_decoder_create(&d), 0);
    for (int prog = 0; prog < 2; prog++) {
        fx_buf jpeg = fx_jpeg_encode(px, w, h, TJPF_RGB, TJSAMP_420, 90,
                                     prog ? TJFLAG_PROGRESSIVE : 0);
        size_t cuts[] = {1, 2, 3, 4, 10, 100, 200, jpeg.size / 3,
                         jpeg.size / 2, jpeg.size - 100, jpeg.size - 2};
        for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
            int rc = maso_decoder_load_memory(d, jpeg.data, cuts[i], "t.jpg",
                                              NULL, &img);
            if (rc != MASO_ECORRUPT)
                fail_msg("cut %zu of %zu: %d %s", cuts[i], jpeg.size, rc,
                         maso_decoder_errmsg(d));
            assert_null(img.pixels);
            assert_non_null(strstr(maso_decoder_errmsg(d), "t.jpg"));
        }
        /* scan data cut off mid-way is reported as truncation */
        maso_decoder_load_memory(d, jpeg.data, jpeg.size / 2, "t.jpg", NULL,
                                 &img);
        assert_non_null(strstr(maso_decoder_errmsg(d), "truncated"));
        /* an EOI marker in the middle of the scan data ends it early */
        jpeg.data[jpeg.size / 2] = 0xFF;
        jpeg.data[jpeg.size / 2 + 1] = 0xD9;
        assert_int_equal(maso_decoder_load_memory(d, jpeg.data, jpeg.size,
                                                  "t.jpg", NULL, &img),
                         MASO_ECORRUPT);
        free(jpeg.data);
    }
    maso_decoder_destroy(d);
    free(px);
}

/* Random bytes written over the scan data: Huffman decoding of garbage may
 * or may not notice, but the decoder must not crash, and what it returns
 * is either an error or an image of the right size. */
static void test_corrupt_scan(void **state)
{
    int w = 64, h = 48;
    unsigned char *px = smooth_rgb(w, h);
    fx_buf jpeg = fx_jpeg_encode(px, w, h, TJPF_RGB, TJSAMP_420, 90, 0);
    unsigned char *copy = malloc(jpeg.size);
    maso_decoder *d = NULL;
    maso_image img;
    (void)state;

    assert_int_equal(maso_decoder_create(&d), 0);
    for (int it = 0; it < 50; it++) {
        memcpy(copy, jpeg.data, jpeg.size);
        for (int k = 0; k < 16; k++)
            copy[jpeg.size / 3 + rnd() % (jpeg.size / 2)] = (unsigned char)rnd();
        int rc = maso_decoder_load_memory(d, copy, jpeg.size, "c.jpg", NULL,
                                          &img);
        if (rc == 0) {
            assert_int_equal(img.width, w);
            assert_int_equal(img.height, h);
            maso_image_free(&img);
        } else {
            assert_int_equal(rc, MASO_ECORRUPT);
        }
    }
    /* a broken header marker is always an error */
    memcpy(copy, jpeg.data, jpeg.size);
    copy[3] = 0x02; /* the first segment's marker code becomes invalid */
    assert_int_equal(maso_decoder_load_memory(d, copy, jpeg.size, "c.jpg",
                                              NULL, &img), MASO_ECORRUPT);
    maso_decoder_destroy(d);
    free(copy);
    free(jpeg.data);
    free(px);
}

static void test_too_big(void **state)
{
    fx_buf jpeg = big_grey_jpeg(400, 300);
    maso_decode_params p;
    maso_image img;
    (void)state;

    maso_decode_params_init(&p);
    p.min_width = p.min_height = 50; /* the limit is on the stored size */
    p.max_pixels = 400 * 300 - 1;
    assert_int_equal(decode(&jpeg, &p, &img), MASO_ETOOBIG);
    assert_null(img.pixels);
    p.max_pixels = 400 * 300;
    assert_int_equal(decode(&jpeg, &p, &img), 0);
    assert_int_equal(img.width, 100); /* 2/8 covers 50x50 */
    maso_image_free(&img);
    free(jpeg.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ycbcr_444),
        cmocka_unit_test(test_ycbcr_420),
        cmocka_unit_test(test_progressive),
        cmocka_unit_test(test_grey),
        cmocka_unit_test(test_cmyk),
        cmocka_unit_test(test_dct_scaling),
        cmocka_unit_test(test_dct_scaling_rotated),
        cmocka_unit_test(test_exif_orientations),
        cmocka_unit_test(test_exif_malformed),
        cmocka_unit_test(test_exif_fuzz),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_corrupt_scan),
        cmocka_unit_test(test_too_big),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
