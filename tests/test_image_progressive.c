/*
 * test_image_progressive.c -- progressive JPEGs decoded at 1/8 from their
 * DC scans (core/image/jpeg_dc_decode.c, core/image/jpeg_scans.c).
 *
 * Reference: TurboJPEG's own decode of the whole file at 1/8 (tjDecompress2,
 * every scan entropy-decoded), which is what maso did before.  Files are
 * made by tjCompress2 with TJFLAG_PROGRESSIVE, whose scan script is
 * libjpeg's jpeg_simple_progression(); the expected scan lists below are
 * read off that script, not off our output.
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

static uint32_t rng_state = 2463534242u;
static uint32_t rnd(void) { return fx_rand(&rng_state); }

/* Texture with strong colour detail inside 16x16 blocks, so that chroma
 * AC coefficients matter at 1/8 for 4:2:0 (libjpeg's 2x2 chroma IDCT),
 * plus noise; @p nc components per pixel (1 grey, 3 RGB, 4 CMYK). */
static unsigned char *textured(int w, int h, int nc)
{
    unsigned char *px = malloc((size_t)w * h * nc);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < nc; c++) {
                int v = ((x / 5 + y / 3 + c) % 3) * 90 + (x * (c + 1)) % 40 +
                        (int)(rnd() % 24);
                px[((size_t)y * w + x) * nc + c] =
                    (unsigned char)(v > 255 ? 255 : v);
            }
    return px;
}

/* maso at 1/8: a minimum of 1x1 picks the smallest scale. */
static int decode_eighth(const fx_buf *jpeg, maso_image *img, char *msg,
                         size_t msg_size)
{
    maso_decoder *d = NULL;
    maso_decode_params p;
    int rc;

    maso_decode_params_init(&p);
    p.min_width = p.min_height = 1;
    assert_int_equal(maso_decoder_create(&d), 0);
    rc = maso_decoder_load_memory(d, jpeg->data, jpeg->size, "p.jpg", &p, img);
    if (msg != NULL)
        snprintf(msg, msg_size, "%s", maso_decoder_errmsg(d));
    maso_decoder_destroy(d);
    return rc;
}

/* TurboJPEG's full decode at 1/8, as RGB; CMYK files are converted here
 * with the Adobe (inverted) convention in floating point. */
static unsigned char *reference_eighth(const fx_buf *jpeg, int *w, int *h)
{
    tjhandle tj = tjInitDecompress();
    tjscalingfactor sf = {1, 8};
    int fw, fh, ss, cs;
    unsigned char *px, *rgb;

    assert_int_equal(tjDecompressHeader3(tj, jpeg->data, jpeg->size, &fw, &fh,
                                         &ss, &cs), 0);
    *w = TJSCALED(fw, sf);
    *h = TJSCALED(fh, sf);
    int cmyk = cs == TJCS_CMYK || cs == TJCS_YCCK;
    size_t n = (size_t)*w * *h;
    px = malloc(n * 4);
    assert_int_equal(tjDecompress2(tj, jpeg->data, jpeg->size, px, *w, 0, *h,
                                   cmyk ? TJPF_CMYK : TJPF_RGB, 0), 0);
    tjDestroy(tj);
    if (!cmyk)
        return px;
    rgb = malloc(n * 3);
    for (size_t i = 0; i < n; i++)
        for (int c = 0; c < 3; c++)
            rgb[3 * i + c] = (unsigned char)(px[4 * i + c] * px[4 * i + 3] /
                                             255.0 + 0.5);
    free(px);
    return rgb;
}

static int max_abs_diff(const unsigned char *a, const unsigned char *b,
                        size_t n)
{
    int m = 0;
    for (size_t i = 0; i < n; i++) {
        int d = abs((int)a[i] - (int)b[i]);
        if (d > m)
            m = d;
    }
    return m;
}

static fx_buf progressive(int w, int h, int nc, int subsamp, int quality)
{
    static const int pf[5] = {0, TJPF_GRAY, 0, TJPF_RGB, TJPF_CMYK};
    unsigned char *px = textured(w, h, nc);
    fx_buf jpeg = fx_jpeg_encode(px, w, h, pf[nc], subsamp, quality,
                                 TJFLAG_PROGRESSIVE);
    free(px);
    return jpeg;
}

/* The fast path's pixels against the full decode, same size. */
static void check_equal_to_reference(const fx_buf *jpeg, const char *what)
{
    maso_image img;
    char msg[512];
    int rw, rh;
    unsigned char *ref = reference_eighth(jpeg, &rw, &rh);

    if (decode_eighth(jpeg, &img, msg, sizeof msg) != 0)
        fail_msg("%s: %s", what, msg);
    assert_int_equal(img.width, rw);
    assert_int_equal(img.height, rh);
    int m = max_abs_diff(img.pixels, ref, (size_t)rw * rh * 3);
    if (m > 2)
        fail_msg("%s: max abs diff %d against TurboJPEG at 1/8", what, m);
    maso_image_free(&img);
    free(ref);
}

/* Sizes that are not multiples of the MCU exercise the edge blocks. */
static void test_matches_full_decode(void **state)
{
    static const struct {
        int nc, subsamp;
        const char *name;
    } kinds[] = {
        {3, TJSAMP_444, "4:4:4"}, {3, TJSAMP_420, "4:2:0"},
        {3, TJSAMP_422, "4:2:2"}, {1, TJSAMP_GRAY, "grey"},
        {4, TJSAMP_444, "CMYK 4:4:4"}, {4, TJSAMP_420, "CMYK 4:2:0"},
    };
    (void)state;

    for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++)
        for (int q = 50; q <= 95; q += 45) {
            fx_buf jpeg = progressive(333, 201, kinds[k].nc,
                                      kinds[k].subsamp, q);
            check_equal_to_reference(&jpeg, kinds[k].name);
            free(jpeg.data);
        }
}

/* Expected scans of jpeg_simple_progression(): {Ss, Se, components}. */
static const int ycc_script[10][3] = {
    {0, 0, 3}, {1, 5, 1}, {1, 63, 1}, {1, 63, 1}, {6, 63, 1},
    {1, 63, 1}, {0, 0, 3}, {1, 63, 1}, {1, 63, 1}, {1, 63, 1},
};
static const int grey_script[6][3] = {
    {0, 0, 1}, {1, 5, 1}, {6, 63, 1}, {1, 63, 1}, {0, 0, 1}, {1, 63, 1},
};

/* Brute force: is there a marker (0xFF then not 00, not FF, not RSTn)
 * starting in data[from..to)? */
static int marker_inside(const unsigned char *data, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        if (data[i] != 0xFF)
            continue;
        size_t j = i + 1;
        while (data[j] == 0xFF)
            j++;
        if (data[j] != 0x00 && !(data[j] >= 0xD0 && data[j] <= 0xD7))
            return 1;
        i = j;
    }
    return 0;
}

static void check_layout(const fx_buf *jpeg, const int (*script)[3],
                         size_t n)
{
    core_jpeg_layout L;

    assert_int_equal(core_jpeg_layout_read(jpeg->data, jpeg->size, &L), 0);
    assert_true(L.progressive);
    assert_int_equal(L.nscans, n);
    assert_int_equal(L.eoi_end, jpeg->size); /* tjCompress2 ends at EOI */
    for (size_t i = 0; i < n; i++) {
        const core_jpeg_scan *s = &L.scans[i];
        assert_int_equal(s->ss, script[i][0]);
        assert_int_equal(s->se, script[i][1]);
        assert_int_equal(s->ncomp, script[i][2]);
        assert_int_equal(jpeg->data[s->begin], 0xFF);
        assert_int_equal(jpeg->data[s->begin + 1], 0xDA);
        assert_int_equal(jpeg->data[s->end], 0xFF); /* a marker follows */
        size_t hdr = s->begin + 2 + (jpeg->data[s->begin + 2] << 8 |
                                     jpeg->data[s->begin + 3]);
        assert_false(marker_inside(jpeg->data, hdr, s->end));
        if (i > 0)
            assert_true(s->begin >= L.scans[i - 1].end);
    }
    core_jpeg_layout_free(&L);
}

static void test_layout(void **state)
{
    fx_buf a = progressive(200, 120, 3, TJSAMP_420, 90);
    fx_buf g = progressive(200, 120, 1, TJSAMP_GRAY, 90);
    unsigned char *px = textured(64, 48, 3);
    fx_buf b = fx_jpeg_encode(px, 64, 48, TJPF_RGB, TJSAMP_444, 90, 0);
    core_jpeg_layout L;
    (void)state;

    check_layout(&a, ycc_script, 10);
    check_layout(&g, grey_script, 6);
    assert_int_equal(core_jpeg_layout_read(b.data, b.size, &L), 0);
    assert_false(L.progressive);
    assert_int_equal(L.nscans, 1);
    assert_int_equal(L.scans[0].ncomp, 3);
    core_jpeg_layout_free(&L);
    free(a.data);
    free(g.data);
    free(b.data);
    free(px);
}

/* Hand-made bytes: stuffed FF 00, restart markers and fill bytes inside
 * the entropy data; the scan ends at the fill bytes before EOI. */
static void test_layout_entropy_bytes(void **state)
{
    static const unsigned char f[] = {
        0xFF, 0xD8,                                     /* SOI */
        0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00,       /* SOS, 1 comp */
        0x00, 0x00, 0x01,                               /* Ss Se AhAl */
        0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD3, 0x56, 0xFF, /* data */
        0xFF, 0x00, 0x78,
        0xFF, 0xFF, 0xFF, 0xD9,                         /* fill, EOI */
        0x99, 0x98,                                     /* trailing junk */
    };
    core_jpeg_layout L;
    (void)state;

    assert_int_equal(core_jpeg_layout_read(f, sizeof f, &L), 0);
    assert_int_equal(L.nscans, 1);
    assert_false(L.progressive);
    assert_int_equal(L.scans[0].begin, 2);
    assert_int_equal(L.scans[0].end, 23);
    assert_int_equal(L.eoi_end, 27);
    core_jpeg_layout_free(&L);
    /* every cut before the EOI is truncation */
    for (size_t cut = 2; cut < 27; cut++) {
        assert_int_equal(core_jpeg_layout_read(f, cut, &L), MASO_ECORRUPT);
        assert_non_null(strstr(L.error, "truncated"));
        assert_null(L.scans);
    }
}

/* The same file as test_skips_luma_ac's (the texture's noise comes from a
 * generator, so remake it from the same state). */
static uint32_t skip_seed;
static fx_buf progressive_again(void)
{
    uint32_t keep = rng_state;
    rng_state = skip_seed;
    fx_buf jpeg = progressive(320, 240, 3, TJSAMP_420, 90);
    rng_state = keep;
    return jpeg;
}

/* Proof that AC scans are skipped: garbage (without 0xFF) written over the
 * luma AC scans changes nothing at 1/8, while the full decode sees it. */
static void test_skips_luma_ac(void **state)
{
    skip_seed = rng_state;
    fx_buf jpeg = progressive(320, 240, 3, TJSAMP_420, 90);
    core_jpeg_layout L;
    maso_image clean, dirty, full, want;
    maso_decoder *d = NULL;
    (void)state;

    assert_int_equal(decode_eighth(&jpeg, &clean, NULL, 0), 0);
    assert_int_equal(core_jpeg_layout_read(jpeg.data, jpeg.size, &L), 0);
    int hit = 0;
    for (size_t i = 0; i < L.nscans; i++) {
        const core_jpeg_scan *s = &L.scans[i];
        if (s->ss == 0 || s->comp_id[0] != 1) /* luma id is 1 */
            continue;
        for (size_t b = s->begin + 14; b < s->end; b++)
            jpeg.data[b] = (unsigned char)(rnd() % 255);
        hit++;
    }
    assert_int_equal(hit, 4);
    core_jpeg_layout_free(&L);
    assert_int_equal(decode_eighth(&jpeg, &dirty, NULL, 0), 0);
    assert_int_equal(dirty.width, 40);
    assert_memory_equal(clean.pixels, dirty.pixels, (size_t)40 * 30 * 3);

    /* full size goes through every scan: an error, or other pixels */
    fx_buf pristine = progressive_again();
    assert_int_equal(maso_decoder_create(&d), 0);
    assert_int_equal(maso_decoder_load_memory(d, pristine.data, pristine.size,
                                              "p.jpg", NULL, &want), 0);
    int rc = maso_decoder_load_memory(d, jpeg.data, jpeg.size, "p.jpg", NULL,
                                      &full);
    assert_true(rc == MASO_ECORRUPT || rc == 0);
    if (rc == 0) {
        assert_true(fx_mean_abs_diff(full.pixels, want.pixels,
                                     (size_t)320 * 240 * 3) > 1.0);
        maso_image_free(&full);
    }
    maso_image_free(&want);
    free(pristine.data);
    maso_decoder_destroy(d);
    maso_image_free(&clean);
    maso_image_free(&dirty);
    free(jpeg.data);
}

/* Truncated anywhere -> MASO_ECORRUPT naming the file, at 1/8 as at full
 * size, even when every scan 1/8 needs is complete; bytes after EOI are
 * ignored, as libjpeg ignores them. */
static void test_truncated(void **state)
{
    fx_buf jpeg = progressive(320, 240, 3, TJSAMP_444, 90);
    core_jpeg_layout L;
    maso_image img;
    char msg[512];
    (void)state;

    assert_int_equal(core_jpeg_layout_read(jpeg.data, jpeg.size, &L), 0);
    const core_jpeg_scan *dc = &L.scans[0], *ac = &L.scans[4];
    const core_jpeg_scan *last = &L.scans[L.nscans - 1];
    size_t cuts[] = {
        100,                           /* in the headers */
        dc->begin + 5,                 /* in the first SOS header */
        (dc->begin + dc->end) / 2,     /* in the DC scan */
        dc->end,                       /* right after it */
        (ac->begin + ac->end) / 2,     /* in an AC scan */
        L.scans[6].end,                /* after the DC refinement */
        (last->begin + last->end) / 2, /* in the last scan */
        jpeg.size - 2,                 /* no EOI */
        jpeg.size - 1,                 /* half an EOI */
    };
    core_jpeg_layout_free(&L);
    for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
        fx_buf cut = {jpeg.data, cuts[i], cuts[i]};
        int rc = decode_eighth(&cut, &img, msg, sizeof msg);
        if (rc != MASO_ECORRUPT)
            fail_msg("cut %zu of %zu: rc %d (%s)", cuts[i], jpeg.size, rc, msg);
        assert_null(img.pixels);
        assert_non_null(strstr(msg, "p.jpg"));
        if (i >= 2)
            assert_non_null(strstr(msg, "truncated"));
    }

    /* trailing bytes after EOI */
    fx_buf longer = {malloc(jpeg.size + 7), jpeg.size + 7, jpeg.size + 7};
    memcpy(longer.data, jpeg.data, jpeg.size);
    memcpy(longer.data + jpeg.size, "\xFF\xD8junk", 7);
    check_equal_to_reference(&longer, "trailing bytes");
    free(longer.data);
    free(jpeg.data);
}

/* Damage inside the DC scans is decoded and so detected: an EOI written in
 * the middle of the DC scan, or random bytes over it. */
static void test_corrupt_dc(void **state)
{
    fx_buf jpeg = progressive(320, 240, 3, TJSAMP_420, 90);
    unsigned char *copy = malloc(jpeg.size);
    core_jpeg_layout L;
    maso_image img;
    char msg[512];
    (void)state;

    assert_int_equal(core_jpeg_layout_read(jpeg.data, jpeg.size, &L), 0);
    size_t mid = (L.scans[0].begin + L.scans[0].end) / 2;
    size_t dc_begin = L.scans[0].begin + 14, dc_len = L.scans[0].end - dc_begin;
    core_jpeg_layout_free(&L);

    memcpy(copy, jpeg.data, jpeg.size);
    copy[mid] = 0xFF;
    copy[mid + 1] = 0xD9;
    fx_buf bad = {copy, jpeg.size, jpeg.size};
    assert_int_equal(decode_eighth(&bad, &img, msg, sizeof msg), MASO_ECORRUPT);
    assert_non_null(strstr(msg, "p.jpg"));

    for (int it = 0; it < 40; it++) { /* must not crash; error or image */
        memcpy(copy, jpeg.data, jpeg.size);
        for (int k = 0; k < 8; k++)
            copy[dc_begin + rnd() % dc_len] = (unsigned char)rnd();
        int rc = decode_eighth(&bad, &img, msg, sizeof msg);
        if (rc == 0) {
            assert_int_equal(img.width, 40);
            assert_int_equal(img.height, 30);
            maso_image_free(&img);
        } else {
            assert_int_equal(rc, MASO_ECORRUPT);
            assert_non_null(strstr(msg, "p.jpg"));
        }
    }
    free(copy);
    free(jpeg.data);
}

/* Orientation and the pixel limit behave as on the TurboJPEG path. */
static void test_orientation_and_limit(void **state)
{
    fx_buf plain = progressive(320, 240, 3, TJSAMP_420, 90);
    unsigned char tiff[26];
    maso_decoder *d = NULL;
    maso_decode_params p;
    maso_image img, ref;
    (void)state;

    fx_exif_orientation_block(tiff, 1, 6); /* turned 90 clockwise */
    fx_buf jpeg = fx_jpeg_with_exif(&plain, tiff, sizeof tiff);
    assert_int_equal(decode_eighth(&jpeg, &img, NULL, 0), 0);
    assert_int_equal(img.width, 30);
    assert_int_equal(img.height, 40);
    assert_int_equal(decode_eighth(&plain, &ref, NULL, 0), 0);
    /* upright (x, y) shows stored (y, H-1-x) for orientation 6 */
    for (int y = 0; y < 40; y++)
        for (int x = 0; x < 30; x++)
            assert_memory_equal(img.pixels + ((size_t)y * 30 + x) * 3,
                                ref.pixels + ((size_t)(29 - x) * 40 + y) * 3,
                                3);
    maso_image_free(&img);
    maso_image_free(&ref);

    assert_int_equal(maso_decoder_create(&d), 0);
    maso_decode_params_init(&p);
    p.min_width = p.min_height = 1;
    p.max_pixels = 320 * 240 - 1; /* on the stored size, not the output */
    assert_int_equal(maso_decoder_load_memory(d, jpeg.data, jpeg.size, "p.jpg",
                                              &p, &img), MASO_ETOOBIG);
    assert_null(img.pixels);
    maso_decoder_destroy(d);
    free(jpeg.data);
    free(plain.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matches_full_decode),
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_layout_entropy_bytes),
        cmocka_unit_test(test_skips_luma_ac),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_corrupt_dc),
        cmocka_unit_test(test_orientation_and_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
