/* layout_testutil.c -- see layout_testutil.h. */
#include "layout_testutil.h"

#include <stdio.h>
#include <string.h>

/* Section bytes: the units' bits rounded up to bytes, then to 64 bytes,
 * as the layout contract in maso.h says. */
static size_t section_bytes(size_t units, size_t bits)
{
    return ((units * bits + 7) / 8 + 63) / 64 * 64;
}

size_t golden_layout_read(const char *path, golden_layout *t)
{
    memset(t, 0, sizeof *t);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[512], kind[16];
    int c, h, w, ok = 1;
    size_t n = 0, off = 0;
    while (ok && fgets(line, sizeof line, f)) {
        if (line[0] == '#')
            continue;
        if (n == GOLDEN_LAYOUT_MAX ||
            sscanf(line, "%15s %63s %127s %d %d %d", kind, t->names[n],
                   t->blobs[n], &c, &h, &w) != 6) {
            ok = 0;
            break;
        }
        int relu = strcmp(kind, "relu") == 0;
        maso_code_layer *l = &t->layers[n];
        l->name = t->names[n];
        l->blob = t->blobs[n];
        l->kind = relu ? MASO_LAYER_RELU : MASO_LAYER_MAXPOOL;
        l->channels = c;
        l->height = h;
        l->width = w;
        l->window = relu ? 0 : 9;
        l->bits_per_unit = relu ? 1 : 4;
        l->units = (size_t)c * (size_t)h * (size_t)w;
        l->offset = off;
        l->bytes = section_bytes(l->units, (size_t)l->bits_per_unit);
        off += l->bytes;
        n++;
    }
    fclose(f);
    if (!ok)
        return 0;
    t->n = n;
    t->code_bytes = off;
    return n;
}
