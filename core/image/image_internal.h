/*
 * image_internal.h -- what the image modules of libmaso share and the public
 * header does not show: the decoder struct, error reporting into it, and the
 * per-format decoders that maso_decoder_load_memory() dispatches to.
 */
#ifndef CORE_IMAGE_INTERNAL_H
#define CORE_IMAGE_INTERNAL_H

#include "maso.h"

#include <stddef.h>
#include <stdint.h>

struct maso_decoder {
    unsigned char *file_buf;  /* scratch: bytes of the last loaded file */
    size_t file_cap;
    char msg[MASO_ERRMSG_SIZE];
};

/* Record "name: <formatted cause>" as the decoder's message; returns
 * @p status so that callers can write `return core_decoder_fail(...)`. */
int core_decoder_fail(maso_decoder *decoder, int status, const char *name,
                      const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* For a decoder whose library is loaded at first use
 * (base/library_internal.h): 0 when it is @p ready, else MASO_EUNSUPPORTED
 * recorded as "name: FORMAT support needs SONAME: <the loader's
 * @p error>". */
int core_decoder_need_library(maso_decoder *decoder, const char *name,
                              const char *format, const char *soname,
                              int ready, const char *error);

/* Allocate width*height RGB pixels (uninitialised) into @p image, after
 * checking that the size does not overflow.  Returns 0 or ENOMEM. */
int core_image_alloc(maso_image *image, int width, int height);

/* Fail with MASO_ETOOBIG (naming @p format) when a stored image of
 * @p width x @p height exceeds params->max_pixels, or MASO_ECORRUPT when a
 * dimension is not positive or exceeds INT_MAX; 0 when it fits.  Called by
 * every decoder before it allocates pixels. */
int core_decoder_check_size(maso_decoder *decoder, const char *name,
                            const char *format, uint64_t width,
                            uint64_t height, const maso_decode_params *params);

/* Blend @p npix RGBA pixels in @p buf onto @p bg in place, leaving packed
 * RGB at the start of @p buf.  @p premultiplied: the colour samples are
 * already multiplied by alpha. */
void core_rgba_composite(unsigned char *buf, size_t npix,
                         const unsigned char bg[3], int premultiplied);

/* Like core_image_alloc() with 4 bytes per pixel (RGBA, while decoding). */
int core_image_alloc_rgba(maso_image *image, int width, int height);

/* Turn an image filled as RGBA into RGB composited onto @p bg (the block
 * shrinks to 3 bytes per pixel when realloc allows). */
void core_image_rgba_to_rgb(maso_image *image, const unsigned char bg[3],
                            int premultiplied);

/* maso_image_orient() for a decoder: on failure the image is freed and
 * the failure recorded in @p decoder.  Returns 0 or ENOMEM. */
int core_decoder_orient(maso_decoder *decoder, const char *name,
                        maso_image *image, int orientation);

/* True when @p data (@p size bytes, more than 0) is a strict prefix of a
 * signature: a file cut inside it is truncated, not a foreign format. */
int core_format_truncated_signature(const unsigned char *data, size_t size);

/* Per-format decoders.  @p data holds @p size bytes already recognised as
 * the format by their signature.  Same contract as load_memory.  None keeps
 * state across calls except the decoder's reusable handles. */
#define CORE_DECLARE_DECODER(fmt)                                          \
    int core_##fmt##_decode(maso_decoder *decoder,                         \
                            const unsigned char *data, size_t size,        \
                            const char *name,                              \
                            const maso_decode_params *params,              \
                            maso_image *out)
CORE_DECLARE_DECODER(png);
CORE_DECLARE_DECODER(jpeg);
CORE_DECLARE_DECODER(webp);
CORE_DECLARE_DECODER(tiff);
CORE_DECLARE_DECODER(gif);
CORE_DECLARE_DECODER(heif);
CORE_DECLARE_DECODER(jxl);
CORE_DECLARE_DECODER(bmp);
CORE_DECLARE_DECODER(pnm);

/* Walk the marker segments of the JPEG in @p data (starting after SOI) up
 * to the first SOS, and find the first segment with marker @p marker whose
 * payload starts with the @p id_len bytes of @p id.  On success points
 * *payload at the bytes after the id, sets *len, and returns 1; otherwise
 * returns 0.  Never reads outside data[0..size). */
int core_jpeg_segment_find(const unsigned char *data, size_t size,
                           int marker, const char *id, size_t id_len,
                           const unsigned char **payload, size_t *len);

/* One scan of a JPEG file: where it lies and what it codes. */
typedef struct core_jpeg_scan {
    size_t begin;          /* offset of its SOS marker (FF DA) */
    size_t end;            /* offset just past its entropy-coded data */
    int ss, se;            /* spectral selection (ss == 0: a DC scan) */
    int ncomp;             /* components in the scan, 1..4 */
    int comp_id[4];        /* their ids, as in the frame header */
} core_jpeg_scan;

/* The marker structure of a whole JPEG file. */
typedef struct core_jpeg_layout {
    core_jpeg_scan *scans; /* owned; core_jpeg_layout_free() */
    size_t nscans;
    size_t eoi_end;        /* offset just past the EOI marker */
    int progressive;       /* the frame is SOF2 or SOF10 */
    const char *error;     /* static text on failure */
} core_jpeg_layout;

/* Walk every marker of the JPEG in @p data (from after SOI to EOI), listing
 * its scans; entropy-coded data is skipped by a byte scan, not decoded.
 * Returns 0; MASO_ECORRUPT when the file ends before EOI (truncated) or its
 * marker structure is malformed, or ENOMEM; on failure layout->error says
 * why and nothing needs freeing.  Never reads outside data[0..size). */
int core_jpeg_layout_read(const unsigned char *data, size_t size,
                          core_jpeg_layout *layout);
void core_jpeg_layout_free(core_jpeg_layout *layout);

/* Decode a progressive JPEG at scale 1/8 from the scans that scale needs
 * (DC scans, plus every scan of a component libjpeg enlarges with a bigger
 * IDCT, i.e. subsampled chroma), skipping the others.  Writes width x height
 * pixels (RGB, or CMYK when @p cmyk) into @p pixels; width and height must
 * be the header size scaled by 1/8, rounded up.  @p layout comes from
 * core_jpeg_layout_read() on the same data, which bounds every offset.  Errors and warnings are
 * reported into @p decoder as MASO_ECORRUPT (ENOMEM when libjpeg runs out
 * of memory); nothing is printed. */
int core_jpeg_decode_dc(maso_decoder *decoder, const unsigned char *data,
                        const char *name,
                        const core_jpeg_layout *layout, int cmyk,
                        unsigned char *pixels, int width, int height);

/* The EXIF orientation (1..8) of a JPEG; 1 when there is no EXIF block or
 * it is malformed in any way. */
int core_exif_orientation(const unsigned char *data, size_t size);

/* The orientation (1..8) in an EXIF TIFF structure (from its byte-order
 * mark; a leading "Exif\0\0" is skipped), as PNG eXIf and WebP EXIF chunks
 * hold it; 1 when absent or malformed. */
int core_exif_tiff_orientation(const unsigned char *tiff, size_t len);

/* True when an orientation swaps width and height (5..8). */
int core_orientation_swaps(int orientation);

/* The stored pixel (*sx, *sy) shown at upright position (x, y) of an image
 * stored W x H with EXIF orientation @p orientation (1 or out of range: as
 * stored). */
void core_orientation_source(int orientation, int x, int y, int W, int H,
                             int *sx, int *sy);

/* Turn @p image, stored with EXIF orientation @p orientation, into the
 * upright image it depicts (replacing its pixels).  Returns 0 or ENOMEM;
 * on failure the image is unchanged. */
int maso_image_orient(maso_image *image, int orientation);

#endif /* CORE_IMAGE_INTERNAL_H */
