/* image_fixtures.c -- see image_fixtures.h. */
#include "image_fixtures.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <turbojpeg.h>

static void die(const char *what)
{
    fprintf(stderr, "fixture failure: %s\n", what);
    exit(2);
}

static void buf_append(fx_buf *b, const void *data, size_t n)
{
    if (b->size + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->size + n)
            cap *= 2;
        b->data = realloc(b->data, cap);
        if (b->data == NULL)
            die("out of memory");
        b->cap = cap;
    }
    memcpy(b->data + b->size, data, n);
    b->size += n;
}

static void png_write_cb(png_structp png, png_bytep data, png_size_t n)
{
    buf_append(png_get_io_ptr(png), data, n);
}

static void png_flush_cb(png_structp png)
{
    (void)png;
}

/* libpng's default error handler longjmps to png_jmpbuf; with none set up
 * it aborts, which is what a broken fixture deserves. */
static png_structp png_writer(fx_buf *out, png_infop *info)
{
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL,
                                              NULL, NULL);
    *info = png ? png_create_info_struct(png) : NULL;
    if (*info == NULL)
        die("png_create_write_struct");
    png_set_write_fn(png, out, png_write_cb, png_flush_cb);
    return png;
}

fx_buf fx_png_encode(int w, int h, int color_type, int bit_depth,
                     const unsigned char *packed, size_t rowbytes,
                     const fx_png_opts *opts)
{
    fx_buf out = {NULL, 0, 0};
    png_infop info;
    png_structp png = png_writer(&out, &info);

    if (setjmp(png_jmpbuf(png)))
        die("libpng write error");
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, bit_depth,
                 color_type,
                 opts && opts->interlace ? PNG_INTERLACE_ADAM7
                                         : PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (opts && opts->palette)
        png_set_PLTE(png, info, opts->palette, opts->n_palette);
    if (opts && (opts->trans_alpha || opts->trans_color))
        png_set_tRNS(png, info, opts->trans_alpha, opts->n_trans,
                     opts->trans_color);
    png_write_info(png, info);
    {
        png_bytep *rows = malloc(sizeof *rows * (size_t)h);
        if (rows == NULL)
            die("out of memory");
        for (int y = 0; y < h; y++)
            rows[y] = (png_bytep)(packed + rowbytes * (size_t)y);
        png_write_image(png, rows);
        free(rows);
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return out;
}

fx_buf fx_png_header_only(unsigned w, unsigned h)
{
    fx_buf out = {NULL, 0, 0};
    png_infop info;
    png_structp png = png_writer(&out, &info);

    if (setjmp(png_jmpbuf(png)))
        die("libpng write error");
    png_set_IHDR(png, info, w, h, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    png_destroy_write_struct(&png, &info);
    return out;
}

void fx_pack_samples(const unsigned *samples, size_t n, int depth,
                     unsigned char *dst)
{
    if (depth == 16) {
        for (size_t i = 0; i < n; i++) {
            dst[2 * i] = (unsigned char)(samples[i] >> 8);
            dst[2 * i + 1] = (unsigned char)samples[i];
        }
        return;
    }
    if (depth == 8) {
        for (size_t i = 0; i < n; i++)
            dst[i] = (unsigned char)samples[i];
        return;
    }
    {
        int per = 8 / depth;
        memset(dst, 0, (n + (size_t)per - 1) / (size_t)per);
        for (size_t i = 0; i < n; i++) {
            int shift = 8 - depth * (int)(i % (size_t)per + 1);
            dst[i / (size_t)per] |= (unsigned char)(samples[i] << shift);
        }
    }
}

fx_buf fx_jpeg_encode(const unsigned char *pixels, int w, int h, int pf,
                      int subsamp, int quality, int flags)
{
    fx_buf out = {NULL, 0, 0};
    tjhandle tj = tjInitCompress();
    unsigned char *jpeg = NULL;
    unsigned long size = 0;

    if (tj == NULL)
        die("tjInitCompress");
    if (tjCompress2(tj, pixels, w, 0, h, pf, &jpeg, &size, subsamp, quality,
                    flags) != 0) {
        fprintf(stderr, "%s\n", tjGetErrorStr2(tj));
        die("tjCompress2");
    }
    buf_append(&out, jpeg, size);
    tjFree(jpeg);
    tjDestroy(tj);
    return out;
}

fx_buf fx_jpeg_with_exif(const fx_buf *jpeg, const unsigned char *tiff,
                         size_t tiff_len)
{
    fx_buf out = {NULL, 0, 0};
    size_t seglen = 2 + 6 + tiff_len;
    unsigned char head[4] = {0xFF, 0xE1, (unsigned char)(seglen >> 8),
                             (unsigned char)seglen};

    buf_append(&out, jpeg->data, 2); /* SOI */
    buf_append(&out, head, 4);
    buf_append(&out, "Exif\0\0", 6);
    buf_append(&out, tiff, tiff_len);
    buf_append(&out, jpeg->data + 2, jpeg->size - 2);
    return out;
}

static void put16(unsigned char *p, int little, unsigned v)
{
    p[little ? 0 : 1] = (unsigned char)v;
    p[little ? 1 : 0] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *p, int little, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[little ? i : 3 - i] = (unsigned char)(v >> (8 * i));
}

size_t fx_exif_orientation_block(unsigned char out[26], int little,
                                 unsigned orientation)
{
    memset(out, 0, 26);
    out[0] = out[1] = little ? 'I' : 'M';
    put16(out + 2, little, 42);
    put32(out + 4, little, 8);      /* IFD0 right after the header */
    put16(out + 8, little, 1);      /* one entry */
    put16(out + 10, little, 0x0112);
    put16(out + 12, little, 3);     /* SHORT */
    put32(out + 14, little, 1);     /* count */
    put16(out + 18, little, orientation);
    put32(out + 22, little, 0);     /* no next IFD */
    return 26;
}

uint32_t fx_rand(uint32_t *state)
{
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}

double fx_mean_abs_diff(const unsigned char *a, const unsigned char *b,
                        size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += a[i] > b[i] ? a[i] - b[i] : b[i] - a[i];
    return n ? s / (double)n : 0.0;
}

void fx_write_file(const char *path, const void *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL || (size && fwrite(data, 1, size, f) != size) ||
        fclose(f) != 0)
        die(path);
}
