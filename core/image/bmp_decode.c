/*
 * bmp_decode.c -- Windows and OS/2 bitmaps to 8-bit RGB (our own reader).
 *
 * A BMP is a 14-byte file header ("BM", size, offset of the pixels), an
 * information header whose length names its version (12: OS/2 1.x and
 * Windows 2 core header, 16/64: OS/2 2.x, 40: Windows 3, 52/56: with colour
 * masks, 108: V4, 124: V5), an optional palette and the pixel rows, bottom
 * to top unless the height is negative, each padded to 4 bytes.  Read: 1, 4
 * and 8 bits through a palette (RLE8 and RLE4 compressed too), 16 and 32
 * bits through bit masks (default 5-5-5 and 8-8-8), 24 bits BGR.  BMPs that
 * wrap a JPEG or PNG, and OS/2's Huffman and RLE24 codings, are refused as
 * unsupported.
 *
 * Everything comes from an untrusted file: each offset and count is checked
 * against the file size before it is used, the pixel count against
 * max_pixels before any allocation, and RLE runs are clipped to the image.
 * Pixels an RLE stream skips (delta codes, early end) are transparent, as
 * browsers show them: the background.
 */
#include "image/image_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum { BI_RGB = 0, BI_RLE8 = 1, BI_RLE4 = 2, BI_BITFIELDS = 3, BI_JPEG = 4,
       BI_PNG = 5, BI_ALPHABITFIELDS = 6 };

typedef struct bmp_mask {
    uint32_t mask;
    int shift, bits;
} bmp_mask;

typedef struct bmp_info {
    int64_t width, height; /* height < 0: rows top to bottom */
    unsigned bpp, compression;
    size_t offset;          /* of the pixel data */
    const unsigned char *palette;
    size_t palette_entries, palette_entry_size;
    bmp_mask mask[4];       /* R, G, B, A (A.mask 0: opaque) */
} bmp_info;

static uint32_t le16(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static void mask_init(bmp_mask *m, uint32_t mask)
{
    m->mask = mask;
    m->shift = 0;
    m->bits = 0;
    if (mask == 0)
        return;
    while (!(mask & 1u)) {
        mask >>= 1;
        m->shift++;
    }
    while (mask & 1u) {
        mask >>= 1;
        m->bits++;
    }
}

/* The masked field of @p px scaled to 0..255. */
static unsigned mask_value(const bmp_mask *m, uint32_t px)
{
    uint64_t v, max;

    if (m->bits == 0)
        return 0;
    v = (px & m->mask) >> m->shift;
    max = ((uint64_t)1 << m->bits) - 1;
    if (v > max) /* a mask with holes: keep what fits */
        v = max;
    return (unsigned)((v * 255 + max / 2) / max);
}

static int corrupt(maso_decoder *decoder, const char *name, const char *what)
{
    return core_decoder_fail(decoder, MASO_ECORRUPT, name,
                             "corrupt or truncated BMP: %s", what);
}

/* Read the headers, masks and palette into @p bi, checking every bound. */
static int read_headers(maso_decoder *decoder, const unsigned char *d,
                        size_t size, const char *name, bmp_info *bi)
{
    uint32_t hsize, masks_at = 0, clr_used = 0;
    int core, os2;
    size_t pal_at;

    memset(bi, 0, sizeof *bi);
    if (size < 26)
        return corrupt(decoder, name, "the headers are cut short");
    hsize = le32(d + 14);
    if (hsize > size - 14 || hsize < 12)
        return corrupt(decoder, name, "the information header is cut short");
    bi->offset = le32(d + 10);
    core = hsize == 12;
    os2 = hsize == 16 || hsize == 64;
    if (core) {
        bi->width = le16(d + 18);
        bi->height = le16(d + 20);
        if (le16(d + 22) != 1)
            return corrupt(decoder, name, "plane count is not 1");
        bi->bpp = le16(d + 24);
    } else {
        if (hsize < 16)
            return corrupt(decoder, name, "the information header is cut "
                                          "short");
        bi->width = (int32_t)le32(d + 18);
        bi->height = (int32_t)le32(d + 22);
        if (le16(d + 26) != 1)
            return corrupt(decoder, name, "plane count is not 1");
        bi->bpp = le16(d + 28);
        bi->compression = hsize >= 20 ? le32(d + 30) : BI_RGB;
        clr_used = hsize >= 36 ? le32(d + 46) : 0;
    }
    if (os2 && bi->compression >= BI_BITFIELDS)
        return core_decoder_fail(decoder, MASO_EUNSUPPORTED, name,
                                 "unsupported BMP: OS/2 compression %u",
                                 bi->compression);
    if (bi->compression == BI_JPEG || bi->compression == BI_PNG)
        return core_decoder_fail(decoder, MASO_EUNSUPPORTED, name,
                                 "unsupported BMP: it wraps a %s image",
                                 bi->compression == BI_JPEG ? "JPEG" : "PNG");
    if (bi->compression > BI_ALPHABITFIELDS)
        return corrupt(decoder, name, "unknown compression");
    if (bi->bpp != 1 && bi->bpp != 4 && bi->bpp != 8 && bi->bpp != 16 &&
        bi->bpp != 24 && bi->bpp != 32)
        return core_decoder_fail(decoder, MASO_EUNSUPPORTED, name,
                                 "unsupported BMP: %u bits per pixel",
                                 bi->bpp);
    if ((bi->compression == BI_RLE8 && bi->bpp != 8) ||
        (bi->compression == BI_RLE4 && bi->bpp != 4) ||
        ((bi->compression == BI_BITFIELDS ||
          bi->compression == BI_ALPHABITFIELDS) &&
         bi->bpp != 16 && bi->bpp != 32))
        return corrupt(decoder, name, "compression does not match the bit "
                                      "depth");

    /* Colour masks: default, in the header (52 bytes and more), or after
     * a 40-byte header. */
    if (bi->bpp == 16) {
        mask_init(&bi->mask[0], 0x7C00);
        mask_init(&bi->mask[1], 0x03E0);
        mask_init(&bi->mask[2], 0x001F);
    } else if (bi->bpp == 32) {
        mask_init(&bi->mask[0], 0x00FF0000);
        mask_init(&bi->mask[1], 0x0000FF00);
        mask_init(&bi->mask[2], 0x000000FF);
    }
    if (bi->compression == BI_BITFIELDS ||
        bi->compression == BI_ALPHABITFIELDS) {
        size_t n = bi->compression == BI_ALPHABITFIELDS ? 4 : 3;
        masks_at = 14 + 40;
        if (hsize >= 52) {
            n = hsize >= 56 ? 4 : 3;
        } else if (hsize != 40 || size < masks_at + 4 * n) {
            return corrupt(decoder, name, "the colour masks are cut short");
        }
        for (size_t i = 0; i < n; i++)
            mask_init(&bi->mask[i], le32(d + masks_at + 4 * i));
        if (bi->mask[0].mask == 0 && bi->mask[1].mask == 0 &&
            bi->mask[2].mask == 0)
            return corrupt(decoder, name, "all colour masks are zero");
    } else if (bi->bpp == 32 && hsize >= 56) {
        /* V3+ headers may name an alpha channel of a BI_RGB image. */
        mask_init(&bi->mask[3], le32(d + 14 + 52));
    }

    if (bi->bpp <= 8) {
        size_t max = (size_t)1 << bi->bpp;

        bi->palette_entry_size = core ? 3 : 4;
        pal_at = 14 + (size_t)hsize;
        if (hsize == 40 && (bi->compression == BI_BITFIELDS ||
                            bi->compression == BI_ALPHABITFIELDS))
            pal_at += bi->compression == BI_BITFIELDS ? 12 : 16;
        bi->palette_entries = clr_used != 0 && clr_used < max ? clr_used : max;
        /* A palette may be shorter than 2^bpp when the file says so; it
         * must fit before the pixels and in the file. */
        if (pal_at > size)
            return corrupt(decoder, name, "the palette is missing");
        if (bi->palette_entries > (size - pal_at) / bi->palette_entry_size)
            bi->palette_entries = (size - pal_at) / bi->palette_entry_size;
        if (bi->offset >= pal_at &&
            bi->palette_entries > (bi->offset - pal_at) / bi->palette_entry_size)
            bi->palette_entries = (bi->offset - pal_at) / bi->palette_entry_size;
        if (bi->palette_entries == 0)
            return corrupt(decoder, name, "the palette is empty");
        bi->palette = d + pal_at;
    }
    if (bi->offset > size)
        return corrupt(decoder, name, "the pixel data offset is past the "
                                      "end of the file");
    return 0;
}

/* Store palette entry @p i (out of range: black) as an opaque pixel. */
static void put_index(const bmp_info *bi, unsigned i, unsigned char *dst)
{
    if (i < bi->palette_entries) {
        const unsigned char *e = bi->palette + i * bi->palette_entry_size;
        dst[0] = e[2];
        dst[1] = e[1];
        dst[2] = e[0];
    } else {
        dst[0] = dst[1] = dst[2] = 0;
    }
    dst[3] = 255;
}

static void decode_row(const bmp_info *bi, const unsigned char *src, int w,
                       unsigned char *dst)
{
    for (int x = 0; x < w; x++, dst += 4) {
        switch (bi->bpp) {
        case 1: put_index(bi, src[x >> 3] >> (7 - (x & 7)) & 1u, dst); break;
        case 4: put_index(bi, src[x >> 1] >> (x & 1 ? 0 : 4) & 15u, dst); break;
        case 8: put_index(bi, src[x], dst); break;
        case 24:
            dst[0] = src[3 * x + 2];
            dst[1] = src[3 * x + 1];
            dst[2] = src[3 * x];
            dst[3] = 255;
            break;
        default: {
            uint32_t px = bi->bpp == 16 ? le16(src + 2 * x) : le32(src + 4 * x);
            for (int c = 0; c < 3; c++)
                dst[c] = (unsigned char)mask_value(&bi->mask[c], px);
            dst[3] = bi->mask[3].mask ? (unsigned char)mask_value(&bi->mask[3], px)
                                      : 255;
        }
        }
    }
}

static int decode_plain(maso_decoder *decoder, const unsigned char *d,
                        size_t size, const char *name, const bmp_info *bi,
                        int w, int h, unsigned char *rgba)
{
    size_t stride = (((size_t)w * bi->bpp + 31) / 32) * 4;
    int bottom_up = bi->height > 0;

    if (stride != 0 && (size - bi->offset) / stride < (size_t)h)
        return corrupt(decoder, name, "the pixel data ends early");
    for (int r = 0; r < h; r++) {
        int y = bottom_up ? h - 1 - r : r;
        decode_row(bi, d + bi->offset + (size_t)r * stride, w,
                   rgba + (size_t)y * w * 4);
    }
    return 0;
}

/* RLE8 / RLE4: runs and absolute stretches of palette indices, from the
 * bottom row up; pixels outside the image are dropped. */
static int decode_rle(maso_decoder *decoder, const unsigned char *d,
                      size_t size, const char *name, const bmp_info *bi,
                      int w, int h, unsigned char *rgba)
{
    size_t p = bi->offset;
    int64_t x = 0, row = 0; /* row 0 is the bottom one */
    int four = bi->compression == BI_RLE4;

#define PUT(idx)                                                            \
    do {                                                                    \
        if (x < w && row < h)                                               \
            put_index(bi, (idx),                                            \
                      rgba + ((size_t)(h - 1 - row) * w + (size_t)x) * 4);  \
        x++;                                                                \
    } while (0)

    while (row < h) {
        unsigned n, code;

        if (size - p < 2)
            return corrupt(decoder, name, "the RLE data ends early");
        n = d[p];
        code = d[p + 1];
        p += 2;
        if (n > 0) { /* a run of n pixels */
            for (unsigned i = 0; i < n && x < w; i++)
                PUT(four ? (i & 1 ? code & 15u : code >> 4) : code);
            continue;
        }
        if (code == 0) { /* end of line */
            x = 0;
            row++;
        } else if (code == 1) { /* end of bitmap */
            return 0;
        } else if (code == 2) { /* delta */
            if (size - p < 2)
                return corrupt(decoder, name, "the RLE data ends early");
            x += d[p];
            row += d[p + 1];
            p += 2;
        } else { /* absolute: code pixels, padded to 16 bits */
            size_t bytes = four ? (code + 1u) / 2 : code;
            bytes += bytes & 1u;
            if (size - p < bytes)
                return corrupt(decoder, name, "the RLE data ends early");
            for (unsigned i = 0; i < code; i++)
                PUT(four ? (i & 1 ? d[p + i / 2] & 15u : d[p + i / 2] >> 4)
                         : d[p + i]);
            p += bytes;
        }
    }
#undef PUT
    return 0;
}

int core_bmp_decode(maso_decoder *decoder, const unsigned char *data,
                    size_t size, const char *name,
                    const maso_decode_params *params, maso_image *out)
{
    bmp_info bi;
    maso_image img = {0, 0, NULL};
    unsigned char *rgba;
    size_t npix;
    int rc, w, h, rle, any_alpha = 0;

    rc = read_headers(decoder, data, size, name, &bi);
    if (rc != 0)
        return rc;
    if (bi.width <= 0 || bi.height == 0)
        return core_decoder_fail(decoder, MASO_ECORRUPT, name,
                                 "corrupt BMP: size %lldx%lld",
                                 (long long)bi.width, (long long)bi.height);
    rc = core_decoder_check_size(decoder, name, "BMP", (uint64_t)bi.width,
                                 (uint64_t)(bi.height < 0 ? -bi.height
                                                          : bi.height),
                                 params);
    if (rc != 0)
        return rc;
    w = (int)bi.width;
    h = (int)(bi.height < 0 ? -bi.height : bi.height);
    rle = bi.compression == BI_RLE8 || bi.compression == BI_RLE4;
    rc = core_image_alloc_rgba(&img, w, h);
    if (rc != 0)
        return core_decoder_fail(decoder, rc, name,
                                 "cannot allocate %dx%d pixels", w, h);
    npix = (size_t)w * (size_t)h;
    rgba = img.pixels;
    if (rle) {
        memset(rgba, 0, npix * 4); /* skipped pixels: transparent */
        rc = decode_rle(decoder, data, size, name, &bi, w, h, rgba);
    } else {
        rc = decode_plain(decoder, data, size, name, &bi, w, h, rgba);
    }
    if (rc != 0) {
        maso_image_free(&img);
        return rc;
    }
    /* An alpha channel that is 0 everywhere was never filled in (writers
     * that do not know about alpha): the image is opaque. */
    if (bi.mask[3].mask != 0) {
        for (size_t i = 0; i < npix && !any_alpha; i++)
            any_alpha = rgba[4 * i + 3] != 0;
        if (!any_alpha)
            for (size_t i = 0; i < npix; i++)
                rgba[4 * i + 3] = 255;
    }
    core_image_rgba_to_rgb(&img, params->background, 0);
    *out = img;
    return 0;
}
