/* image_size.c -- an image's width and height without decoding it, for
 * the --duplicates listing: PNG from its IHDR chunk, JPEG from its frame
 * header (SOFn), both as stored (before EXIF orientation).  Other formats
 * are decoded by libmaso at full size: slower, always right. */
#include "dupes.h"

#include <stdio.h>
#include <string.h>

#include "maso.h"

static unsigned be16(const unsigned char *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

static unsigned long be32(const unsigned char *p)
{
    return (unsigned long)p[0] << 24 | (unsigned long)p[1] << 16 |
           (unsigned long)p[2] << 8 | p[3];
}

/* Walk the JPEG's marker segments to the first frame header. */
static int jpeg_size(FILE *f, int *w, int *h)
{
    unsigned char seg[8];
    for (int guard = 0; guard < 4096; guard++) {
        int c = fgetc(f);
        if (c != 0xFF)
            return -1;
        while ((c = fgetc(f)) == 0xFF)
            ; /* fill bytes */
        if (c == EOF)
            return -1;
        if (c == 0xD8 || (c >= 0xD0 && c <= 0xD7) || c == 0x01)
            continue; /* no length */
        if (fread(seg, 1, 2, f) != 2)
            return -1;
        unsigned len = be16(seg);
        if (len < 2)
            return -1;
        int sof = c >= 0xC0 && c <= 0xCF && c != 0xC4 && c != 0xC8 &&
                  c != 0xCC;
        if (sof) {
            if (len < 7 || fread(seg, 1, 5, f) != 5)
                return -1;
            *h = (int)be16(seg + 1);
            *w = (int)be16(seg + 3);
            return *w > 0 && *h > 0 ? 0 : -1;
        }
        if (fseek(f, (long)len - 2, SEEK_CUR) != 0)
            return -1;
    }
    return -1;
}

static int decoded_size(const char *path, int *w, int *h)
{
    maso_decoder *d;
    if (maso_decoder_create(&d) != 0)
        return -1;
    maso_decode_params p;
    maso_decode_params_init(&p);
    maso_image img = { 0, 0, NULL };
    int rc = maso_decoder_load_file(d, path, &p, &img);
    if (!rc) {
        *w = img.width;
        *h = img.height;
    }
    maso_image_free(&img);
    maso_decoder_destroy(d);
    return rc ? -1 : 0;
}

int image_size_read(const char *path, int *width, int *height)
{
    static const unsigned char png_sig[8] = { 0x89, 'P', 'N', 'G',
                                              '\r', '\n', 0x1A, '\n' };
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    unsigned char head[24];
    size_t n = fread(head, 1, sizeof head, f);
    int rc = 1; /* 1: not read from the header */
    if (n == 24 && memcmp(head, png_sig, 8) == 0 &&
        memcmp(head + 12, "IHDR", 4) == 0) {
        unsigned long w = be32(head + 16), h = be32(head + 20);
        rc = w && h && w < (1ul << 31) && h < (1ul << 31) ? 0 : -1;
        *width = (int)w;
        *height = (int)h;
    } else if (n >= 2 && head[0] == 0xFF && head[1] == 0xD8) {
        rc = fseek(f, 0, SEEK_SET) == 0 ? jpeg_size(f, width, height) : -1;
    }
    fclose(f);
    if (rc == 1 || rc == -1)
        return decoded_size(path, width, height);
    return 0;
}
