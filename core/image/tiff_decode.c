/*
 * tiff_decode.c -- TIFF to 8-bit RGB with libtiff.
 *
 * The file is read from memory through libtiff's client procedures, with
 * error and warning handlers of this open only (TIFFOpenOptions): libtiff's
 * default ones print to stderr and are global.  The first directory (page)
 * is decoded; its size is checked against max_pixels before the raster is
 * allocated, and libtiff's own allocations are capped per block so that a
 * strip or tile size from a hostile header cannot ask for gigabytes.
 *
 * Pixels come from TIFFRGBAImage, which converts what the photometric
 * interpretations mean (grey, palette, RGB, CMYK, YCbCr, CIELab; 1 to 16
 * bits, contiguous or planar, strips or tiles) into 8-bit RGBA with
 * associated (premultiplied) alpha.  Asking it for the file's own
 * orientation makes it copy rows in stored order; the Orientation tag is
 * then applied by maso_image_orient(), whose numbering is TIFF's (EXIF took
 * the tag from TIFF).  16-bit CMYK, which TIFFRGBAImage refuses, is read
 * by scanlines here.
 *
 * libtiff is not linked: it is loaded by its SONAME at the first TIFF file
 * (base/library_internal.h says why: with libLerc, which brings libstdc++,
 * libjbig, libdeflate, liblzma and libzstd it costs 2 ms of dynamic linking
 * per process), so a file met on a machine without it fails with "TIFF
 * support needs libtiff.so.6: <cause>" and every other format goes on.
 */
#include "image/image_internal.h"
#include "base/library_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tiffio.h>

/* libtiff allocates strip and tile buffers itself: no single block of more
 * than this.  A 16-bit RGBA strip of a 50000-pixel-wide image with 64 rows
 * is 25 MB; whole-image strips of very large files may be refused. */
#define TIFF_MAX_SINGLE_ALLOC ((tmsize_t)512 << 20)

/* The functions this decoder calls, looked up in MASO_LIBTIFF_SONAME. */
#define TIFF_FUNCTIONS(X, t)                                                \
    X(t, TIFFOpenOptionsAlloc) X(t, TIFFOpenOptionsFree)                    \
    X(t, TIFFOpenOptionsSetMaxSingleMemAlloc)                               \
    X(t, TIFFOpenOptionsSetErrorHandlerExtR)                                \
    X(t, TIFFOpenOptionsSetWarningHandlerExtR) X(t, TIFFClientOpenExt)      \
    X(t, TIFFClose) X(t, TIFFGetField) X(t, TIFFGetFieldDefaulted)          \
    X(t, TIFFIsTiled)                                                       \
    X(t, TIFFScanlineSize) X(t, TIFFReadScanline) X(t, TIFFRGBAImageOK)     \
    X(t, TIFFRGBAImageBegin) X(t, TIFFRGBAImageGet) X(t, TIFFRGBAImageEnd)

CORE_LIBRARY_DEFINE(tiff_api, MASO_LIBTIFF_SONAME, TIFF_FUNCTIONS)

typedef struct tiff_job {
    const unsigned char *data;
    size_t size, pos;
    char error[256]; /* the first error libtiff reported */
} tiff_job;

static int on_error(TIFF *tif, void *opaque, const char *module,
                    const char *fmt, va_list ap)
{
    tiff_job *job = opaque;

    (void)tif;
    (void)module;
    if (job->error[0] == '\0')
        vsnprintf(job->error, sizeof job->error, fmt, ap);
    return 1; /* handled: do not call the global handler */
}

/* Warnings (unknown tags and the like) are not reported, except an "IO
 * error" reading a tag: from memory that means its data lies past the end
 * of the file, and libtiff would carry on without the tag (a palette image
 * without its colour map becomes a grey one). */
static int on_warning(TIFF *tif, void *opaque, const char *module,
                      const char *fmt, va_list ap)
{
    tiff_job *job = opaque;
    char text[256];

    (void)tif;
    (void)module;
    vsnprintf(text, sizeof text, fmt, ap);
    if (strstr(text, "IO error") != NULL && job->error[0] == '\0')
        snprintf(job->error, sizeof job->error, "%s", text);
    return 1;
}

static tmsize_t mem_read(thandle_t h, void *buf, tmsize_t n)
{
    tiff_job *job = (tiff_job *)h;
    size_t left = job->size - job->pos;
    size_t want = n < 0 ? 0 : (size_t)n;

    if (want > left)
        want = left;
    memcpy(buf, job->data + job->pos, want);
    job->pos += want;
    return (tmsize_t)want;
}

static tmsize_t mem_write(thandle_t h, void *buf, tmsize_t n)
{
    (void)h;
    (void)buf;
    (void)n;
    return -1;
}

static toff_t mem_seek(thandle_t h, toff_t off, int whence)
{
    tiff_job *job = (tiff_job *)h;
    uint64_t base = whence == SEEK_CUR ? job->pos
                    : whence == SEEK_END ? job->size : 0;

    if (off > (uint64_t)job->size || base + off > job->size)
        return (toff_t)-1;
    job->pos = (size_t)(base + off);
    return job->pos;
}

static int mem_close(thandle_t h)
{
    (void)h;
    return 0;
}

static toff_t mem_size(thandle_t h)
{
    return ((tiff_job *)h)->size;
}

static int mem_map(thandle_t h, void **base, toff_t *size)
{
    tiff_job *job = (tiff_job *)h;

    *base = (void *)job->data;
    *size = job->size;
    return 1;
}

static void mem_unmap(thandle_t h, void *base, toff_t size)
{
    (void)h;
    (void)base;
    (void)size;
}

static int fail_tiff(maso_decoder *decoder, const char *name, int status,
                     const tiff_job *job, const char *what)
{
    return core_decoder_fail(decoder, status, name, "%s TIFF: %s%s%s",
                             status == MASO_EUNSUPPORTED ? "unsupported"
                                                         : "corrupt or truncated",
                             what, job->error[0] ? ": " : "", job->error);
}

/* 16-bit CMYK in strips, which TIFFRGBAImage does not convert: scanlines
 * read here, the high byte of each sample kept, and the same naive ink
 * formula as libtiff's 8-bit path (R = (255 - C)(255 - K) / 255).  Returns
 * 1 when the page is not such an image (nothing done). */
static int read_cmyk16(maso_decoder *decoder, TIFF *tif, tiff_job *job,
                       const char *name, uint32_t w, uint32_t h,
                       maso_image *img, int *rc)
{
    const tiff_api *lib = &tiff_api_table;
    uint16_t photometric = 0, bps = 0, spp = 0, planar = PLANARCONFIG_CONTIG;
    uint16_t inkset = INKSET_CMYK;
    tmsize_t line;
    uint16_t *row;

    lib->TIFFGetFieldDefaulted(tif, TIFFTAG_PHOTOMETRIC, &photometric);
    lib->TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bps);
    lib->TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
    lib->TIFFGetFieldDefaulted(tif, TIFFTAG_PLANARCONFIG, &planar);
    lib->TIFFGetFieldDefaulted(tif, TIFFTAG_INKSET, &inkset);
    if (photometric != PHOTOMETRIC_SEPARATED || bps != 16 || spp < 4 ||
        planar != PLANARCONFIG_CONTIG || inkset != INKSET_CMYK ||
        lib->TIFFIsTiled(tif))
        return 1;
    line = lib->TIFFScanlineSize(tif);
    if (line < (tmsize_t)((size_t)w * spp * 2)) {
        *rc = fail_tiff(decoder, name, MASO_ECORRUPT, job,
                        "scanline shorter than its pixels");
        return 0;
    }
    *rc = core_image_alloc(img, (int)w, (int)h);
    row = *rc == 0 ? malloc((size_t)line) : NULL;
    if (row == NULL) {
        maso_image_free(img);
        *rc = core_decoder_fail(decoder, ENOMEM, name,
                                "cannot allocate %ux%u pixels", (unsigned)w,
                                (unsigned)h);
        return 0;
    }
    for (uint32_t y = 0; y < h; y++) {
        unsigned char *dst = img->pixels + (size_t)y * w * 3;
        if (lib->TIFFReadScanline(tif, row, y, 0) < 0) {
            free(row);
            maso_image_free(img);
            *rc = fail_tiff(decoder, name, MASO_ECORRUPT, job,
                            "the pixels do not decode");
            return 0;
        }
        for (uint32_t x = 0; x < w; x++, dst += 3) {
            const uint16_t *px = row + (size_t)x * spp;
            unsigned k = 255u - (px[3] >> 8);
            for (int c = 0; c < 3; c++)
                dst[c] = (unsigned char)(k * (255u - (px[c] >> 8)) / 255u);
        }
    }
    free(row);
    *rc = 0;
    return 0;
}

/* Decode the open first page into @p img (allocated here). */
static int read_page(maso_decoder *decoder, TIFF *tif, tiff_job *job,
                     const char *name, const maso_decode_params *params,
                     maso_image *img, int *orientation)
{
    const tiff_api *lib = &tiff_api_table;
    uint32_t w = 0, h = 0;
    uint16_t orient = ORIENTATION_TOPLEFT;
    TIFFRGBAImage ri;
    char emsg[1024] = "";
    uint32_t *raster;
    unsigned char *bytes;
    size_t npix;
    int rc;

    if (!lib->TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &w) ||
        !lib->TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &h))
        return fail_tiff(decoder, name, MASO_ECORRUPT, job,
                         "no image width or length");
    rc = core_decoder_check_size(decoder, name, "TIFF", w, h, params);
    if (rc != 0)
        return rc;
    lib->TIFFGetFieldDefaulted(tif, TIFFTAG_ORIENTATION, &orient);
    if (orient < 1 || orient > 8)
        orient = ORIENTATION_TOPLEFT;
    if (read_cmyk16(decoder, tif, job, name, w, h, img, &rc) == 0) {
        if (rc == 0)
            *orientation = orient;
        return rc;
    }
    if (!lib->TIFFRGBAImageOK(tif, emsg) ||
        !lib->TIFFRGBAImageBegin(&ri, tif, 1, emsg)) {
        snprintf(job->error, sizeof job->error, "%s", emsg);
        return fail_tiff(decoder, name, MASO_EUNSUPPORTED, job,
                         "libtiff cannot convert it");
    }
    ri.req_orientation = orient; /* rows in stored order, no flips */
    rc = core_image_alloc_rgba(img, (int)w, (int)h);
    if (rc != 0) {
        lib->TIFFRGBAImageEnd(&ri);
        return core_decoder_fail(decoder, rc, name,
                                 "cannot allocate %ux%u RGBA pixels",
                                 (unsigned)w, (unsigned)h);
    }
    npix = (size_t)w * h;
    raster = (uint32_t *)(void *)img->pixels;
    if (!lib->TIFFRGBAImageGet(&ri, raster, w, h)) {
        lib->TIFFRGBAImageEnd(&ri);
        maso_image_free(img);
        return fail_tiff(decoder, name, MASO_ECORRUPT, job,
                         "the pixels do not decode");
    }
    lib->TIFFRGBAImageEnd(&ri);
    /* Packed ABGR words to R,G,B,A bytes, in place (same size). */
    bytes = img->pixels;
    for (size_t i = 0; i < npix; i++) {
        uint32_t v = raster[i];
        bytes[4 * i + 0] = (unsigned char)TIFFGetR(v);
        bytes[4 * i + 1] = (unsigned char)TIFFGetG(v);
        bytes[4 * i + 2] = (unsigned char)TIFFGetB(v);
        bytes[4 * i + 3] = (unsigned char)TIFFGetA(v);
    }
    core_image_rgba_to_rgb(img, params->background, 1);
    *orientation = orient;
    return 0;
}

int core_tiff_decode(maso_decoder *decoder, const unsigned char *data,
                     size_t size, const char *name,
                     const maso_decode_params *params, maso_image *out)
{
    const tiff_api *lib = tiff_api_load();
    tiff_job job;
    TIFFOpenOptions *opts;
    TIFF *tif;
    maso_image img = {0, 0, NULL};
    int rc, orientation = 1;

    rc = core_decoder_need_library(decoder, name, "TIFF", MASO_LIBTIFF_SONAME,
                                   lib->ready, lib->error);
    if (rc != 0)
        return rc;
    memset(&job, 0, sizeof job);
    job.data = data;
    job.size = size;
    opts = lib->TIFFOpenOptionsAlloc();
    if (opts == NULL)
        return core_decoder_fail(decoder, ENOMEM, name,
                                 "cannot allocate the TIFF reader");
    lib->TIFFOpenOptionsSetMaxSingleMemAlloc(opts, TIFF_MAX_SINGLE_ALLOC);
    lib->TIFFOpenOptionsSetErrorHandlerExtR(opts, on_error, &job);
    lib->TIFFOpenOptionsSetWarningHandlerExtR(opts, on_warning, &job);
    tif = lib->TIFFClientOpenExt(name != NULL ? name : "(image)", "rm",
                            (thandle_t)&job, mem_read, mem_write, mem_seek,
                            mem_close, mem_size, mem_map, mem_unmap, opts);
    lib->TIFFOpenOptionsFree(opts);
    if (tif == NULL)
        return fail_tiff(decoder, name, MASO_ECORRUPT, &job,
                         "the header does not read");
    rc = read_page(decoder, tif, &job, name, params, &img, &orientation);
    lib->TIFFClose(tif);
    if (rc != 0)
        return rc;
    /* libtiff reports some damage (a tag whose data lies past the end of
     * the file) as an error and carries on with a default: refuse it. */
    if (job.error[0] != '\0') {
        maso_image_free(&img);
        return fail_tiff(decoder, name, MASO_ECORRUPT, &job,
                         "libtiff reported an error");
    }
    if (params->apply_orientation) {
        rc = core_decoder_orient(decoder, name, &img, orientation);
        if (rc != 0)
            return rc;
    }
    *out = img;
    return 0;
}
