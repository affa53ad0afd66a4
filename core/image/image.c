/*
 * image.c -- the decoder handle, image memory, what the format decoders
 * share (size checks, alpha compositing), and the entry points that read a
 * file and dispatch on its leading bytes to one decoder per format.
 */
#include "image/image_internal.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* No image file we accept comes near this; a larger one is refused before
 * reading so that a stray multi-gigabyte file cannot exhaust memory. */
#define MASO_MAX_FILE_BYTES ((size_t)1 << 30)

/* Do not keep more than this as reusable scratch between calls. */
#define MASO_KEEP_FILE_BYTES ((size_t)64 << 20)


void maso_image_free(maso_image *image)
{
    if (image == NULL)
        return;
    free(image->pixels);
    image->pixels = NULL;
    image->width = 0;
    image->height = 0;
}

int core_image_alloc(maso_image *image, int width, int height)
{
    image->pixels = NULL;
    image->width = 0;
    image->height = 0;
    if (width <= 0 || height <= 0)
        return MASO_EINVAL_ARG;
    if ((size_t)width > SIZE_MAX / 3 / (size_t)height)
        return ENOMEM;
    image->pixels = malloc((size_t)width * (size_t)height * 3);
    if (image->pixels == NULL)
        return ENOMEM;
    image->width = width;
    image->height = height;
    return 0;
}

int core_image_alloc_rgba(maso_image *image, int width, int height)
{
    int rc = core_image_alloc(image, width, height);
    unsigned char *grown;

    if (rc != 0)
        return rc;
    if ((size_t)width > SIZE_MAX / 4 / (size_t)height)
        grown = NULL;
    else
        grown = realloc(image->pixels, (size_t)width * (size_t)height * 4);
    if (grown == NULL) {
        maso_image_free(image);
        return ENOMEM;
    }
    image->pixels = grown;
    return 0;
}

void core_image_rgba_to_rgb(maso_image *image, const unsigned char bg[3],
                            int premultiplied)
{
    size_t npix = (size_t)image->width * (size_t)image->height;
    unsigned char *shrunk;

    core_rgba_composite(image->pixels, npix, bg, premultiplied);
    shrunk = realloc(image->pixels, npix * 3);
    if (shrunk != NULL) /* keeping the larger block is harmless */
        image->pixels = shrunk;
}

int core_decoder_orient(maso_decoder *decoder, const char *name,
                        maso_image *image, int orientation)
{
    int rc = maso_image_orient(image, orientation);

    if (rc == 0)
        return 0;
    maso_image_free(image);
    return core_decoder_fail(decoder, rc, name,
                             "cannot allocate the rotated image");
}

void maso_decode_params_init(maso_decode_params *params)
{
    if (params == NULL)
        return;
    memset(params, 0, sizeof *params);
    params->min_width = 0;
    params->min_height = 0;
    params->max_pixels = 178956970u;
    params->background[0] = 255;
    params->background[1] = 255;
    params->background[2] = 255;
    params->apply_orientation = 1;
}

int maso_decoder_create(maso_decoder **decoder)
{
    maso_decoder *d;

    if (decoder == NULL)
        return MASO_EINVAL_ARG;
    *decoder = NULL;
    d = calloc(1, sizeof *d);
    if (d == NULL)
        return ENOMEM;
    *decoder = d;
    return 0;
}

void maso_decoder_destroy(maso_decoder *decoder)
{
    if (decoder == NULL)
        return;
    free(decoder->file_buf);
    free(decoder);
}

const char *maso_decoder_errmsg(const maso_decoder *decoder)
{
    return decoder == NULL ? "no decoder" : decoder->msg;
}

int core_decoder_need_library(maso_decoder *decoder, const char *name,
                              const char *format, const char *soname,
                              int ready, const char *error)
{
    if (ready)
        return 0;
    return core_decoder_fail(decoder, MASO_EUNSUPPORTED, name,
                             "%s support needs %s: %s", format, soname,
                             error != NULL && error[0] ? error : "not loaded");
}

int core_decoder_fail(maso_decoder *decoder, int status, const char *name,
                      const char *fmt, ...)
{
    char cause[MASO_ERRMSG_SIZE];
    va_list ap;
    va_start(ap, fmt);
    maso_errmsg_vformat(cause, status, fmt, ap);
    va_end(ap);
    return maso_errmsg_format(decoder->msg, status, "%s: %s",
                              name != NULL ? name : "(image)", cause);
}

/* Thread-safe errno text (the XSI strerror_r, which fills a buffer). */
static const char *errno_text(int err, char *buf, size_t size)
{
    if (strerror_r(err, buf, size) != 0)
        snprintf(buf, size, "error %d", err);
    return buf;
}

static int fail_errno(maso_decoder *decoder, int err, const char *path,
                      const char *what)
{
    char text[128];

    return core_decoder_fail(decoder, err, path, "%s: %s", what,
                             errno_text(err, text, sizeof text));
}

int core_decoder_check_size(maso_decoder *decoder, const char *name,
                            const char *format, uint64_t width,
                            uint64_t height, const maso_decode_params *params)
{
    if (width == 0 || height == 0)
        return core_decoder_fail(decoder, MASO_ECORRUPT, name,
                                 "corrupt %s: size %llux%llu", format,
                                 (unsigned long long)width,
                                 (unsigned long long)height);
    if (width > INT_MAX || height > INT_MAX ||
        width * height > params->max_pixels ||
        (width > UINT32_MAX || height > UINT32_MAX))
        return core_decoder_fail(decoder, MASO_ETOOBIG, name,
                                 "%s of %llux%llu pixels exceeds the limit "
                                 "of %llu pixels", format,
                                 (unsigned long long)width,
                                 (unsigned long long)height,
                                 (unsigned long long)params->max_pixels);
    return 0;
}

void core_rgba_composite(unsigned char *buf, size_t npix,
                         const unsigned char bg[3], int premultiplied)
{
    const unsigned char *src = buf;
    unsigned char *dst = buf;

    for (size_t i = 0; i < npix; i++, src += 4, dst += 3) {
        unsigned a = src[3];
        for (int c = 0; c < 3; c++) {
            unsigned v = premultiplied ? src[c] * 255u : src[c] * a;
            v += bg[c] * (255u - a);
            v = (v + 127) / 255;
            dst[c] = (unsigned char)(v > 255 ? 255 : v);
        }
    }
}

/* Common start of the load functions: leave @p out empty (the contract on
 * failure) and clear the message.  Returns 0 when there is no decoder to
 * report into. */
static int begin_call(maso_decoder *decoder, maso_image *out)
{
    if (out != NULL) {
        out->width = 0;
        out->height = 0;
        out->pixels = NULL;
    }
    if (decoder == NULL)
        return 0;
    decoder->msg[0] = '\0';
    return 1;
}

int maso_decoder_load_memory(maso_decoder *decoder, const void *data,
                             size_t size, const char *name,
                             const maso_decode_params *params,
                             maso_image *out)
{
    const unsigned char *bytes = data;
    maso_decode_params defaults;

    if (!begin_call(decoder, out))
        return MASO_EINVAL_ARG;
    if (out == NULL || (data == NULL && size > 0))
        return core_decoder_fail(decoder, MASO_EINVAL_ARG, name,
                                 "NULL image or data argument");
    if (params == NULL) {
        maso_decode_params_init(&defaults);
        params = &defaults;
    }
    if (params->min_width < 0 || params->min_height < 0)
        return core_decoder_fail(decoder, MASO_EINVAL_ARG, name,
                                 "negative minimum size %dx%d",
                                 params->min_width, params->min_height);
    if (size == 0)
        return core_decoder_fail(decoder, MASO_EFORMAT, name,
                                 "empty file (0 bytes), not an image");
    switch (maso_format_detect(bytes, size)) {
    case MASO_FORMAT_PNG:
        return core_png_decode(decoder, bytes, size, name, params, out);
    case MASO_FORMAT_JPEG:
        return core_jpeg_decode(decoder, bytes, size, name, params, out);
    case MASO_FORMAT_WEBP:
        return core_webp_decode(decoder, bytes, size, name, params, out);
    case MASO_FORMAT_TIFF:
        return core_tiff_decode(decoder, bytes, size, name, params, out);
    case MASO_FORMAT_GIF:
        return core_gif_decode(decoder, bytes, size, name, params, out);
    case MASO_FORMAT_HEIF:
    case MASO_FORMAT_AVIF:
        return core_heif_decode(decoder, bytes, size, name, params, out);
    case MASO_FORMAT_JXL:
        return core_jxl_decode(decoder, bytes, size, name, params, out);
    case MASO_FORMAT_BMP:
        return core_bmp_decode(decoder, bytes, size, name, params, out);
    case MASO_FORMAT_PNM:
        return core_pnm_decode(decoder, bytes, size, name, params, out);
    case MASO_FORMAT_UNKNOWN:
        break;
    }
    if (core_format_truncated_signature(bytes, size))
        return core_decoder_fail(decoder, MASO_ECORRUPT, name,
                                 "truncated inside the file signature "
                                 "(%zu bytes)", size);
    return core_decoder_fail(decoder, MASO_EFORMAT, name,
                             "not an image format maso reads (PNG, JPEG, "
                             "WebP, TIFF, GIF, HEIF, AVIF, JPEG XL, BMP, "
                             "PNM)");
}

/* What a non-regular, non-directory file is, for messages. */
static const char *file_kind(mode_t mode)
{
    if (S_ISFIFO(mode))
        return "a FIFO";
    if (S_ISCHR(mode))
        return "a character device";
    if (S_ISBLK(mode))
        return "a block device";
    if (S_ISSOCK(mode))
        return "a socket";
    return "a special file";
}

/* Read exactly @p size bytes (fewer only if the file shrank meanwhile). */
static int read_all(int fd, unsigned char *buf, size_t size, size_t *got)
{
    size_t done = 0;

    while (done < size) {
        ssize_t n = read(fd, buf + done, size - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        if (n == 0)
            break;
        done += (size_t)n;
    }
    *got = done;
    return 0;
}

int maso_decoder_load_file(maso_decoder *decoder, const char *path,
                           const maso_decode_params *params, maso_image *out)
{
    struct stat st;
    size_t size, got = 0;
    int fd, err, rc;

    if (!begin_call(decoder, out))
        return MASO_EINVAL_ARG;
    if (path == NULL || out == NULL)
        return core_decoder_fail(decoder, MASO_EINVAL_ARG, path,
                                 "NULL path or image argument");
    /* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
     * writer, forever; it is refused below as any non-regular file is.
     * (For regular files the flag changes nothing.) */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return fail_errno(decoder, errno, path, "cannot open");
    if (fstat(fd, &st) != 0) {
        err = errno;
        close(fd);
        return fail_errno(decoder, err, path, "cannot stat");
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return fail_errno(decoder, EISDIR, path, "cannot read");
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return core_decoder_fail(decoder, MASO_EFORMAT, path,
                                 "not a regular file (%s)",
                                 file_kind(st.st_mode));
    }
    if ((uint64_t)st.st_size > (uint64_t)MASO_MAX_FILE_BYTES) {
        close(fd);
        return core_decoder_fail(decoder, MASO_ETOOBIG, path,
                                 "file of %lld bytes exceeds the %zu byte "
                                 "limit", (long long)st.st_size,
                                 MASO_MAX_FILE_BYTES);
    }
    size = (size_t)st.st_size;
    if (size > decoder->file_cap) {
        unsigned char *p = realloc(decoder->file_buf, size);
        if (p == NULL) {
            close(fd);
            return core_decoder_fail(decoder, ENOMEM, path,
                                     "cannot allocate %zu bytes to read it",
                                     size);
        }
        decoder->file_buf = p;
        decoder->file_cap = size;
    }
    err = size > 0 ? read_all(fd, decoder->file_buf, size, &got) : 0;
    close(fd);
    if (err != 0)
        return fail_errno(decoder, err, path, "read failed");
    rc = maso_decoder_load_memory(decoder, decoder->file_buf, got, path,
                                  params, out);
    if (decoder->file_cap > MASO_KEEP_FILE_BYTES) {
        free(decoder->file_buf);
        decoder->file_buf = NULL;
        decoder->file_cap = 0;
    }
    return rc;
}
