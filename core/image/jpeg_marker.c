/*
 * jpeg_marker.c -- walk the marker segments at the head of a JPEG file.
 *
 * libjpeg can save markers too, but the TurboJPEG API does not expose them;
 * the segments we need (APP1 Exif, APP14 Adobe) sit before the first scan,
 * so a small bounds-checked walk over the bytes is enough.
 */
#include "image/image_internal.h"

#include <string.h>

int core_jpeg_segment_find(const unsigned char *data, size_t size,
                           int marker, const char *id, size_t id_len,
                           const unsigned char **payload, size_t *len)
{
    size_t pos = 2; /* after SOI */

    while (pos < size) {
        size_t seglen, body;
        int m;

        if (data[pos] != 0xFF)
            return 0; /* garbage where a marker should be */
        while (pos < size && data[pos] == 0xFF) /* fill bytes */
            pos++;
        if (pos >= size)
            return 0;
        m = data[pos++];
        if (m == 0xD9 || m == 0xDA) /* EOI, SOS: no more header segments */
            return 0;
        if (m == 0x01 || (m >= 0xD0 && m <= 0xD7)) /* TEM, RSTn: no length */
            continue;
        if (size - pos < 2)
            return 0;
        seglen = (size_t)data[pos] << 8 | data[pos + 1];
        if (seglen < 2 || seglen > size - pos)
            return 0;
        body = pos + 2;
        seglen -= 2;
        if (m == marker && seglen >= id_len &&
            memcmp(data + body, id, id_len) == 0) {
            *payload = data + body + id_len;
            *len = seglen - id_len;
            return 1;
        }
        pos = body + seglen;
    }
    return 0;
}
