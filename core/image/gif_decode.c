/*
 * gif_decode.c -- the first frame of a GIF to 8-bit RGB with giflib.
 *
 * Records are read one at a time (not DGifSlurp, which would decode every
 * frame of an animation into memory) up to the first image descriptor; the
 * graphic control extension before it gives the transparent colour.  The
 * frame is drawn on the logical screen as a viewer shows it: pixels it does
 * not cover and transparent ones show the caller's background (browsers
 * ignore the GIF background colour index and show the page behind).  A
 * frame reaching past the screen widens the canvas instead of being cut,
 * which is also what browsers do.  The canvas size is checked against
 * max_pixels before anything is allocated.
 */
#include "image/image_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <gif_lib.h>

typedef struct gif_input {
    const unsigned char *data;
    size_t size, pos;
} gif_input;

static int on_read(GifFileType *gif, GifByteType *buf, int n)
{
    gif_input *in = gif->UserData;
    size_t left = in->size - in->pos;
    size_t want = n < 0 ? 0 : (size_t)n;

    if (want > left)
        want = left;
    memcpy(buf, in->data + in->pos, want);
    in->pos += want;
    return (int)want;
}

static int fail_gif(maso_decoder *decoder, const char *name, int err,
                    const char *what)
{
    const char *text = GifErrorString(err);

    if (err == D_GIF_ERR_NOT_ENOUGH_MEM)
        return core_decoder_fail(decoder, ENOMEM, name,
                                 "out of memory reading the GIF");
    return core_decoder_fail(decoder, MASO_ECORRUPT, name,
                             "corrupt or truncated GIF: %s%s%s", what,
                             text != NULL ? ": " : "",
                             text != NULL ? text : "");
}

/* Skip to the first image descriptor, reading the transparent colour of
 * the graphic control extension that applies to it. */
static int find_first_image(maso_decoder *decoder, GifFileType *gif,
                            const char *name, int *transparent)
{
    GifRecordType type;

    *transparent = NO_TRANSPARENT_COLOR;
    for (;;) {
        if (DGifGetRecordType(gif, &type) == GIF_ERROR)
            return fail_gif(decoder, name, gif->Error, "bad record");
        if (type == IMAGE_DESC_RECORD_TYPE)
            return 0;
        if (type == TERMINATE_RECORD_TYPE)
            return core_decoder_fail(decoder, MASO_ECORRUPT, name,
                                     "corrupt GIF: no image in the file");
        if (type == EXTENSION_RECORD_TYPE) {
            int code;
            GifByteType *ext;

            if (DGifGetExtension(gif, &code, &ext) == GIF_ERROR)
                return fail_gif(decoder, name, gif->Error, "bad extension");
            if (code == GRAPHICS_EXT_FUNC_CODE && ext != NULL) {
                GraphicsControlBlock gcb;
                if (DGifExtensionToGCB(ext[0], ext + 1, &gcb) == GIF_OK)
                    *transparent = gcb.TransparentColor;
            }
            while (ext != NULL)
                if (DGifGetExtensionNext(gif, &ext) == GIF_ERROR)
                    return fail_gif(decoder, name, gif->Error,
                                    "bad extension block");
        }
    }
}

/* The frame's rows, decoded in file order (interlaced: four passes). */
static int draw_frame(maso_decoder *decoder, GifFileType *gif,
                      const char *name, const ColorMapObject *map,
                      int transparent, unsigned char *line, maso_image *img)
{
    static const int start[4] = {0, 4, 2, 1}, step[4] = {8, 8, 4, 2};
    const GifImageDesc *d = &gif->Image;
    int passes = d->Interlace ? 4 : 1;

    for (int p = 0; p < passes; p++) {
        int y0 = d->Interlace ? start[p] : 0, dy = d->Interlace ? step[p] : 1;

        for (int y = y0; y < d->Height; y += dy) {
            unsigned char *dst;

            if (DGifGetLine(gif, line, d->Width) == GIF_ERROR)
                return fail_gif(decoder, name, gif->Error,
                                "the image data ends early or is invalid");
            dst = img->pixels +
                  ((size_t)(d->Top + y) * img->width + d->Left) * 3;
            for (int x = 0; x < d->Width; x++, dst += 3) {
                int i = line[x];
                if (i == transparent)
                    continue;
                if (i < map->ColorCount) {
                    dst[0] = map->Colors[i].Red;
                    dst[1] = map->Colors[i].Green;
                    dst[2] = map->Colors[i].Blue;
                } else { /* outside the table: black, as most viewers */
                    dst[0] = dst[1] = dst[2] = 0;
                }
            }
        }
    }
    return 0;
}

int core_gif_decode(maso_decoder *decoder, const unsigned char *data,
                    size_t size, const char *name,
                    const maso_decode_params *params, maso_image *out)
{
    gif_input in = {data, size, 0};
    GifFileType *gif;
    const ColorMapObject *map;
    maso_image img = {0, 0, NULL};
    unsigned char *line = NULL;
    int err = 0, rc, transparent, cw, ch;

    gif = DGifOpen(&in, on_read, &err);
    if (gif == NULL)
        return fail_gif(decoder, name, err, "the header does not read");
    rc = find_first_image(decoder, gif, name, &transparent);
    if (rc == 0 && DGifGetImageDesc(gif) == GIF_ERROR)
        rc = fail_gif(decoder, name, gif->Error, "bad image descriptor");
    if (rc != 0)
        goto done;
    cw = gif->SWidth;
    ch = gif->SHeight;
    if (gif->Image.Left + gif->Image.Width > cw)
        cw = gif->Image.Left + gif->Image.Width;
    if (gif->Image.Top + gif->Image.Height > ch)
        ch = gif->Image.Top + gif->Image.Height;
    rc = core_decoder_check_size(decoder, name, "GIF", (uint64_t)cw,
                                 (uint64_t)ch, params);
    if (rc == 0 && (gif->Image.Width <= 0 || gif->Image.Height <= 0))
        rc = core_decoder_fail(decoder, MASO_ECORRUPT, name,
                               "corrupt GIF: first frame of %dx%d pixels",
                               gif->Image.Width, gif->Image.Height);
    map = gif->Image.ColorMap != NULL ? gif->Image.ColorMap : gif->SColorMap;
    if (rc == 0 && map == NULL)
        rc = core_decoder_fail(decoder, MASO_ECORRUPT, name,
                               "corrupt GIF: no colour table");
    if (rc != 0)
        goto done;
    rc = core_image_alloc(&img, cw, ch);
    line = rc == 0 ? malloc((size_t)gif->Image.Width) : NULL;
    if (line == NULL) {
        rc = core_decoder_fail(decoder, ENOMEM, name,
                               "cannot allocate %dx%d pixels", cw, ch);
        goto done;
    }
    for (size_t i = 0; i < (size_t)cw * (size_t)ch; i++)
        memcpy(img.pixels + 3 * i, params->background, 3);
    rc = draw_frame(decoder, gif, name, map, transparent, line, &img);
done:
    free(line);
    DGifCloseFile(gif, &err);
    if (rc != 0) {
        maso_image_free(&img);
        return rc;
    }
    *out = img;
    return 0;
}
