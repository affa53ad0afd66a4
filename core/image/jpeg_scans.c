/*
 * jpeg_scans.c -- the scan structure of a whole JPEG file, found by walking
 * its markers without entropy decoding.
 *
 * Entropy-coded data never contains a marker: the encoder stuffs every
 * 0xFF data byte as FF 00, and the only markers allowed inside a scan are
 * the restart markers FF D0..D7.  So the end of a scan is the first 0xFF
 * followed by anything else, and a byte scan (memchr) finds it at memory
 * speed.  This lets the DC-only decoder (jpeg_dc_decode.c) hand libjpeg the
 * scans it needs and skip the others, and still check that the file is
 * complete: a file whose marker walk does not reach EOI is truncated.
 */
#include "image/image_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Same cap as TurboJPEG's TJFLAG_LIMITSCANS, which the full decoder uses:
 * a file with more scans is refused by both paths. */
#define MASO_JPEG_MAX_SCANS 500

static int is_rst(int m) { return m >= 0xD0 && m <= 0xD7; }

/* Offset of the first marker (its first 0xFF, fill bytes included) at or
 * after @p pos inside entropy-coded data; @p size when there is none. */
static size_t entropy_end(const unsigned char *data, size_t size, size_t pos)
{
    while (pos < size) {
        const unsigned char *ff = memchr(data + pos, 0xFF, size - pos);
        size_t at, next;

        if (ff == NULL)
            return size;
        at = (size_t)(ff - data);
        next = at + 1;
        while (next < size && data[next] == 0xFF) /* fill before a marker */
            next++;
        if (next >= size)
            return size;
        if (data[next] != 0x00 && !is_rst(data[next]))
            return at;
        pos = next + 1;
    }
    return size;
}

/* Decode the SOS header whose body (after the length) is @p b, @p len
 * bytes, into @p scan.  Returns 0 or -1 when malformed. */
static int parse_sos(const unsigned char *b, size_t len, core_jpeg_scan *scan)
{
    size_t ns;

    if (len < 1)
        return -1;
    ns = b[0];
    if (ns < 1 || ns > 4 || len != 1 + 2 * ns + 3)
        return -1;
    scan->ncomp = (int)ns;
    for (size_t i = 0; i < ns; i++)
        scan->comp_id[i] = b[1 + 2 * i];
    scan->ss = b[1 + 2 * ns];
    scan->se = b[2 + 2 * ns];
    return 0;
}

void core_jpeg_layout_free(core_jpeg_layout *layout)
{
    free(layout->scans);
    layout->scans = NULL;
    layout->nscans = 0;
}

static int layout_fail(core_jpeg_layout *layout, const char *why)
{
    core_jpeg_layout_free(layout);
    layout->error = why;
    return strncmp(why, "out of memory", 13) == 0 ? ENOMEM : MASO_ECORRUPT;
}

int core_jpeg_layout_read(const unsigned char *data, size_t size,
                          core_jpeg_layout *layout)
{
    size_t pos = 2, cap = 0; /* after SOI */

    memset(layout, 0, sizeof *layout);
    for (;;) {
        size_t seglen, body;
        int m;

        if (pos >= size)
            return layout_fail(layout, "truncated JPEG: the file ends before "
                                       "its EOI marker");
        if (data[pos] != 0xFF)
            return layout_fail(layout, "corrupt JPEG: data where a marker "
                                       "should be");
        while (pos < size && data[pos] == 0xFF)
            pos++;
        if (pos >= size)
            return layout_fail(layout, "truncated JPEG: the file ends inside "
                                       "a marker");
        m = data[pos++];
        if (m == 0xD9) { /* EOI: anything after it is not ours to judge */
            layout->eoi_end = pos;
            if (layout->nscans == 0)
                return layout_fail(layout, "corrupt JPEG: EOI before any scan");
            return 0;
        }
        if (m == 0x01 || is_rst(m)) /* TEM, stray RSTn: no length */
            continue;
        if (m == 0x00 || m == 0xD8)
            return layout_fail(layout, "corrupt JPEG: invalid marker");
        if (size - pos < 2)
            return layout_fail(layout, "truncated JPEG: the file ends inside "
                                       "a marker segment");
        seglen = (size_t)data[pos] << 8 | data[pos + 1];
        if (seglen < 2)
            return layout_fail(layout, "corrupt JPEG: marker segment length");
        if (seglen > size - pos)
            return layout_fail(layout, "truncated JPEG: the file ends inside "
                                       "a marker segment");
        body = pos + 2;
        if (m == 0xC2 || m == 0xCA) /* SOF2, SOF10: progressive */
            layout->progressive = 1;
        if (m != 0xDA) {
            pos = body + seglen - 2;
            continue;
        }
        if (layout->nscans == MASO_JPEG_MAX_SCANS)
            return layout_fail(layout, "corrupt JPEG: more than 500 scans");
        if (layout->nscans == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            core_jpeg_scan *s = realloc(layout->scans, ncap * sizeof *s);
            if (s == NULL)
                return layout_fail(layout, "out of memory listing scans");
            layout->scans = s;
            cap = ncap;
        }
        core_jpeg_scan *scan = &layout->scans[layout->nscans];
        if (parse_sos(data + body, seglen - 2, scan) != 0)
            return layout_fail(layout, "corrupt JPEG: malformed SOS header");
        scan->begin = pos - 2; /* the FF DA itself (fill bytes excluded) */
        scan->end = entropy_end(data, size, body + seglen - 2);
        if (scan->end == size)
            return layout_fail(layout, "truncated JPEG: the file ends inside "
                                       "scan data");
        layout->nscans++;
        pos = scan->end;
    }
}
