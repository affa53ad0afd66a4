/*
 * jxl_decode.c -- JPEG XL to 8-bit RGB with libjxl.
 *
 * libjxl's event loop: the basic info gives the size (checked against
 * max_pixels before the output buffer exists) and the orientation, which
 * the decoder applies itself (keep_orientation stays false), so the output
 * is the upright size.  The colour profile asked for is sRGB: for
 * XYB-coded (lossy) files libjxl would otherwise choose linear sRGB, which
 * 8-bit output would show far too dark.  The first frame is enough: after
 * the first full image event decoding stops, so an animation costs one
 * frame.  No parallel runner: decoding stays on the calling thread.
 *
 * libjxl is not linked: it is loaded by its SONAME at the first JPEG XL
 * file (base/library_internal.h says why), so a file met on a machine
 * without it fails with "JPEG XL support needs libjxl.so.0.7: <cause>" and
 * every other format goes on.
 */
#include "image/image_internal.h"
#include "base/library_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jxl/decode.h>

/* The functions this decoder calls, looked up in MASO_LIBJXL_SONAME. */
#define JXL_FUNCTIONS(X, t)                                                 \
    X(t, JxlDecoderCreate) X(t, JxlDecoderDestroy) X(t, JxlDecoderSubscribeEvents) \
    X(t, JxlDecoderSetInput) X(t, JxlDecoderCloseInput)                     \
    X(t, JxlDecoderProcessInput) X(t, JxlDecoderGetBasicInfo)               \
    X(t, JxlDecoderSetPreferredColorProfile) X(t, JxlDecoderImageOutBufferSize) \
    X(t, JxlDecoderSetImageOutBuffer)

CORE_LIBRARY_DEFINE(jxl_api, MASO_LIBJXL_SONAME, JXL_FUNCTIONS)

static int jxl_fail(maso_decoder *decoder, const char *name, int status,
                    const char *what)
{
    return core_decoder_fail(decoder, status, name, "%s JPEG XL: %s",
                             status == MASO_EUNSUPPORTED ? "unsupported"
                             : status == ENOMEM ? "out of memory for"
                                                : "corrupt or truncated",
                             what);
}

static void set_srgb(JxlColorEncoding *c, int grey)
{
    memset(c, 0, sizeof *c);
    c->color_space = grey ? JXL_COLOR_SPACE_GRAY : JXL_COLOR_SPACE_RGB;
    c->white_point = JXL_WHITE_POINT_D65;
    c->primaries = JXL_PRIMARIES_SRGB;
    c->transfer_function = JXL_TRANSFER_FUNCTION_SRGB;
    c->rendering_intent = JXL_RENDERING_INTENT_PERCEPTUAL;
}

/* The event loop; @p img receives the first frame.  @p rgba is the decode
 * buffer (RGB or RGBA), allocated at the basic info event. */
static int run(const jxl_api *lib, maso_decoder *decoder, JxlDecoder *dec,
               const char *name, const maso_decode_params *params,
               maso_image *img, int *channels, int *premultiplied)
{
    JxlBasicInfo info;
    JxlPixelFormat fmt = {3, JXL_TYPE_UINT8, JXL_NATIVE_ENDIAN, 0};
    JxlColorEncoding srgb;
    uint64_t w = 0, h = 0;
    int rc;

    for (;;) {
        JxlDecoderStatus st = lib->JxlDecoderProcessInput(dec);

        switch (st) {
        case JXL_DEC_ERROR:
            return jxl_fail(decoder, name, MASO_ECORRUPT,
                            "libjxl refused the data");
        case JXL_DEC_NEED_MORE_INPUT:
            return jxl_fail(decoder, name, MASO_ECORRUPT,
                            "the data ends early");
        case JXL_DEC_BASIC_INFO:
            if (lib->JxlDecoderGetBasicInfo(dec, &info) != JXL_DEC_SUCCESS)
                return jxl_fail(decoder, name, MASO_ECORRUPT,
                                "unreadable header");
            w = info.xsize;
            h = info.ysize;
            rc = core_decoder_check_size(decoder, name, "JPEG XL", w, h,
                                         params);
            if (rc != 0)
                return rc;
            if (info.orientation >= JXL_ORIENT_TRANSPOSE) {
                w = info.ysize;
                h = info.xsize;
            }
            *channels = info.alpha_bits > 0 ? 4 : 3;
            *premultiplied = info.alpha_premultiplied != 0;
            fmt.num_channels = (uint32_t)*channels;
            rc = *channels == 4 ? core_image_alloc_rgba(img, (int)w, (int)h)
                                : core_image_alloc(img, (int)w, (int)h);
            if (rc != 0)
                return core_decoder_fail(decoder, rc, name,
                                         "cannot allocate %llux%llu pixels",
                                         (unsigned long long)w,
                                         (unsigned long long)h);
            break;
        case JXL_DEC_COLOR_ENCODING:
            set_srgb(&srgb, info.num_color_channels == 1);
            /* A file with an ICC profile keeps its own space: libjxl then
             * refuses the preference, which is not an error. */
            (void)lib->JxlDecoderSetPreferredColorProfile(dec, &srgb);
            break;
        case JXL_DEC_NEED_IMAGE_OUT_BUFFER: {
            size_t need = 0;
            size_t have = (size_t)w * (size_t)h * (size_t)*channels;

            if (lib->JxlDecoderImageOutBufferSize(dec, &fmt, &need) !=
                    JXL_DEC_SUCCESS || need != have)
                return jxl_fail(decoder, name, MASO_EUNSUPPORTED,
                                "an output layout libjxl does not give");
            if (lib->JxlDecoderSetImageOutBuffer(dec, &fmt, img->pixels, have) !=
                JXL_DEC_SUCCESS)
                return jxl_fail(decoder, name, MASO_ECORRUPT,
                                "the output buffer was refused");
            break;
        }
        case JXL_DEC_FULL_IMAGE:
            return 0; /* the first frame: done */
        case JXL_DEC_SUCCESS:
            return jxl_fail(decoder, name, MASO_ECORRUPT, "no image frame");
        default:
            return jxl_fail(decoder, name, MASO_ECORRUPT,
                            "unexpected decoder event");
        }
    }
}

int core_jxl_decode(maso_decoder *decoder, const unsigned char *data,
                    size_t size, const char *name,
                    const maso_decode_params *params, maso_image *out)
{
    const jxl_api *lib = jxl_api_load();
    JxlDecoder *dec;
    maso_image img = {0, 0, NULL};
    int rc, channels = 3, premultiplied = 0;

    rc = core_decoder_need_library(decoder, name, "JPEG XL", MASO_LIBJXL_SONAME,
                                   lib->ready, lib->error);
    if (rc != 0)
        return rc;
    dec = lib->JxlDecoderCreate(NULL);
    if (dec == NULL)
        return jxl_fail(decoder, name, ENOMEM, "the decoder");
    if (lib->JxlDecoderSubscribeEvents(dec, JXL_DEC_BASIC_INFO |
                                                JXL_DEC_COLOR_ENCODING |
                                                JXL_DEC_FULL_IMAGE) !=
            JXL_DEC_SUCCESS ||
        lib->JxlDecoderSetInput(dec, data, size) != JXL_DEC_SUCCESS) {
        lib->JxlDecoderDestroy(dec);
        return jxl_fail(decoder, name, MASO_ECORRUPT, "decoder set-up failed");
    }
    lib->JxlDecoderCloseInput(dec);
    rc = run(lib, decoder, dec, name, params, &img, &channels, &premultiplied);
    lib->JxlDecoderDestroy(dec);
    if (rc != 0) {
        maso_image_free(&img);
        return rc;
    }
    if (channels == 4)
        core_image_rgba_to_rgb(&img, params->background, premultiplied);
    *out = img;
    return 0;
}
