/*
 * exif.c -- the orientation tag of an EXIF block (JPEG APP1, PNG eXIf,
 * WebP EXIF).
 *
 * EXIF lives in an APP1 segment starting "Exif\0\0", followed by a TIFF
 * structure: a byte-order mark ("II" little-endian, "MM" big-endian), the
 * number 42, and the offset of IFD0, a list of 12-byte entries (tag, type,
 * count, value-or-offset).  Tag 0x0112 (Orientation) is a SHORT whose value
 * sits in the first two bytes of the value field.  The block comes from
 * untrusted files, so every read is checked against the segment length;
 * anything odd means "no orientation" (1), never an error.
 */
#include "image/image_internal.h"

#include <stdint.h>
#include <string.h>

typedef struct tiff {
    const unsigned char *p;
    size_t len;
    int little; /* byte order */
} tiff;

static unsigned rd16(const tiff *t, size_t off)
{
    const unsigned char *q = t->p + off;
    return t->little ? (unsigned)(q[0] | q[1] << 8)
                     : (unsigned)(q[0] << 8 | q[1]);
}

static uint32_t rd32(const tiff *t, size_t off)
{
    const unsigned char *q = t->p + off;
    return t->little ? ((uint32_t)q[0] | (uint32_t)q[1] << 8 |
                        (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24)
                     : ((uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 |
                        (uint32_t)q[2] << 8 | (uint32_t)q[3]);
}

#define EXIF_TAG_ORIENTATION 0x0112
#define TIFF_TYPE_SHORT 3

int core_exif_orientation(const unsigned char *data, size_t size)
{
    const unsigned char *p;
    size_t len;

    if (!core_jpeg_segment_find(data, size, 0xE1, "Exif\0\0", 6, &p, &len))
        return 1;
    return core_exif_tiff_orientation(p, len);
}

int core_exif_tiff_orientation(const unsigned char *block, size_t len)
{
    tiff t;
    size_t ifd, count;

    t.p = block;
    t.len = len;
    /* Some writers keep JPEG's APP1 prefix in PNG and WebP chunks. */
    if (t.len >= 6 && memcmp(t.p, "Exif\0\0", 6) == 0) {
        t.p += 6;
        t.len -= 6;
    }
    if (t.p == NULL || t.len < 8)
        return 1;
    if (t.p[0] == 'I' && t.p[1] == 'I')
        t.little = 1;
    else if (t.p[0] == 'M' && t.p[1] == 'M')
        t.little = 0;
    else
        return 1;
    if (rd16(&t, 2) != 42)
        return 1;
    ifd = rd32(&t, 4);
    if (ifd > t.len - 2)
        return 1;
    count = rd16(&t, ifd);
    /* Clamp the entry count to what fits: a lying count cannot push reads
     * past the end. */
    if (count > (t.len - ifd - 2) / 12)
        count = (t.len - ifd - 2) / 12;
    for (size_t i = 0; i < count; i++) {
        size_t e = ifd + 2 + 12 * i;
        unsigned v;

        if (rd16(&t, e) != EXIF_TAG_ORIENTATION)
            continue;
        if (rd16(&t, e + 2) != TIFF_TYPE_SHORT || rd32(&t, e + 4) < 1)
            return 1;
        v = rd16(&t, e + 8);
        return v >= 1 && v <= 8 ? (int)v : 1;
    }
    return 1;
}
