/*
 * webp_decode.c -- WebP to 8-bit RGB with libwebp.
 *
 * The header (WebPGetFeatures) gives the size, checked against max_pixels
 * before anything is allocated.  A still image is decoded straight into our
 * own buffer (external memory): RGB, or RGBA composited onto the
 * background.  An animation goes through libwebpdemux's WebPAnimDecoder,
 * which composes the first frame on the canvas as a viewer shows it.  The
 * orientation comes from the EXIF chunk of the extended (VP8X) format.
 * Decoding runs on the calling thread (use_threads = 0): the indexer's
 * parallelism is one decoder per worker.
 */
#include "image/image_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <webp/decode.h>
#include <webp/demux.h>

static int status_error(maso_decoder *decoder, const char *name,
                        VP8StatusCode st)
{
    switch (st) {
    case VP8_STATUS_OUT_OF_MEMORY:
        return core_decoder_fail(decoder, ENOMEM, name,
                                 "out of memory decoding the WebP image");
    case VP8_STATUS_NOT_ENOUGH_DATA:
        return core_decoder_fail(decoder, MASO_ECORRUPT, name,
                                 "truncated WebP: the data ends early");
    case VP8_STATUS_UNSUPPORTED_FEATURE:
        return core_decoder_fail(decoder, MASO_EUNSUPPORTED, name,
                                 "WebP uses a feature libwebp does not "
                                 "decode");
    default:
        return core_decoder_fail(decoder, MASO_ECORRUPT, name,
                                 "corrupt WebP: invalid bitstream "
                                 "(libwebp status %d)", (int)st);
    }
}

static int webp_orientation(const unsigned char *data, size_t size)
{
    WebPData whole = {data, size};
    WebPChunkIterator it;
    WebPDemuxer *demux = WebPDemux(&whole);
    int orientation = 1;

    if (demux == NULL)
        return 1;
    if (WebPDemuxGetChunk(demux, "EXIF", 1, &it)) {
        orientation = core_exif_tiff_orientation(it.chunk.bytes,
                                                 it.chunk.size);
        WebPDemuxReleaseChunkIterator(&it);
    }
    WebPDemuxDelete(demux);
    return orientation;
}

/* The first frame of an animation, composed on the canvas, into @p rgba
 * (canvas_width * canvas_height * 4 bytes). */
static int decode_first_frame(maso_decoder *decoder, const unsigned char *data,
                              size_t size, const char *name,
                              unsigned char *rgba, int width, int height)
{
    WebPData whole = {data, size};
    WebPAnimDecoderOptions opt;
    WebPAnimDecoder *anim;
    WebPAnimInfo info;
    uint8_t *frame = NULL;
    int timestamp = 0;

    if (!WebPAnimDecoderOptionsInit(&opt))
        return core_decoder_fail(decoder, MASO_ECORRUPT, name,
                                 "libwebp version mismatch");
    opt.color_mode = MODE_RGBA;
    opt.use_threads = 0;
    anim = WebPAnimDecoderNew(&whole, &opt);
    if (anim == NULL)
        return core_decoder_fail(decoder, MASO_ECORRUPT, name,
                                 "corrupt or truncated animated WebP");
    if (!WebPAnimDecoderGetInfo(anim, &info) ||
        (int)info.canvas_width != width || (int)info.canvas_height != height ||
        !WebPAnimDecoderGetNext(anim, &frame, &timestamp)) {
        WebPAnimDecoderDelete(anim);
        return core_decoder_fail(decoder, MASO_ECORRUPT, name,
                                 "corrupt or truncated animated WebP: the "
                                 "first frame does not decode");
    }
    memcpy(rgba, frame, (size_t)width * (size_t)height * 4);
    WebPAnimDecoderDelete(anim);
    return 0;
}

int core_webp_decode(maso_decoder *decoder, const unsigned char *data,
                     size_t size, const char *name,
                     const maso_decode_params *params, maso_image *out)
{
    WebPBitstreamFeatures f;
    WebPDecoderConfig config;
    VP8StatusCode st;
    maso_image img;
    size_t npix;
    int rc, channels;

    st = WebPGetFeatures(data, size, &f);
    if (st != VP8_STATUS_OK)
        return status_error(decoder, name, st);
    rc = core_decoder_check_size(decoder, name, "WebP", (uint64_t)f.width,
                                 (uint64_t)f.height, params);
    if (rc != 0)
        return rc;
    channels = f.has_alpha || f.has_animation ? 4 : 3;
    rc = channels == 4 ? core_image_alloc_rgba(&img, f.width, f.height)
                       : core_image_alloc(&img, f.width, f.height);
    if (rc != 0)
        return core_decoder_fail(decoder, rc, name,
                                 "cannot allocate %dx%d pixels", f.width,
                                 f.height);
    npix = (size_t)f.width * (size_t)f.height;
    if (f.has_animation) {
        rc = decode_first_frame(decoder, data, size, name, img.pixels,
                                f.width, f.height);
    } else if (!WebPInitDecoderConfig(&config)) {
        rc = core_decoder_fail(decoder, MASO_ECORRUPT, name,
                               "libwebp version mismatch");
    } else {
        config.options.use_threads = 0;
        config.output.colorspace = channels == 4 ? MODE_RGBA : MODE_RGB;
        config.output.is_external_memory = 1;
        config.output.u.RGBA.rgba = img.pixels;
        config.output.u.RGBA.stride = f.width * channels;
        config.output.u.RGBA.size = npix * (size_t)channels;
        st = WebPDecode(data, size, &config);
        WebPFreeDecBuffer(&config.output);
        rc = st == VP8_STATUS_OK ? 0 : status_error(decoder, name, st);
    }
    if (rc != 0) {
        maso_image_free(&img);
        return rc;
    }
    if (channels == 4)
        core_image_rgba_to_rgb(&img, params->background, 0);
    if (params->apply_orientation) {
        rc = core_decoder_orient(decoder, name, &img,
                                 webp_orientation(data, size));
        if (rc != 0)
            return rc;
    }
    *out = img;
    return 0;
}
