/*
 * pnm_decode.c -- Netpbm images to 8-bit RGB (our own reader).
 *
 * PBM (P1 plain, P4 raw: 1 = black), PGM (P2, P5), PPM (P3, P6) and PAM
 * (P7: a WIDTH/HEIGHT/DEPTH/MAXVAL/TUPLTYPE header closed by ENDHDR; grey,
 * RGB, each with alpha, black and white).  Header fields are separated by
 * white space, '#' starts a comment to the end of the line, and one white
 * space character separates the header from raw samples.  Samples are one
 * byte for maxval < 256, else two bytes big-endian; they are scaled to
 * 0..255 (v * 255 / maxval, rounded).  A file holding several images is
 * read for its first.
 *
 * The file is untrusted: numbers are parsed with overflow checks, the
 * pixel count is checked against max_pixels before allocating, raw data
 * must be all there, and plain data is read with its end in sight.
 */
#include "image/image_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct pnm_reader {
    const unsigned char *d;
    size_t size, pos;
} pnm_reader;

typedef struct pnm_header {
    int kind;         /* 1..7: the digit of the magic number */
    uint64_t width, height;
    unsigned depth;   /* samples per pixel */
    unsigned maxval;
    int alpha;        /* the last sample is alpha */
} pnm_header;

static int is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
           c == '\f';
}

/* Skip white space and comments. */
static void skip_space(pnm_reader *r)
{
    while (r->pos < r->size) {
        if (r->d[r->pos] == '#') {
            while (r->pos < r->size && r->d[r->pos] != '\n')
                r->pos++;
        } else if (is_space(r->d[r->pos])) {
            r->pos++;
        } else {
            break;
        }
    }
}

/* A decimal number up to @p max; 0 on success, -1 if there is none or it
 * is too large. */
static int read_number(pnm_reader *r, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    size_t start;

    skip_space(r);
    start = r->pos;
    while (r->pos < r->size && r->d[r->pos] >= '0' && r->d[r->pos] <= '9') {
        v = v * 10 + (uint64_t)(r->d[r->pos] - '0');
        if (v > max)
            return -1;
        r->pos++;
    }
    if (r->pos == start)
        return -1;
    *out = v;
    return 0;
}

static int corrupt(maso_decoder *decoder, const char *name, const char *what)
{
    return core_decoder_fail(decoder, MASO_ECORRUPT, name,
                             "corrupt or truncated PNM: %s", what);
}

/* A PAM header: KEY VALUE lines up to ENDHDR. */
static int read_pam_header(maso_decoder *decoder, pnm_reader *r,
                           const char *name, pnm_header *h)
{
    char tupltype[32] = "";
    uint64_t v;
    int have = 0;

    for (;;) {
        size_t start, len;
        const char *key;

        skip_space(r);
        start = r->pos;
        while (r->pos < r->size && !is_space(r->d[r->pos]))
            r->pos++;
        key = (const char *)r->d + start;
        len = r->pos - start;
        if (len == 0)
            return corrupt(decoder, name, "PAM header without ENDHDR");
        if (len == 6 && memcmp(key, "ENDHDR", 6) == 0)
            break;
        if (len == 8 && memcmp(key, "TUPLTYPE", 8) == 0) {
            size_t ts;
            while (r->pos < r->size && (r->d[r->pos] == ' ' ||
                                        r->d[r->pos] == '\t'))
                r->pos++;
            ts = r->pos;
            while (r->pos < r->size && !is_space(r->d[r->pos]))
                r->pos++;
            if (r->pos - ts < sizeof tupltype) {
                memcpy(tupltype, r->d + ts, r->pos - ts);
                tupltype[r->pos - ts] = '\0';
            }
            continue;
        }
        if (read_number(r, UINT32_MAX, &v) != 0)
            return corrupt(decoder, name, "bad number in the PAM header");
        if (len == 5 && memcmp(key, "WIDTH", 5) == 0) {
            h->width = v;
            have |= 1;
        } else if (len == 6 && memcmp(key, "HEIGHT", 6) == 0) {
            h->height = v;
            have |= 2;
        } else if (len == 5 && memcmp(key, "DEPTH", 5) == 0) {
            h->depth = (unsigned)(v > 16 ? 16 : v);
            have |= 4;
        } else if (len == 6 && memcmp(key, "MAXVAL", 6) == 0) {
            h->maxval = (unsigned)(v > 65536 ? 65536 : v);
            have |= 8;
        }
        /* other keys are unknown: ignored */
    }
    if (have != 15)
        return corrupt(decoder, name, "PAM header lacks WIDTH, HEIGHT, "
                                      "DEPTH or MAXVAL");
    if (h->depth < 1 || h->depth > 4)
        return core_decoder_fail(decoder, MASO_EUNSUPPORTED, name,
                                 "unsupported PAM: depth %u (tuple type "
                                 "'%s')", h->depth, tupltype);
    h->alpha = h->depth == 2 || h->depth == 4;
    return 0;
}

static int read_header(maso_decoder *decoder, pnm_reader *r, const char *name,
                       pnm_header *h)
{
    uint64_t v;

    memset(h, 0, sizeof *h);
    h->kind = r->d[1] - '0';
    r->pos = 2;
    if (h->kind == 7) {
        if (read_pam_header(decoder, r, name, h) != 0)
            return MASO_ECORRUPT;
    } else {
        if (read_number(r, UINT32_MAX, &h->width) != 0 ||
            read_number(r, UINT32_MAX, &h->height) != 0)
            return corrupt(decoder, name, "bad width or height");
        if (h->kind == 1 || h->kind == 4) {
            h->maxval = 1;
        } else {
            if (read_number(r, 65536, &v) != 0)
                return corrupt(decoder, name, "bad maximum value");
            h->maxval = (unsigned)v;
        }
        h->depth = h->kind == 3 || h->kind == 6 ? 3 : 1;
    }
    if (h->maxval < 1 || h->maxval > 65535)
        return corrupt(decoder, name, "maximum value outside 1..65535");
    /* One white space character ends the header. */
    if (r->pos >= r->size || !is_space(r->d[r->pos]))
        return corrupt(decoder, name, "no white space after the header");
    r->pos++;
    return 0;
}

/* The next sample of plain (ASCII) data; PBM digits need no separator. */
static int plain_sample(pnm_reader *r, int pbm, unsigned maxval, unsigned *out)
{
    uint64_t v;

    if (pbm) {
        skip_space(r);
        if (r->pos >= r->size ||
            (r->d[r->pos] != '0' && r->d[r->pos] != '1'))
            return -1;
        *out = r->d[r->pos++] == '1';
        return 0;
    }
    if (read_number(r, 65535, &v) != 0 || v > maxval)
        return -1;
    *out = (unsigned)v;
    return 0;
}

static unsigned char scale(unsigned v, unsigned maxval)
{
    if (v > maxval)
        v = maxval;
    return (unsigned char)((v * 255u + maxval / 2) / maxval);
}

/* Samples of every pixel into @p rgba (4 bytes per pixel). */
static int read_pixels(maso_decoder *decoder, pnm_reader *r, const char *name,
                       const pnm_header *h, size_t w, size_t ht,
                       unsigned char *rgba)
{
    int plain = h->kind <= 3, pbm = h->kind == 1 || h->kind == 4;
    size_t bps = h->maxval > 255 ? 2 : 1;
    size_t npix = w * ht;

    if (h->kind == 4) { /* packed bits, rows padded to a byte, 1 = black */
        size_t stride = (w + 7) / 8;
        if ((r->size - r->pos) / stride < ht)
            return corrupt(decoder, name, "the pixel data ends early");
        for (size_t y = 0; y < ht; y++) {
            const unsigned char *row = r->d + r->pos + y * stride;
            for (size_t x = 0; x < w; x++) {
                unsigned char *p = rgba + (y * w + x) * 4;
                unsigned char g = (row[x >> 3] >> (7 - (x & 7)) & 1) ? 0 : 255;
                p[0] = p[1] = p[2] = g;
                p[3] = 255;
            }
        }
        return 0;
    }
    if (!plain && (r->size - r->pos) / (h->depth * bps) < npix)
        return corrupt(decoder, name, "the pixel data ends early");
    for (size_t i = 0; i < npix; i++) {
        unsigned s[4] = {0, 0, 0, 0};
        unsigned char *p = rgba + i * 4;

        for (unsigned c = 0; c < h->depth; c++) {
            if (plain) {
                if (plain_sample(r, pbm, h->maxval, &s[c]) != 0)
                    return corrupt(decoder, name,
                                   "the plain pixel data ends early or "
                                   "holds a bad number");
            } else if (bps == 1) {
                s[c] = r->d[r->pos++];
            } else {
                s[c] = (unsigned)r->d[r->pos] << 8 | r->d[r->pos + 1];
                r->pos += 2;
            }
        }
        if (pbm) {
            p[0] = p[1] = p[2] = s[0] ? 0 : 255;
            p[3] = 255;
            continue;
        }
        if (h->depth <= 2) {
            p[0] = p[1] = p[2] = scale(s[0], h->maxval);
        } else {
            p[0] = scale(s[0], h->maxval);
            p[1] = scale(s[1], h->maxval);
            p[2] = scale(s[2], h->maxval);
        }
        p[3] = h->alpha ? scale(s[h->depth - 1], h->maxval) : 255;
    }
    return 0;
}

int core_pnm_decode(maso_decoder *decoder, const unsigned char *data,
                    size_t size, const char *name,
                    const maso_decode_params *params, maso_image *out)
{
    pnm_reader r = {data, size, 0};
    pnm_header h;
    maso_image img = {0, 0, NULL};
    unsigned char *rgba;
    size_t npix;
    int rc;

    rc = read_header(decoder, &r, name, &h);
    if (rc != 0)
        return rc;
    rc = core_decoder_check_size(decoder, name, "PNM", h.width, h.height,
                                 params);
    if (rc != 0)
        return rc;
    /* Even plain data needs one byte per sample (PBM) or two (a digit
     * and a separator): a header promising more than the file can hold
     * is refused before allocating. */
    npix = (size_t)h.width * (size_t)h.height;
    if (h.kind <= 3 &&
        (r.size - r.pos) / (h.kind == 1 ? 1 : 2 * (size_t)h.depth) < npix - 1)
        return corrupt(decoder, name, "the pixel data ends early");
    rc = core_image_alloc_rgba(&img, (int)h.width, (int)h.height);
    if (rc != 0) {
        return core_decoder_fail(decoder, rc, name,
                                 "cannot allocate %llux%llu pixels",
                                 (unsigned long long)h.width,
                                 (unsigned long long)h.height);
    }
    rgba = img.pixels;
    rc = read_pixels(decoder, &r, name, &h, (size_t)h.width,
                     (size_t)h.height, rgba);
    if (rc != 0) {
        maso_image_free(&img);
        return rc;
    }
    core_image_rgba_to_rgb(&img, params->background, 0);
    *out = img;
    return 0;
}
