/* fuzz_util.c -- helpers shared by the harnesses (see fuzz.h). */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "maso.h"

static void expect_same(const maso_image *a, int ra, const maso_image *b,
                        int rb)
{
    if (ra != rb || a->width != b->width || a->height != b->height ||
        (ra == 0 && memcmp(a->pixels, b->pixels,
                           (size_t)a->width * (size_t)a->height * 3) != 0)) {
        fprintf(stderr, "decode differs on a used decoder: %d vs %d\n", ra,
                rb);
        abort();
    }
}

int fuzz_decode_image(const uint8_t *data, size_t size)
{
    static maso_decoder *used;
    if (!used && maso_decoder_create(&used) != 0)
        abort();
    for (int scaled = 0; scaled < 2; scaled++) {
        maso_decode_params p;
        maso_decode_params_init(&p);
        p.max_pixels = 1u << 22; /* keep each run fast and small */
        if (scaled)
            p.min_width = p.min_height = 1 + (size ? data[size - 1] % 64 : 0);
        maso_decoder *fresh;
        maso_image a, b;
        if (maso_decoder_create(&fresh) != 0)
            abort();
        int ra = maso_decoder_load_memory(fresh, data, size, "fuzz", &p, &a);
        int rb = maso_decoder_load_memory(used, data, size, "fuzz", &p, &b);
        expect_same(&a, ra, &b, rb);
        if (ra != 0 && maso_decoder_errmsg(fresh)[0] == '\0')
            abort(); /* a failure always says why */
        maso_image_free(&a);
        maso_image_free(&b);
        maso_decoder_destroy(fresh);
    }
    return 0;
}

const char *fuzz_temp_file(const char *name, const uint8_t *data,
                           size_t size)
{
    static char dir[512];
    static char paths[8][640];
    static char names[8][64];
    if (!dir[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/maso-fuzz-XXXXXX",
                 tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(dir))
            abort();
    }
    int slot = 0;
    while (slot < 8 && names[slot][0] && strcmp(names[slot], name) != 0)
        slot++;
    if (slot == 8)
        abort();
    snprintf(names[slot], sizeof names[slot], "%s", name);
    snprintf(paths[slot], sizeof paths[slot], "%s/%s", dir, name);
    FILE *f = fopen(paths[slot], "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0)
        abort();
    return paths[slot];
}

void fuzz_split(const uint8_t *data, size_t size, const uint8_t **a,
                size_t *na, const uint8_t **b, size_t *nb)
{
    static const uint8_t sep[4] = {0, 0, 0xff, 0};
    *a = data;
    *na = size;
    *b = data + size;
    *nb = 0;
    for (size_t i = 0; i + 4 <= size; i++)
        if (memcmp(data + i, sep, 4) == 0) {
            *na = i;
            *b = data + i + 4;
            *nb = size - i - 4;
            return;
        }
}
