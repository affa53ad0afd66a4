/*
 * jpeg_dc_decode.c -- a progressive JPEG at scale 1/8 from its DC scans.
 *
 * Why: at 1/8 libjpeg computes each output sample of a full-resolution
 * component with a 1x1 IDCT, i.e. from the DC coefficient of its 8x8 block
 * alone.  A baseline file still has to be entropy-decoded whole, but a
 * progressive file sends the DC coefficients in scans of their own, so the
 * AC scans -- most of the file -- can be skipped without decoding them.
 *
 * How: jpeg_scans.c lists the scans by a byte scan.  A custom libjpeg
 * source then serves only the byte ranges that matter: the headers, the
 * tables between scans, the scans to keep, and EOI.  What libjpeg sees is a
 * valid progressive JPEG with fewer scans; it decodes it as usual (colour
 * conversion, upsampling), so the pixels equal those of a full decode at
 * 1/8.  The DC successive-approximation refinement scan (libjpeg's encoder
 * sends DC with Al=1 first and its last bit later) is a DC scan and is
 * kept: it costs one bit per block, and without it every DC would lose its
 * lowest bit.
 *
 * Which scans: DC scans always; AC scans only of components that libjpeg
 * enlarges with a bigger IDCT instead of upsampling them -- at 1/8 a 4:2:0
 * chroma block becomes 2x2 samples through a 2x2 IDCT that uses AC
 * coefficients.  We ask libjpeg (jpeg_calc_output_dimensions) rather than
 * re-deriving its rule.  Chroma scans are small next to the luma ones.
 *
 * Block smoothing is turned off: it would invent AC coefficients for the
 * skipped scans, which the 1x1 IDCT ignores anyway, at a cost.
 *
 * Errors and warnings longjmp out of libjpeg into one place and become
 * MASO_ECORRUPT, as TJFLAG_STOPONWARNING does for the TurboJPEG path.
 * Corruption inside a skipped scan goes unnoticed (its bytes are never
 * decoded); truncation anywhere is caught by the marker walk.
 */
#include "image/image_internal.h"

#include <errno.h>
#include <setjmp.h>
#include <stdio.h> /* jpeglib.h uses FILE */
#include <string.h>

#include <jerror.h>
#include <jpeglib.h>

/* A byte range of the file that libjpeg gets to see. */
typedef struct dc_piece {
    size_t begin, end;
} dc_piece;

/* Source manager serving the pieces in order, then a fake EOI. */
typedef struct dc_source {
    struct jpeg_source_mgr pub; /* first: libjpeg sees only this */
    const unsigned char *data;
    dc_piece *pieces;
    size_t npieces, next;
} dc_source;

typedef struct dc_error {
    struct jpeg_error_mgr pub; /* first: libjpeg sees only this */
    jmp_buf jump;
    int status;
    int warning;
    char text[JMSG_LENGTH_MAX];
} dc_error;

static void dc_error_exit(j_common_ptr cinfo)
{
    dc_error *e = (dc_error *)cinfo->err;

    e->pub.format_message(cinfo, e->text);
    e->status = e->pub.msg_code == JERR_OUT_OF_MEMORY ? ENOMEM : MASO_ECORRUPT;
    longjmp(e->jump, 1);
}

/* Level < 0 is a warning: libjpeg would go on with grey or zeroed data, we
 * stop.  Trace messages (level >= 0) are dropped. */
static void dc_emit_message(j_common_ptr cinfo, int level)
{
    dc_error *e = (dc_error *)cinfo->err;

    if (level >= 0)
        return;
    e->warning = 1;
    e->pub.format_message(cinfo, e->text);
    e->status = MASO_ECORRUPT;
    longjmp(e->jump, 1);
}

static void dc_output_message(j_common_ptr cinfo) { (void)cinfo; }

static void dc_init_source(j_decompress_ptr cinfo) { (void)cinfo; }
static void dc_term_source(j_decompress_ptr cinfo) { (void)cinfo; }

static boolean dc_fill_input_buffer(j_decompress_ptr cinfo)
{
    static const JOCTET fake_eoi[2] = {0xFF, JPEG_EOI};
    dc_source *s = (dc_source *)cinfo->src;

    if (s->next < s->npieces) {
        const dc_piece *p = &s->pieces[s->next++];
        s->pub.next_input_byte = s->data + p->begin;
        s->pub.bytes_in_buffer = p->end - p->begin;
        return TRUE;
    }
    /* Asked past EOI: cannot happen with a consistent file; a warning,
     * hence an error (dc_emit_message does not return). */
    WARNMS(cinfo, JWRN_JPEG_EOF);
    s->pub.next_input_byte = fake_eoi;
    s->pub.bytes_in_buffer = sizeof fake_eoi;
    return TRUE;
}

static void dc_skip_input_data(j_decompress_ptr cinfo, long n)
{
    struct jpeg_source_mgr *src = cinfo->src;

    if (n <= 0)
        return;
    while ((size_t)n > src->bytes_in_buffer) {
        n -= (long)src->bytes_in_buffer;
        dc_fill_input_buffer(cinfo);
    }
    src->next_input_byte += n;
    src->bytes_in_buffer -= (size_t)n;
}

static void add_piece(dc_source *s, size_t begin, size_t end)
{
    if (end > begin) /* libjpeg expects a refill to bring bytes */
        s->pieces[s->npieces++] = (dc_piece){begin, end};
}

/* Does libjpeg need scan @p scan to produce its output at the scale set? */
static int scan_needed(j_decompress_ptr cinfo, const core_jpeg_scan *scan)
{
    if (scan->ss == 0)
        return 1;
    for (int i = 0; i < scan->ncomp; i++) {
        int known = 0;
        for (int c = 0; c < cinfo->num_components; c++) {
            const jpeg_component_info *ci = &cinfo->comp_info[c];
            if (ci->component_id != scan->comp_id[i])
                continue;
            known = 1;
            if (ci->DCT_scaled_size > 1)
                return 1;
        }
        if (!known) /* keep it: libjpeg will report the bad id */
            return 1;
    }
    return 0;
}

/* After the header: the remaining pieces, from the end of the first scan
 * (already served with the header) to EOI, skipping unneeded scans. */
static void plan_pieces(j_decompress_ptr cinfo, dc_source *s,
                        const core_jpeg_layout *layout)
{
    size_t run = layout->scans[0].end;

    for (size_t i = 1; i < layout->nscans; i++) {
        const core_jpeg_scan *scan = &layout->scans[i];
        if (scan_needed(cinfo, scan))
            continue;
        add_piece(s, run, scan->begin);
        run = scan->end;
    }
    add_piece(s, run, layout->eoi_end);
}

/* The libjpeg part; longjmp lands here on any error.  Returns 0 or the
 * status recorded in @p err. */
static int decode(struct jpeg_decompress_struct *cinfo, dc_error *err,
                  dc_source *src, const core_jpeg_layout *layout, int cmyk,
                  unsigned char *pixels, int width, int height)
{
    size_t stride = (size_t)width * (cmyk ? 4 : 3);

    if (setjmp(err->jump))
        return err->status;
    jpeg_create_decompress(cinfo);
    src->pieces = (*cinfo->mem->alloc_small)((j_common_ptr)cinfo,
                                             JPOOL_PERMANENT,
                                             (layout->nscans + 1) *
                                                 sizeof *src->pieces);
    add_piece(src, 0, layout->scans[0].end);
    cinfo->src = &src->pub;
    jpeg_read_header(cinfo, TRUE);

    cinfo->scale_num = 1;
    cinfo->scale_denom = 8;
    cinfo->out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
    cinfo->do_block_smoothing = FALSE;
    jpeg_calc_output_dimensions(cinfo);
    if ((int)cinfo->output_width != width ||
        (int)cinfo->output_height != height) {
        snprintf(err->text, sizeof err->text,
                 "libjpeg scales to %ux%u, not %dx%d",
                 (unsigned)cinfo->output_width,
                 (unsigned)cinfo->output_height, width, height);
        return MASO_ECORRUPT;
    }
    plan_pieces(cinfo, src, layout);

    jpeg_start_decompress(cinfo);
    while (cinfo->output_scanline < cinfo->output_height) {
        JSAMPROW rows[16];
        JDIMENSION n = cinfo->output_height - cinfo->output_scanline;
        if (n > 16)
            n = 16;
        for (JDIMENSION i = 0; i < n; i++)
            rows[i] = pixels + (cinfo->output_scanline + i) * stride;
        jpeg_read_scanlines(cinfo, rows, n);
    }
    jpeg_finish_decompress(cinfo);
    return 0;
}

int core_jpeg_decode_dc(maso_decoder *decoder, const unsigned char *data,
                        const char *name,
                        const core_jpeg_layout *layout, int cmyk,
                        unsigned char *pixels, int width, int height)
{
    struct jpeg_decompress_struct cinfo;
    dc_error err;
    dc_source src;
    int rc;

    memset(&cinfo, 0, sizeof cinfo);
    memset(&src, 0, sizeof src);
    memset(&err, 0, sizeof err);
    cinfo.err = jpeg_std_error(&err.pub);
    err.pub.error_exit = dc_error_exit;
    err.pub.emit_message = dc_emit_message;
    err.pub.output_message = dc_output_message;
    src.pub.init_source = dc_init_source;
    src.pub.fill_input_buffer = dc_fill_input_buffer;
    src.pub.skip_input_data = dc_skip_input_data;
    src.pub.resync_to_restart = jpeg_resync_to_restart;
    src.pub.term_source = dc_term_source;
    src.data = data;

    rc = decode(&cinfo, &err, &src, layout, cmyk, pixels, width, height);
    jpeg_destroy_decompress(&cinfo);
    if (rc == 0)
        return 0;
    if (rc == ENOMEM)
        return core_decoder_fail(decoder, rc, name,
                                 "out of memory decoding the JPEG: %s",
                                 err.text);
    return core_decoder_fail(decoder, rc, name, "%s JPEG data: %s",
                             err.warning ? "truncated or corrupt" : "corrupt",
                             err.text);
}
