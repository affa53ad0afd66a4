/*
 * test_image_state.c -- a file's decode depends on its bytes alone.
 *
 * Issue 11, defects 1 and 2: a decoder that reused one TurboJPEG handle
 * refused every good JPEG after some header errors, and decoded a JPEG
 * lacking its quantization tables with the previous file's tables.  The
 * reference here is a decoder that has seen nothing: every file, decoded
 * after any other file (good or bad, at full size and at 1/8), must give
 * the same status, message and pixels as on a fresh decoder.  The bad
 * files are made from good TurboJPEG output by one edit each, one per
 * error class libjpeg reports from a header (and a few from scan data).
 */
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

typedef struct sample {
    const char *what;
    fx_buf jpeg;
    int must_fail; /* refused by a fresh decoder */
} sample;

#define MAX_SAMPLES 80
static sample samples[MAX_SAMPLES];
static size_t n_samples;
static size_t n_good;

/* Offset of the first segment with marker @p m (the 0xFF byte), or 0. */
static size_t find_marker(const fx_buf *b, int m)
{
    size_t i = 2;
    while (i + 4 <= b->size && b->data[i] == 0xFF) {
        int marker = b->data[i + 1];
        if (marker == m)
            return i;
        if (marker == 0xDA)
            return 0;
        i += 2 + ((size_t)b->data[i + 2] << 8 | b->data[i + 3]);
    }
    return 0;
}

static size_t segment_end(const fx_buf *b, size_t at)
{
    return at + 2 + ((size_t)b->data[at + 2] << 8 | b->data[at + 3]);
}

static fx_buf copy_of(const fx_buf *b)
{
    fx_buf c = { malloc(b->size + 64), b->size, b->size + 64 };
    assert_non_null(c.data);
    memcpy(c.data, b->data, b->size);
    return c;
}

/* Remove bytes [from, to). */
static void cut_range(fx_buf *b, size_t from, size_t to)
{
    memmove(b->data + from, b->data + to, b->size - to);
    b->size -= to - from;
}

/* Insert @p n bytes at @p at (capacity allows 64). */
static void insert_bytes(fx_buf *b, size_t at, const unsigned char *p,
                         size_t n)
{
    assert_true(b->size + n <= b->cap);
    memmove(b->data + at + n, b->data + at, b->size - at);
    memcpy(b->data + at, p, n);
    b->size += n;
}

/* Remove every segment with marker @p m before the first scan. */
static void drop_all(fx_buf *b, int m)
{
    size_t at;
    while ((at = find_marker(b, m)) != 0)
        cut_range(b, at, segment_end(b, at));
}

static void add(const char *what, fx_buf jpeg, int must_fail)
{
    assert_true(n_samples < MAX_SAMPLES);
    samples[n_samples++] = (sample){ what, jpeg, must_fail };
}

/* One edited copy of @p good per error class. */
static void add_broken(const char *tag, const fx_buf *good)
{
    static char names[MAX_SAMPLES][64];
    static int n_names;
    size_t dqt = find_marker(good, 0xDB), sof = find_marker(good, 0xC0);
    size_t dht = find_marker(good, 0xC4), sos = find_marker(good, 0xDA);
    fx_buf b;
    char *name;

    if (sof == 0)
        sof = find_marker(good, 0xC2);
    assert_true(dqt && sof && dht && sos);
#define NAME(s) (name = names[n_names++], \
                 snprintf(name, 64, "%s: %s", tag, s), name)

    b = copy_of(good); /* "Bogus marker length" */
    b.data[dqt + 2] = 0;
    b.data[dqt + 3] = 1;
    add(NAME("bogus marker length"), b, 1);

    b = copy_of(good); /* "Bogus Huffman table definition" */
    memset(b.data + dht + 5, 0xFF, 16);
    add(NAME("bogus Huffman table"), b, 1);

    b = copy_of(good); /* "Bogus DQT index" */
    b.data[dqt + 4] = 0x07;
    add(NAME("bogus DQT index"), b, 1);

    b = copy_of(good);
    insert_bytes(&b, dqt, (const unsigned char[]){ 0xFF, 0xD8 }, 2);
    add(NAME("second SOI"), b, 1);

    b = copy_of(good);
    insert_bytes(&b, sof, good->data + sof, segment_end(good, sof) - sof);
    add(NAME("second SOF"), b, 1);

    b = copy_of(good);
    b.size = sos;
    add(NAME("cut just before SOS"), b, 1);

    b = copy_of(good);
    b.data[sof + 5] = b.data[sof + 6] = 0;
    add(NAME("SOF with zero height"), b, 1);

    b = copy_of(good); /* the tables the frame uses are never defined */
    drop_all(&b, 0xDB);
    add(NAME("no quantization table"), b, 1);

    b = copy_of(good); /* component 1 names table 3, never defined */
    b.data[sof + 10 + 2] = 3;
    add(NAME("undefined quantization table"), b, 1);

    b = copy_of(good); /* libjpeg then uses its standard tables */
    drop_all(&b, 0xC4);
    add(NAME("no Huffman table"), b, 0);

    b = copy_of(good);
    b.size = sos + (good->size - sos) / 2;
    add(NAME("cut in the scan data"), b, 1);

    b = copy_of(good);
    for (size_t i = sos + 40; i + 8 < b.size; i += 97)
        b.data[i] = 0xFF;
    add(NAME("marker bytes in the scan data"), b, 0);
#undef NAME
}

static unsigned char *pattern(int w, int h, int channels, uint32_t seed)
{
    unsigned char *px = malloc((size_t)w * h * channels);
    uint32_t s = seed;
    assert_non_null(px);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < channels; c++)
                px[((size_t)y * w + x) * channels + c] =
                    (unsigned char)((x * (c + 1) * 3 + y * 2 +
                                     (fx_rand(&s) & 31)) & 255);
    return px;
}

static int setup(void **state)
{
    unsigned char *rgb = pattern(96, 64, 3, 7);
    unsigned char *big = pattern(320, 240, 3, 11);
    unsigned char *grey = pattern(40, 32, 1, 13);
    unsigned char *cmyk = pattern(48, 32, 4, 17);
    (void)state;

    /* Different qualities: different quantization tables. */
    add("baseline 4:2:0 q90", fx_jpeg_encode(rgb, 96, 64, TJPF_RGB,
                                             TJSAMP_420, 90, 0), 0);
    add("baseline 4:4:4 q30", fx_jpeg_encode(rgb, 96, 64, TJPF_RGB,
                                             TJSAMP_444, 30, 0), 0);
    add("progressive 4:2:0 q85", fx_jpeg_encode(big, 320, 240, TJPF_RGB,
                                                TJSAMP_420, 85,
                                                TJFLAG_PROGRESSIVE), 0);
    add("grey q75", fx_jpeg_encode(grey, 40, 32, TJPF_GRAY, TJSAMP_GRAY,
                                   75, 0), 0);
    add("CMYK q95", fx_jpeg_encode(cmyk, 48, 32, TJPF_CMYK, TJSAMP_444,
                                   95, 0), 0);
    n_good = n_samples;
    for (size_t i = 0; i < n_good; i++)
        add_broken(samples[i].what, &samples[i].jpeg);
    free(rgb);
    free(big);
    free(grey);
    free(cmyk);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < n_samples; i++)
        free(samples[i].jpeg.data);
    return 0;
}

/* What one decode gave. */
typedef struct outcome {
    int rc;
    char msg[1024];
    maso_image img;
} outcome;

static void run(maso_decoder *d, const sample *s, const maso_decode_params *p,
                outcome *o)
{
    o->rc = maso_decoder_load_memory(d, s->jpeg.data, s->jpeg.size, "x.jpg",
                                     p, &o->img);
    snprintf(o->msg, sizeof o->msg, "%s", maso_decoder_errmsg(d));
}

static void fresh(const sample *s, const maso_decode_params *p, outcome *o)
{
    maso_decoder *d = NULL;
    assert_int_equal(maso_decoder_create(&d), 0);
    run(d, s, p, o);
    maso_decoder_destroy(d);
}

static void expect_same(const outcome *got, const outcome *want,
                        const char *before, const char *what)
{
    if (got->rc != want->rc || strcmp(got->msg, want->msg) != 0)
        fail_msg("%s after %s: status %d '%s', fresh %d '%s'", what, before,
                 got->rc, got->msg, want->rc, want->msg);
    assert_int_equal(got->img.width, want->img.width);
    assert_int_equal(got->img.height, want->img.height);
    if (want->rc == 0 &&
        memcmp(got->img.pixels, want->img.pixels,
               (size_t)want->img.width * want->img.height * 3) != 0)
        fail_msg("%s after %s: pixels differ from a fresh decode", what,
                 before);
}

static void params_for(int scaled, maso_decode_params *p)
{
    maso_decode_params_init(p);
    if (scaled) /* 1/8 where possible: the DC-only path for progressive */
        p->min_width = p->min_height = 4;
}

/* Every bad file is refused when it should be, and the edits are real:
 * each bad file differs in outcome or bytes from its source. */
static void test_bad_files_refused(void **state)
{
    (void)state;
    for (int scaled = 0; scaled < 2; scaled++) {
        maso_decode_params p;
        params_for(scaled, &p);
        for (size_t i = 0; i < n_samples; i++) {
            outcome o;
            fresh(&samples[i], &p, &o);
            if (i < n_good && o.rc != 0)
                fail_msg("good %s refused: %s", samples[i].what, o.msg);
            if (samples[i].must_fail && o.rc == 0)
                fail_msg("%s decoded (scaled %d)", samples[i].what, scaled);
            maso_image_free(&o.img);
        }
    }
}

/* Bad, good, good on one decoder: both good decodes equal fresh ones. */
static void test_bad_good_good(void **state)
{
    (void)state;
    for (int scaled = 0; scaled < 2; scaled++) {
        maso_decode_params p;
        params_for(scaled, &p);
        for (size_t g = 0; g < n_good; g++) {
            outcome want;
            fresh(&samples[g], &p, &want);
            for (size_t b = n_good; b < n_samples; b++) {
                maso_decoder *d = NULL;
                outcome bad, got;
                assert_int_equal(maso_decoder_create(&d), 0);
                run(d, &samples[b], &p, &bad);
                maso_image_free(&bad.img);
                for (int k = 0; k < 2; k++) {
                    run(d, &samples[g], &p, &got);
                    expect_same(&got, &want, samples[b].what,
                                samples[g].what);
                    maso_image_free(&got.img);
                }
                maso_decoder_destroy(d);
            }
            maso_image_free(&want.img);
        }
    }
}

/* Any file after any file (good or bad, either scale) equals fresh. */
static void test_decode_after_anything(void **state)
{
    (void)state;
    for (int scaled = 0; scaled < 2; scaled++) {
        maso_decode_params p;
        params_for(scaled, &p);
        for (size_t y = 0; y < n_samples; y++) {
            outcome want;
            fresh(&samples[y], &p, &want);
            for (size_t x = 0; x < n_samples; x++) {
                for (int xscaled = 0; xscaled < 2; xscaled++) {
                    maso_decode_params px;
                    maso_decoder *d = NULL;
                    outcome before, got;
                    params_for(xscaled, &px);
                    assert_int_equal(maso_decoder_create(&d), 0);
                    run(d, &samples[x], &px, &before);
                    maso_image_free(&before.img);
                    run(d, &samples[y], &p, &got);
                    expect_same(&got, &want, samples[x].what,
                                samples[y].what);
                    maso_image_free(&got.img);
                    maso_decoder_destroy(d);
                }
            }
            maso_image_free(&want.img);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_files_refused),
        cmocka_unit_test(test_bad_good_good),
        cmocka_unit_test(test_decode_after_anything),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
