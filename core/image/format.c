/*
 * format.c -- which image format a file holds, from its first bytes.
 *
 * Every format has a signature at offset 0 except HEIF/AVIF, whose ISO
 * base media file starts with an 'ftyp' box listing brands: the major brand
 * at offset 8, compatible brands from offset 16 to the end of the box.  An
 * MP4 video has an ftyp box too, so the brands decide, not the box.  BMP
 * and PNM signatures are two letters, which text can start with ("BM...",
 * "P3 ..."), so their headers must also look plausible.
 */
#include "image/image_internal.h"

#include <string.h>

static const unsigned char png_signature[8] = {0x89, 'P',  'N',  'G',
                                               0x0D, 0x0A, 0x1A, 0x0A};
static const unsigned char jxl_container[12] = {0,   0,   0,   0x0C, 'J',  'X',
                                                'L', ' ', 0x0D, 0x0A, 0x87, 0x0A};

static int starts_with(const unsigned char *d, size_t n, const void *sig,
                       size_t len)
{
    return n >= len && memcmp(d, sig, len) == 0;
}

/* An ftyp brand names a still image of HEIF (HEVC) or AVIF (AV1)?  mif1 is
 * the generic "image file" brand: we let libheif decide what it holds. */
static maso_format brand_format(const unsigned char *b)
{
    static const char *const heif[] = {"heic", "heix", "heim", "heis",
                                       "hevc", "hevx", "hevm", "hevs",
                                       "mif1", "msf1", "mif2"};
    if (memcmp(b, "avif", 4) == 0 || memcmp(b, "avis", 4) == 0)
        return MASO_FORMAT_AVIF;
    for (size_t i = 0; i < sizeof heif / sizeof heif[0]; i++)
        if (memcmp(b, heif[i], 4) == 0)
            return MASO_FORMAT_HEIF;
    return MASO_FORMAT_UNKNOWN;
}

static maso_format ftyp_format(const unsigned char *d, size_t n)
{
    size_t box, end;
    maso_format found = MASO_FORMAT_UNKNOWN;

    if (n < 16 || memcmp(d + 4, "ftyp", 4) != 0)
        return MASO_FORMAT_UNKNOWN;
    box = (size_t)d[0] << 24 | (size_t)d[1] << 16 | (size_t)d[2] << 8 | d[3];
    if (box < 16)
        return MASO_FORMAT_UNKNOWN;
    end = box < n ? box : n;
    /* An AVIF brand anywhere wins over mif1: AVIF files list both. */
    for (size_t off = 8; off + 4 <= end; off += off == 8 ? 8 : 4) {
        maso_format f = brand_format(d + off);
        if (f == MASO_FORMAT_AVIF)
            return f;
        if (f != MASO_FORMAT_UNKNOWN)
            found = f;
    }
    return found;
}

/* "BM", then a header size that one of the BMP versions uses. */
static int looks_like_bmp(const unsigned char *d, size_t n)
{
    unsigned hsize;

    if (n < 18 || d[0] != 'B' || d[1] != 'M')
        return 0;
    hsize = (unsigned)d[14] | (unsigned)d[15] << 8 | (unsigned)d[16] << 16 |
            (unsigned)d[17] << 24;
    return hsize == 12 || hsize == 16 || hsize == 40 || hsize == 52 ||
           hsize == 56 || hsize == 64 || hsize == 108 || hsize == 124;
}

/* "P1".."P7" and white space (PAM: "P7\n"). */
static int looks_like_pnm(const unsigned char *d, size_t n)
{
    if (n < 3 || d[0] != 'P' || d[1] < '1' || d[1] > '7')
        return 0;
    return d[2] == ' ' || d[2] == '\t' || d[2] == '\n' || d[2] == '\r' ||
           d[2] == '#';
}

maso_format maso_format_detect(const void *data, size_t size)
{
    const unsigned char *d = data;
    maso_format f;

    if (d == NULL)
        return MASO_FORMAT_UNKNOWN;
    if (starts_with(d, size, png_signature, sizeof png_signature))
        return MASO_FORMAT_PNG;
    if (starts_with(d, size, "\xFF\xD8\xFF", 3))
        return MASO_FORMAT_JPEG;
    if (size >= 12 && memcmp(d, "RIFF", 4) == 0 && memcmp(d + 8, "WEBP", 4) == 0)
        return MASO_FORMAT_WEBP;
    if (starts_with(d, size, "II*\0", 4) || starts_with(d, size, "MM\0*", 4) ||
        starts_with(d, size, "II+\0", 4) || starts_with(d, size, "MM\0+", 4))
        return MASO_FORMAT_TIFF;
    if (starts_with(d, size, "GIF87a", 6) || starts_with(d, size, "GIF89a", 6))
        return MASO_FORMAT_GIF;
    if (starts_with(d, size, "\xFF\x0A", 2) ||
        starts_with(d, size, jxl_container, sizeof jxl_container))
        return MASO_FORMAT_JXL;
    f = ftyp_format(d, size);
    if (f != MASO_FORMAT_UNKNOWN)
        return f;
    if (looks_like_bmp(d, size))
        return MASO_FORMAT_BMP;
    if (looks_like_pnm(d, size))
        return MASO_FORMAT_PNM;
    return MASO_FORMAT_UNKNOWN;
}

const char *maso_format_name(maso_format format)
{
    switch (format) {
    case MASO_FORMAT_PNG: return "PNG";
    case MASO_FORMAT_JPEG: return "JPEG";
    case MASO_FORMAT_WEBP: return "WebP";
    case MASO_FORMAT_TIFF: return "TIFF";
    case MASO_FORMAT_GIF: return "GIF";
    case MASO_FORMAT_HEIF: return "HEIF";
    case MASO_FORMAT_AVIF: return "AVIF";
    case MASO_FORMAT_JXL: return "JPEG XL";
    case MASO_FORMAT_BMP: return "BMP";
    case MASO_FORMAT_PNM: return "PNM";
    default: return "unknown";
    }
}

/* A file cut inside a signature: its bytes are a prefix of one. */
int core_format_truncated_signature(const unsigned char *data, size_t size)
{
    static const struct { const char *sig; size_t len; } sigs[] = {
        {"\x89PNG\r\n\x1A\n", 8}, {"\xFF\xD8\xFF", 3}, {"GIF89a", 6},
        {"GIF87a", 6}, {"\0\0\0\x0CJXL \r\n\x87\n", 12},
    };
    if (size == 0)
        return 0;
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        if (size < sigs[i].len && memcmp(data, sigs[i].sig, size) == 0)
            return 1;
    /* RIFF....WEBP cut before "WEBP" */
    if (size < 12 && memcmp(data, "RIFF", size < 4 ? size : 4) == 0 &&
        (size <= 8 || memcmp(data + 8, "WEBP", size - 8) == 0))
        return 1;
    return 0;
}
