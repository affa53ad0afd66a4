/*
 * test_image_png.c -- PNG decoding against pixels encoded with libpng's
 * write API: every colour type and bit depth, tRNS, interlacing, 16-bit,
 * alpha compositing; and the error paths (truncation, corruption, absurd
 * dimensions).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "image_fixtures.h"
#include "maso.h"

static uint32_t rng_state = 2463534242u;
static uint32_t rnd(void) { return fx_rand(&rng_state); }

static maso_image decode_ok(const fx_buf *png, const maso_decode_params *p)
{
    maso_decoder *d = NULL;
    maso_image img;
    int rc;

    assert_int_equal(maso_decoder_create(&d), 0);
    rc = maso_decoder_load_memory(d, png->data, png->size, "fixture.png", p,
                                  &img);
    if (rc != 0)
        fail_msg("decode failed (%d): %s", rc, maso_decoder_errmsg(d));
    assert_string_equal(maso_decoder_errmsg(d), "");
    maso_decoder_destroy(d);
    return img;
}

/* The 8-bit value a sample of @p depth bits represents (full-range
 * scaling for low depths, high byte for 16). */
static unsigned to8(unsigned v, int depth)
{
    if (depth == 16)
        return v >> 8;
    return v * 255u / ((1u << depth) - 1u);
}

static unsigned blend(unsigned c, unsigned a, unsigned bg)
{
    /* round-half-up of the exact blend, computed in floating point */
    double v = ((double)c * a + (double)bg * (255 - a)) / 255.0;
    return (unsigned)(v + 0.5);
}

/* Grey at 1, 2, 4, 8 and 16 bits, interlaced or not, odd sizes. */
static void test_grey_depths(void **state)
{
    static const int depths[] = {1, 2, 4, 8, 16};
    (void)state;
    for (int il = 0; il < 2; il++) {
        for (size_t di = 0; di < sizeof depths / sizeof *depths; di++) {
            int depth = depths[di], w = 13, h = 9;
            size_t rowbytes = ((size_t)w * depth + 7) / 8;
            unsigned *samples = malloc(sizeof *samples * w * h);
            unsigned char *packed = calloc(rowbytes, h);
            fx_png_opts opts = {0};
            maso_image img;

            for (int i = 0; i < w * h; i++)
                samples[i] = rnd() & ((1u << depth) - 1);
            samples[0] = depth == 16 ? 0xABCD : depth == 4 ? 5 : samples[0];
            for (int y = 0; y < h; y++)
                fx_pack_samples(samples + y * w, w, depth,
                                packed + rowbytes * y);
            opts.interlace = il;
            fx_buf png = fx_png_encode(w, h, PNG_COLOR_TYPE_GRAY, depth,
                                       packed, rowbytes, &opts);
            img = decode_ok(&png, NULL);
            assert_int_equal(img.width, w);
            assert_int_equal(img.height, h);
            if (depth == 16)
                assert_int_equal(img.pixels[0], 0xAB);
            if (depth == 4)
                assert_int_equal(img.pixels[0], 0x55);
            for (int i = 0; i < w * h; i++)
                for (int c = 0; c < 3; c++)
                    assert_int_equal(img.pixels[3 * i + c],
                                     to8(samples[i], depth));
            maso_image_free(&img);
            assert_null(img.pixels);
            free(png.data);
            free(samples);
            free(packed);
        }
    }
}

/* RGB and RGBA at 8 and 16 bits; grey+alpha at 8 and 16; interlaced too. */
static void test_colour_types(void **state)
{
    static const struct { int type, channels; } types[] = {
        {PNG_COLOR_TYPE_RGB, 3},
        {PNG_COLOR_TYPE_RGB_ALPHA, 4},
        {PNG_COLOR_TYPE_GRAY_ALPHA, 2},
    };
    maso_decode_params p;
    (void)state;
    maso_decode_params_init(&p);
    p.background[0] = 10;
    p.background[1] = 200;
    p.background[2] = 77;
    for (int il = 0; il < 2; il++)
    for (size_t ti = 0; ti < 3; ti++)
    for (int depth = 8; depth <= 16; depth += 8) {
        int w = 17, h = 11, ch = types[ti].channels;
        size_t n = (size_t)w * h * ch, rowbytes = (size_t)w * ch * depth / 8;
        unsigned *s = malloc(sizeof *s * n);
        unsigned char *packed = malloc(rowbytes * h);
        fx_png_opts opts = {0};
        maso_image img;

        for (size_t i = 0; i < n; i++)
            s[i] = rnd() & (depth == 16 ? 0xFFFF : 0xFF);
        if (ch == 2 || ch == 4) { /* make sure 0 and full alpha occur */
            s[ch - 1] = 0;
            s[2 * ch - 1] = depth == 16 ? 0xFFFF : 0xFF;
        }
        for (int y = 0; y < h; y++)
            fx_pack_samples(s + (size_t)y * w * ch, (size_t)w * ch, depth,
                            packed + rowbytes * y);
        opts.interlace = il;
        fx_buf png = fx_png_encode(w, h, types[ti].type, depth, packed,
                                   rowbytes, &opts);
        img = decode_ok(&png, &p);
        assert_int_equal(img.width, w);
        assert_int_equal(img.height, h);
        for (int i = 0; i < w * h; i++) {
            const unsigned *px = s + (size_t)i * ch;
            unsigned a = ch == 2 || ch == 4 ? to8(px[ch - 1], depth) : 255;
            for (int c = 0; c < 3; c++) {
                unsigned v = to8(px[ch >= 3 ? c : 0], depth);
                assert_int_equal(img.pixels[3 * i + c],
                                 blend(v, a, p.background[c]));
            }
        }
        if (ch == 2 || ch == 4) { /* alpha 0 -> background, 255 -> colour */
            assert_memory_equal(img.pixels, p.background, 3);
            assert_int_equal(img.pixels[3], to8(s[ch], depth));
        }
        maso_image_free(&img);
        free(png.data);
        free(s);
        free(packed);
    }
}

/* Palettes at 1, 2, 4, 8 bits with per-entry alpha (tRNS). */
static void test_palette_trns(void **state)
{
    maso_decode_params p;
    (void)state;
    maso_decode_params_init(&p); /* white background */
    for (int il = 0; il < 2; il++)
    for (int depth = 1; depth <= 8; depth *= 2) {
        int w = 19, h = 7, ncolors = 1 << depth;
        size_t rowbytes = ((size_t)w * depth + 7) / 8;
        png_color pal[256];
        unsigned char trans[256];
        unsigned idx[19 * 7];
        unsigned char *packed = calloc(rowbytes, h);
        fx_png_opts opts = {0};
        maso_image img;

        for (int i = 0; i < ncolors; i++) {
            pal[i].red = (png_byte)rnd();
            pal[i].green = (png_byte)rnd();
            pal[i].blue = (png_byte)rnd();
            trans[i] = (unsigned char)rnd();
        }
        trans[0] = 0;   /* fully transparent entry */
        trans[1] = 255; /* opaque entry */
        for (int i = 0; i < w * h; i++)
            idx[i] = rnd() % (unsigned)ncolors;
        idx[0] = 0;
        idx[1] = 1;
        for (int y = 0; y < h; y++)
            fx_pack_samples(idx + y * w, w, depth, packed + rowbytes * y);
        opts.palette = pal;
        opts.n_palette = ncolors;
        opts.trans_alpha = trans;
        /* fewer tRNS entries than colours: the rest are opaque */
        opts.n_trans = ncolors > 2 ? ncolors - 1 : ncolors;
        opts.interlace = il;
        fx_buf png = fx_png_encode(w, h, PNG_COLOR_TYPE_PALETTE, depth,
                                   packed, rowbytes, &opts);
        img = decode_ok(&png, &p);
        assert_int_equal(img.width, w);
        for (int i = 0; i < w * h; i++) {
            const png_color *e = &pal[idx[i]];
            unsigned a = (int)idx[i] < opts.n_trans ? trans[idx[i]] : 255;
            assert_int_equal(img.pixels[3 * i], blend(e->red, a, 255));
            assert_int_equal(img.pixels[3 * i + 1], blend(e->green, a, 255));
            assert_int_equal(img.pixels[3 * i + 2], blend(e->blue, a, 255));
        }
        assert_int_equal(img.pixels[0], 255); /* index 0 is transparent */
        assert_int_equal(img.pixels[3], pal[1].red);
        maso_image_free(&img);
        free(png.data);
        free(packed);
    }
}

/* tRNS colour keys on grey and RGB: matching pixels become background. */
static void test_colour_key(void **state)
{
    maso_decode_params p;
    unsigned char packed[4 * 3];
    png_color_16 key;
    fx_png_opts opts = {0};
    maso_image img;
    (void)state;

    maso_decode_params_init(&p);
    p.background[0] = 1;
    p.background[1] = 2;
    p.background[2] = 3;
    /* grey 8-bit, 4x1: 50 60 50 70, key 50 */
    packed[0] = 50, packed[1] = 60, packed[2] = 50, packed[3] = 70;
    memset(&key, 0, sizeof key);
    key.gray = 50;
    opts.trans_color = &key;
    fx_buf g = fx_png_encode(4, 1, PNG_COLOR_TYPE_GRAY, 8, packed, 4, &opts);
    img = decode_ok(&g, &p);
    static const unsigned char want_g[12] = {1, 2, 3, 60, 60, 60,
                                             1, 2, 3, 70, 70, 70};
    assert_memory_equal(img.pixels, want_g, 12);
    maso_image_free(&img);
    free(g.data);

    /* RGB 8-bit, 2x1: (9,8,7) keyed, (9,8,6) not */
    static const unsigned char rgb[6] = {9, 8, 7, 9, 8, 6};
    key.red = 9, key.green = 8, key.blue = 7;
    fx_buf c = fx_png_encode(2, 1, PNG_COLOR_TYPE_RGB, 8, rgb, 6, &opts);
    img = decode_ok(&c, &p);
    static const unsigned char want_c[6] = {1, 2, 3, 9, 8, 6};
    assert_memory_equal(img.pixels, want_c, 6);
    maso_image_free(&img);
    free(c.data);
}

static fx_buf noise_rgb_png(int w, int h)
{
    size_t n = (size_t)w * h * 3;
    unsigned char *px = malloc(n);
    for (size_t i = 0; i < n; i++)
        px[i] = (unsigned char)rnd();
    fx_buf png = fx_png_encode(w, h, PNG_COLOR_TYPE_RGB, 8, px,
                               (size_t)w * 3, NULL);
    free(px);
    return png;
}

/* Every cut before the end of the image data fails cleanly. */
static void test_truncated(void **state)
{
    maso_decoder *d = NULL;
    maso_image img;
    fx_buf png = noise_rgb_png(40, 30);
    size_t iend = png.size - 12; /* IEND chunk: length, type, crc */
    (void)state;

    assert_int_equal(maso_decoder_create(&d), 0);
    for (size_t cut = 1; cut < iend; cut += (cut < 64 ? 1 : 37)) {
        int rc = maso_decoder_load_memory(d, png.data, cut, "cut.png", NULL,
                                          &img);
        if (rc != MASO_ECORRUPT)
            fail_msg("cut at %zu of %zu: status %d (%s)", cut, png.size, rc,
                     maso_decoder_errmsg(d));
        assert_null(img.pixels);
        assert_non_null(strstr(maso_decoder_errmsg(d), "cut.png"));
        if (cut >= 60)
            assert_non_null(strstr(maso_decoder_errmsg(d), "truncated"));
    }
    /* the same decoder still works afterwards */
    assert_int_equal(maso_decoder_load_memory(d, png.data, png.size, "ok.png",
                                              NULL, &img), 0);
    assert_string_equal(maso_decoder_errmsg(d), "");
    maso_image_free(&img);
    maso_decoder_destroy(d);
    free(png.data);
}

/* A flipped byte in the image data breaks the IDAT CRC; in the IHDR the
 * IHDR CRC. */
static void test_corrupt(void **state)
{
    maso_decoder *d = NULL;
    maso_image img;
    fx_buf png = noise_rgb_png(40, 30);
    (void)state;

    assert_int_equal(maso_decoder_create(&d), 0);
    png.data[png.size / 2] ^= 0x5A;
    assert_int_equal(maso_decoder_load_memory(d, png.data, png.size, "c.png",
                                              NULL, &img), MASO_ECORRUPT);
    assert_null(img.pixels);
    png.data[png.size / 2] ^= 0x5A;
    png.data[23] ^= 0x01; /* low byte of the height inside IHDR */
    assert_int_equal(maso_decoder_load_memory(d, png.data, png.size, "c.png",
                                              NULL, &img), MASO_ECORRUPT);
    png.data[23] ^= 0x01;
    memcpy(png.data + 12, "IHDQ", 4);
    assert_int_equal(maso_decoder_load_memory(d, png.data, png.size, "c.png",
                                              NULL, &img), MASO_ECORRUPT);
    maso_decoder_destroy(d);
    free(png.data);
}

/* 100000 x 100000 (valid CRC, written by libpng) is refused before any
 * pixel memory is allocated: there is no image data at all after IHDR, so
 * reaching the decode would report corruption instead. */
static void test_too_big(void **state)
{
    maso_decoder *d = NULL;
    maso_decode_params p;
    maso_image img;
    fx_buf hdr = fx_png_header_only(100000, 100000);
    fx_buf small = noise_rgb_png(64, 64);
    (void)state;

    assert_int_equal(maso_decoder_create(&d), 0);
    assert_int_equal(maso_decoder_load_memory(d, hdr.data, hdr.size, "big.png",
                                              NULL, &img), MASO_ETOOBIG);
    assert_null(img.pixels);
    assert_non_null(strstr(maso_decoder_errmsg(d), "100000x100000"));
    maso_decode_params_init(&p);
    p.max_pixels = 64 * 64 - 1;
    assert_int_equal(maso_decoder_load_memory(d, small.data, small.size, "s",
                                              &p, &img), MASO_ETOOBIG);
    p.max_pixels = 64 * 64;
    assert_int_equal(maso_decoder_load_memory(d, small.data, small.size, "s",
                                              &p, &img), 0);
    maso_image_free(&img);
    maso_decoder_destroy(d);
    free(hdr.data);
    free(small.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grey_depths),
        cmocka_unit_test(test_colour_types),
        cmocka_unit_test(test_palette_trns),
        cmocka_unit_test(test_colour_key),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_corrupt),
        cmocka_unit_test(test_too_big),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
