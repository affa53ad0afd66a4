/*
 * jpeg_decode.c -- JPEG to 8-bit RGB with the TurboJPEG 2.1 API.
 *
 * Size first: the header gives the stored dimensions, which are checked
 * against max_pixels before anything is allocated.  Then libjpeg-turbo's
 * DCT-domain scaling (N/8) picks the smallest output that still covers the
 * caller's minimum size, which skips most of the inverse DCT and colour
 * conversion work for large photos.
 *
 * CMYK and YCCK files are decoded to CMYK and converted here (TurboJPEG
 * does not convert CMYK to RGB).  Convention: files carrying an Adobe APP14
 * marker -- in practice every CMYK JPEG, since Photoshop writes them and
 * libjpeg adds the marker to every CMYK/YCCK file it writes -- store the
 * components inverted (0 = full ink), so R = C * K / 255.  Without that
 * marker we take the components as plain ink amounts, R = (255-C)(255-K)/255.
 * This is a naive conversion without colour management, which is fine for
 * similarity search.
 *
 * Progressive files decoded at 1/8 (what the indexer asks of large photos)
 * go through jpeg_dc_decode.c instead of tjDecompress2: only their DC scans
 * are entropy-decoded, for the same pixels.  Everything else here (limits,
 * orientation, CMYK) is shared by both paths.
 *
 * libjpeg *warnings* (premature end of data, corrupt entropy data) still
 * yield an image padded with grey; we refuse such files as MASO_ECORRUPT
 * because an indexer should not store codes of half an image.
 *
 * Every image gets a TurboJPEG handle of its own, made here and destroyed
 * before returning.  A reused handle carries libjpeg state from one file to
 * the next: after some header errors (bogus marker length, a second SOI)
 * it refuses every later file, and its quantization and Huffman tables
 * stay defined, so a file that uses a table it never defines decodes with
 * the previous file's.  A file's pixels must depend on its bytes alone;
 * a fresh handle costs microseconds next to the milliseconds of a decode.
 */
#include "image/image_internal.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include <turbojpeg.h>

/* The smallest DCT scaling factor (at most 1) whose output is at least
 * need_w x need_h; full size when none is, or when nothing is needed. */
static tjscalingfactor choose_scale(int w, int h, int need_w, int need_h)
{
    tjscalingfactor best = {1, 1};
    tjscalingfactor *sf;
    int n = 0;

    if (need_w <= 0 && need_h <= 0)
        return best;
    sf = tjGetScalingFactors(&n);
    for (int i = 0; sf != NULL && i < n; i++) {
        if (sf[i].num > sf[i].denom)
            continue; /* never enlarge */
        if (TJSCALED(w, sf[i]) < need_w || TJSCALED(h, sf[i]) < need_h)
            continue;
        if ((long)sf[i].num * best.denom < (long)best.num * sf[i].denom)
            best = sf[i];
    }
    return best;
}

/* True for a progressive JPEG (SOF2 Huffman or SOF10 arithmetic frame). */
static int is_progressive(const unsigned char *data, size_t size)
{
    const unsigned char *p;
    size_t n;

    return core_jpeg_segment_find(data, size, 0xC2, "", 0, &p, &n) ||
           core_jpeg_segment_find(data, size, 0xCA, "", 0, &p, &n);
}

/* The pixel step: the whole file through TurboJPEG, or, for a progressive
 * file at 1/8, only the scans that scale needs.  The progressive path first
 * walks the file's markers up to EOI, so that a truncated file is refused
 * at 1/8 as it is at full size although its AC scans are not decoded. */
static int decode_pixels(maso_decoder *decoder, tjhandle tj,
                         const unsigned char *data, size_t size,
                         const char *name, tjscalingfactor sf, int cmyk,
                         maso_image *img)
{
    if (sf.num * 8 == sf.denom && is_progressive(data, size)) {
        core_jpeg_layout layout;
        int rc = core_jpeg_layout_read(data, size, &layout);

        if (rc != 0)
            return core_decoder_fail(decoder, rc, name, "%s", layout.error);
        rc = core_jpeg_decode_dc(decoder, data, name, &layout, cmyk,
                                 img->pixels, img->width, img->height);
        core_jpeg_layout_free(&layout);
        return rc;
    }
    if (tjDecompress2(tj, data, (unsigned long)size, img->pixels, img->width,
                      0, img->height, cmyk ? TJPF_CMYK : TJPF_RGB,
                      TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS) != 0) {
        int warning = tjGetErrorCode(tj) == TJERR_WARNING;

        return core_decoder_fail(decoder, MASO_ECORRUPT, name,
                                 "%s JPEG data: %s",
                                 warning ? "truncated or corrupt" : "corrupt",
                                 tjGetErrorStr2(tj));
    }
    return 0;
}

/* CMYK (4 bytes per pixel) to RGB in place, left to right. */
static void cmyk_to_rgb(unsigned char *buf, size_t npix, int inverted)
{
    const unsigned char *src = buf;
    unsigned char *dst = buf;

    for (size_t i = 0; i < npix; i++, src += 4, dst += 3) {
        unsigned k = inverted ? src[3] : 255u - src[3];
        for (int c = 0; c < 3; c++) {
            unsigned v = inverted ? src[c] : 255u - src[c];
            dst[c] = (unsigned char)((v * k + 127) / 255);
        }
    }
}

/* The decode proper, with @p tj fresh for this image. */
static int decode_with(maso_decoder *decoder, tjhandle tj,
                       const unsigned char *data, size_t size,
                       const char *name, const maso_decode_params *params,
                       maso_image *out)
{
    int w = 0, h = 0, subsamp = 0, cs = 0, orientation = 1, cmyk, rc;
    int need_w = params->min_width, need_h = params->min_height;
    tjscalingfactor sf;
    maso_image img;
    size_t npix;
    unsigned char *buf;

    if (tjDecompressHeader3(tj, data, (unsigned long)size, &w, &h, &subsamp,
                            &cs) != 0)
        return core_decoder_fail(decoder, MASO_ECORRUPT, name,
                                 "corrupt or truncated JPEG header: %s",
                                 tjGetErrorStr2(tj));
    if (w <= 0 || h <= 0)
        return core_decoder_fail(decoder, MASO_ECORRUPT, name,
                                 "corrupt JPEG: size %dx%d", w, h);
    if ((uint64_t)w * (uint64_t)h > params->max_pixels)
        return core_decoder_fail(decoder, MASO_ETOOBIG, name,
                                 "JPEG of %dx%d pixels exceeds the limit of "
                                 "%llu pixels", w, h,
                                 (unsigned long long)params->max_pixels);
    if (params->apply_orientation)
        orientation = core_exif_orientation(data, size);
    if (core_orientation_swaps(orientation)) { /* the minimum is upright */
        need_w = params->min_height;
        need_h = params->min_width;
    }
    sf = choose_scale(w, h, need_w, need_h);
    cmyk = cs == TJCS_CMYK || cs == TJCS_YCCK;

    rc = core_image_alloc(&img, TJSCALED(w, sf), TJSCALED(h, sf));
    if (rc != 0)
        return core_decoder_fail(decoder, rc, name,
                                 "cannot allocate %dx%d pixels", w, h);
    npix = (size_t)img.width * (size_t)img.height;
    if (cmyk) { /* 4 bytes per pixel while decoding */
        buf = realloc(img.pixels, npix * 4);
        if (buf == NULL) {
            maso_image_free(&img);
            return core_decoder_fail(decoder, ENOMEM, name,
                                     "cannot allocate %dx%d CMYK pixels",
                                     img.width, img.height);
        }
        img.pixels = buf;
    }
    rc = decode_pixels(decoder, tj, data, size, name, sf, cmyk, &img);
    if (rc != 0) {
        maso_image_free(&img);
        return rc;
    }
    if (cmyk) {
        const unsigned char *adobe;
        size_t adobe_len;
        int inverted = core_jpeg_segment_find(data, size, 0xEE, "Adobe", 5,
                                              &adobe, &adobe_len);

        cmyk_to_rgb(img.pixels, npix, inverted);
        buf = realloc(img.pixels, npix * 3);
        if (buf != NULL)
            img.pixels = buf;
    }
    rc = core_decoder_orient(decoder, name, &img, orientation);
    if (rc != 0)
        return rc;
    *out = img;
    return 0;
}

int core_jpeg_decode(maso_decoder *decoder, const unsigned char *data,
                     size_t size, const char *name,
                     const maso_decode_params *params, maso_image *out)
{
    tjhandle tj = tjInitDecompress();
    int rc;

    if (tj == NULL)
        return core_decoder_fail(decoder, ENOMEM, name,
                                 "cannot create a JPEG decompressor");
    rc = decode_with(decoder, tj, data, size, name, params, out);
    tjDestroy(tj);
    return rc;
}
