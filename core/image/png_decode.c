/*
 * png_decode.c -- PNG to 8-bit RGB with libpng.
 *
 * Every colour type and bit depth is normalised by libpng transforms:
 * palettes and low-depth greys expand to 8 bits (a grey 4-bit 5 becomes
 * 0x55), tRNS becomes an alpha channel, 16-bit samples keep their high byte
 * (0xABCD -> 0xAB), grey becomes RGB.  Alpha is composited onto the
 * caller's background here rather than with png_set_background(), which
 * also involves gamma handling we do not want: samples are used as stored.
 *
 * libpng reports errors by calling an error function that must not return;
 * ours records the message and longjmps back into png_decode_run().  Its
 * default handlers would print to stderr, so both the error and the warning
 * handler are replaced.
 *
 * The orientation of an eXIf chunk (PNG 1.5 extension) is applied, as
 * browsers do.
 */
#include "image/image_internal.h"

#include <errno.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

/* Everything the libpng callbacks and the longjmp target need.  Kept out of
 * png_decode_run()'s locals so nothing depends on volatile semantics. */
typedef struct png_job {
    jmp_buf jump;
    const unsigned char *data;
    size_t size, pos;
    int truncated;         /* the read callback ran out of bytes */
    char error[200];       /* libpng's error message */
    unsigned char *rgba;   /* decode buffer (RGB or RGBA rows) */
    png_bytep *rows;
} png_job;

static void PNGCBAPI on_error(png_structp png, png_const_charp msg)
{
    png_job *job = png_get_error_ptr(png);

    strncpy(job->error, msg != NULL ? msg : "unknown error",
            sizeof job->error - 1);
    job->error[sizeof job->error - 1] = '\0';
    longjmp(job->jump, 1);
}

/* Warnings (bad ancillary chunk CRC, odd iCCP profiles...) do not stop the
 * decode and libpng then discards the chunk: nothing to report. */
static void PNGCBAPI on_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

static void PNGCBAPI on_read(png_structp png, png_bytep dst, png_size_t n)
{
    png_job *job = png_get_io_ptr(png);

    if (n > job->size - job->pos) {
        job->truncated = 1;
        png_error(png, "unexpected end of data");
    }
    memcpy(dst, job->data + job->pos, n);
    job->pos += n;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
           (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Read the dimensions straight from the IHDR chunk (it must come right
 * after the signature) so that the size limit is checked before libpng
 * allocates anything for the image. */
static int check_ihdr(maso_decoder *decoder, const unsigned char *data,
                      size_t size, const char *name,
                      const maso_decode_params *params)
{
    uint32_t w, h;

    if (size < 8 + 8 + 8)
        return core_decoder_fail(decoder, MASO_ECORRUPT, name,
                                 "truncated PNG: no complete IHDR chunk "
                                 "(%zu bytes)", size);
    if (memcmp(data + 12, "IHDR", 4) != 0)
        return core_decoder_fail(decoder, MASO_ECORRUPT, name,
                                 "corrupt PNG: first chunk is not IHDR");
    w = be32(data + 16);
    h = be32(data + 20);
    if ((uint64_t)w * h > params->max_pixels)
        return core_decoder_fail(decoder, MASO_ETOOBIG, name,
                                 "PNG of %ux%u pixels exceeds the limit of "
                                 "%llu pixels", (unsigned)w, (unsigned)h,
                                 (unsigned long long)params->max_pixels);
    return 0;
}

/* The orientation in the file's eXIf chunk (1 when none): a walk over the
 * chunks, before or after the image data, bounded by the file size. */
static int png_orientation(const unsigned char *data, size_t size)
{
    size_t pos = 8;

    while (size - pos >= 12) {
        uint32_t len = be32(data + pos);
        const unsigned char *type = data + pos + 4;

        if (len > size - pos - 12)
            return 1;
        if (memcmp(type, "eXIf", 4) == 0)
            return core_exif_tiff_orientation(data + pos + 8, len);
        if (memcmp(type, "IEND", 4) == 0)
            return 1;
        pos += 12 + (size_t)len;
    }
    return 1;
}

/* The setjmp scope: only job and the libpng structs live across longjmp. */
static int png_decode_run(png_job *job, png_structp png, png_infop info,
                          const maso_decode_params *params, maso_image *out,
                          int *has_alpha)
{
    png_uint_32 w, h;
    int depth, ctype, channels;
    size_t rowbytes;
    uint32_t limit;

    if (setjmp(job->jump))
        return -1;
    /* Defence in depth behind check_ihdr(): libpng refuses dimensions past
     * these itself (w*h <= max_pixels implies w, h <= max_pixels). */
    limit = params->max_pixels > PNG_UINT_31_MAX ? PNG_UINT_31_MAX
                                                 : (uint32_t)params->max_pixels;
    if (limit == 0)
        limit = 1;
    png_set_user_limits(png, limit, limit);
    png_set_chunk_malloc_max(png, (png_alloc_size_t)8 << 20);
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, NULL, 0);
    png_set_read_fn(png, job, on_read);
    png_read_info(png, info);
    png_get_IHDR(png, info, &w, &h, &depth, &ctype, NULL, NULL, NULL);
    if ((uint64_t)w * h > params->max_pixels)
        return -2;

    png_set_expand(png);     /* palette -> RGB, grey < 8 -> 8, tRNS -> alpha */
    png_set_strip_16(png);
    png_set_gray_to_rgb(png);
    *has_alpha = (ctype & PNG_COLOR_MASK_ALPHA) ||
                 png_get_valid(png, info, PNG_INFO_tRNS);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    channels = png_get_channels(png, info);
    rowbytes = png_get_rowbytes(png, info);
    if (channels != (*has_alpha ? 4 : 3) || rowbytes != (size_t)w * channels)
        png_error(png, "unexpected row layout after transforms");

    job->rgba = malloc(rowbytes * h);
    job->rows = malloc(sizeof *job->rows * h);
    if (job->rgba == NULL || job->rows == NULL)
        return -3;
    for (png_uint_32 y = 0; y < h; y++)
        job->rows[y] = job->rgba + rowbytes * y;
    png_read_image(png, job->rows);
    out->width = (int)w;
    out->height = (int)h;
    return 0;
}

int core_png_decode(maso_decoder *decoder, const unsigned char *data,
                    size_t size, const char *name,
                    const maso_decode_params *params, maso_image *out)
{
    png_job job;
    png_structp png;
    png_infop info = NULL;
    maso_image img = {0, 0, NULL};
    int rc, has_alpha = 0;

    rc = check_ihdr(decoder, data, size, name, params);
    if (rc != 0)
        return rc;
    memset(&job, 0, sizeof job);
    job.data = data;
    job.size = size;
    png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &job, on_error,
                                 on_warning);
    if (png != NULL)
        info = png_create_info_struct(png);
    if (png == NULL || info == NULL) {
        png_destroy_read_struct(&png, NULL, NULL);
        return core_decoder_fail(decoder, ENOMEM, name,
                                 "cannot allocate the PNG reader");
    }
    rc = png_decode_run(&job, png, info, params, &img, &has_alpha);
    png_destroy_read_struct(&png, &info, NULL);
    free(job.rows);
    if (rc != 0) {
        free(job.rgba);
        if (rc == -2)
            return core_decoder_fail(decoder, MASO_ETOOBIG, name,
                                     "PNG exceeds the limit of %llu pixels",
                                     (unsigned long long)params->max_pixels);
        if (rc == -3)
            return core_decoder_fail(decoder, ENOMEM, name,
                                     "cannot allocate the PNG pixels");
        return core_decoder_fail(decoder, MASO_ECORRUPT, name, "%s PNG: %s",
                                 job.truncated ? "truncated" : "corrupt",
                                 job.error);
    }
    if (has_alpha) {
        size_t npix = (size_t)img.width * (size_t)img.height;
        unsigned char *shrunk;

        core_rgba_composite(job.rgba, npix, params->background, 0);
        shrunk = realloc(job.rgba, npix * 3);
        if (shrunk != NULL) /* keeping the larger block is harmless */
            job.rgba = shrunk;
    }
    img.pixels = job.rgba;
    if (params->apply_orientation) {
        rc = core_decoder_orient(decoder, name, &img,
                                 png_orientation(data, size));
        if (rc != 0)
            return rc;
    }
    *out = img;
    return 0;
}
