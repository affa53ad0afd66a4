/*
 * heif_decode.c -- HEIF/HEIC and AVIF to 8-bit RGB with libheif.
 *
 * The primary image is decoded (an iPhone's HEIC holds it as a grid of
 * tiles, which libheif assembles), with the transformations of the file
 * applied by libheif: rotation (irot), mirroring (imir) and crop (clap).
 * HEIF prescribes those as the way the image is shown, and an EXIF
 * orientation stored beside them describes the same turn a second time,
 * so it is not applied.  The size of the primary image is checked against
 * max_pixels before decoding; libheif's own limit on the width and height
 * is set from it too.  Decoding stays on the calling thread.  Images of
 * more than 8 bits (10-bit HEIC, 12-bit AVIF) are converted to 8 bits by
 * libheif.
 *
 * libheif is not linked: it is loaded by its SONAME at the first HEIF or
 * AVIF file (base/library_internal.h says why), so a file met on a machine
 * without it fails with "HEIF support needs libheif.so.1: <cause>" and
 * every other format goes on.
 */
#include "image/image_internal.h"
#include "base/library_internal.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include <libheif/heif.h>

/* The functions this decoder calls, looked up in MASO_LIBHEIF_SONAME. */
#define HEIF_FUNCTIONS(X, t)                                                \
    X(t, heif_context_alloc) X(t, heif_context_free)                        \
    X(t, heif_context_set_maximum_image_size_limit)                         \
    X(t, heif_context_set_max_decoding_threads)                             \
    X(t, heif_context_read_from_memory_without_copy)                        \
    X(t, heif_context_get_primary_image_handle)                             \
    X(t, heif_image_handle_get_width) X(t, heif_image_handle_get_height)    \
    X(t, heif_image_handle_has_alpha_channel)                               \
    X(t, heif_image_handle_release)                                         \
    X(t, heif_decoding_options_alloc) X(t, heif_decoding_options_free)      \
    X(t, heif_decode_image) X(t, heif_image_release)                        \
    X(t, heif_image_get_width) X(t, heif_image_get_height)                  \
    X(t, heif_image_get_plane_readonly)

CORE_LIBRARY_DEFINE(heif_api, MASO_LIBHEIF_SONAME, HEIF_FUNCTIONS)

static int fail_heif(maso_decoder *decoder, const char *name,
                     const char *format, struct heif_error err,
                     const char *what)
{
    int status = MASO_ECORRUPT;

    if (err.subcode == heif_suberror_Security_limit_exceeded)
        status = MASO_ETOOBIG;
    else if (err.code == heif_error_Memory_allocation_error)
        status = ENOMEM;
    else if (err.code == heif_error_Unsupported_feature ||
             err.code == heif_error_Unsupported_filetype)
        status = MASO_EUNSUPPORTED;
    return core_decoder_fail(decoder, status, name, "%s %s: %s: %s",
                             status == MASO_EUNSUPPORTED ? "unsupported"
                             : status == MASO_ECORRUPT ? "corrupt or truncated"
                                                       : "cannot decode",
                             format, what,
                             err.message != NULL ? err.message : "?");
}

/* Copy libheif's interleaved rows (with their stride) into @p img, and
 * composite alpha. */
static int copy_pixels(const heif_api *lib, maso_decoder *decoder,
                       const char *name, const struct heif_image *him, int channels,
                       const maso_decode_params *params, maso_image *img)
{
    int stride = 0;
    int w = lib->heif_image_get_width(him, heif_channel_interleaved);
    int h = lib->heif_image_get_height(him, heif_channel_interleaved);
    const uint8_t *src =
        lib->heif_image_get_plane_readonly(him, heif_channel_interleaved, &stride);
    int rc;

    if (src == NULL || w <= 0 || h <= 0 || stride < w * channels)
        return core_decoder_fail(decoder, MASO_ECORRUPT, name,
                                 "HEIF: libheif returned no pixels");
    rc = core_image_alloc(img, w, h);
    if (rc != 0)
        return core_decoder_fail(decoder, rc, name,
                                 "cannot allocate %dx%d pixels", w, h);
    for (int y = 0; y < h; y++) {
        const uint8_t *row = src + (size_t)y * (size_t)stride;
        unsigned char *dst = img->pixels + (size_t)y * (size_t)w * 3;

        if (channels == 3) {
            memcpy(dst, row, (size_t)w * 3);
            continue;
        }
        for (int x = 0; x < w; x++, row += 4, dst += 3) {
            unsigned a = row[3];
            for (int c = 0; c < 3; c++)
                dst[c] = (unsigned char)((row[c] * a +
                                          params->background[c] * (255u - a) +
                                          127) / 255);
        }
    }
    return 0;
}

int core_heif_decode(maso_decoder *decoder, const unsigned char *data,
                     size_t size, const char *name,
                     const maso_decode_params *params, maso_image *out)
{
    const heif_api *lib = heif_api_load();
    const char *format =
        maso_format_name(maso_format_detect(data, size < 64 ? size : 64));
    struct heif_context *ctx;
    struct heif_image_handle *handle = NULL;
    struct heif_image *him = NULL;
    struct heif_decoding_options *opt;
    struct heif_error err;
    maso_image img = {0, 0, NULL};
    uint64_t side;
    int rc, alpha, channels;

    rc = core_decoder_need_library(decoder, name, "HEIF", MASO_LIBHEIF_SONAME,
                                   lib->ready, lib->error);
    if (rc != 0)
        return rc;
    ctx = lib->heif_context_alloc();
    if (ctx == NULL)
        return core_decoder_fail(decoder, ENOMEM, name,
                                 "cannot allocate the HEIF reader");
    /* The longest side a picture within max_pixels can have. */
    side = params->max_pixels < INT_MAX ? params->max_pixels : INT_MAX;
    lib->heif_context_set_maximum_image_size_limit(ctx, side > 0 ? (int)side : 1);
    lib->heif_context_set_max_decoding_threads(ctx, 0);
    err = lib->heif_context_read_from_memory_without_copy(ctx, data, size, NULL);
    if (err.code != heif_error_Ok) {
        rc = fail_heif(decoder, name, format, err, "the file does not read");
        goto done;
    }
    err = lib->heif_context_get_primary_image_handle(ctx, &handle);
    if (err.code != heif_error_Ok) {
        rc = fail_heif(decoder, name, format, err, "no primary image");
        goto done;
    }
    rc = core_decoder_check_size(
        decoder, name, format, (uint64_t)lib->heif_image_handle_get_width(handle),
        (uint64_t)lib->heif_image_handle_get_height(handle), params);
    if (rc != 0)
        goto done;
    alpha = lib->heif_image_handle_has_alpha_channel(handle);
    channels = alpha ? 4 : 3;
    opt = lib->heif_decoding_options_alloc();
    if (opt == NULL) {
        rc = core_decoder_fail(decoder, ENOMEM, name,
                               "cannot allocate the HEIF options");
        goto done;
    }
    opt->ignore_transformations = 0;
    opt->convert_hdr_to_8bit = 1;
    err = lib->heif_decode_image(handle, &him, heif_colorspace_RGB,
                            alpha ? heif_chroma_interleaved_RGBA
                                  : heif_chroma_interleaved_RGB,
                            opt);
    lib->heif_decoding_options_free(opt);
    if (err.code != heif_error_Ok) {
        rc = fail_heif(decoder, name, format, err, "the image does not decode");
        goto done;
    }
    rc = copy_pixels(lib, decoder, name, him, channels, params, &img);
done:
    lib->heif_image_release(him);
    lib->heif_image_handle_release(handle);
    lib->heif_context_free(ctx);
    if (rc != 0) {
        maso_image_free(&img);
        return rc;
    }
    *out = img;
    return 0;
}
