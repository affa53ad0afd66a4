/* make_copies.c -- maso-demo-copies LIST KODAK_DIR OUT_DIR: the edited
 * copies of the demo (scripts/demo.sh), made deterministically from the
 * photos named in LIST (demo/copies.txt describes the format).  Decoding
 * and resizing are libmaso's, JPEG encoding TurboJPEG's (deterministic for
 * one library version), the pixel edits are plain loops here.  Prints one
 * line per copy: its path. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <turbojpeg.h>

#include "maso.h"

#define DEFAULT_QUALITY 90

static int fail(const char *what, const char *detail)
{
    fprintf(stderr, "maso-demo-copies: %s: %s\n", what, detail);
    return 2;
}

/* Mirror left to right, in place. */
static void mirror(maso_image *img)
{
    for (int y = 0; y < img->height; y++) {
        unsigned char *row = img->pixels + (size_t)y * img->width * 3;
        for (int a = 0, b = img->width - 1; a < b; a++, b--)
            for (int c = 0; c < 3; c++) {
                unsigned char t = row[3 * a + c];
                row[3 * a + c] = row[3 * b + c];
                row[3 * b + c] = t;
            }
    }
}

/* Turn clockwise by 90 degrees @p times times. */
static int turn(maso_image *img, int times)
{
    for (int t = 0; t < times; t++) {
        int w = img->width, h = img->height;
        unsigned char *out = malloc((size_t)w * h * 3);
        if (!out)
            return ENOMEM;
        /* (x, y) -> (h - 1 - y, x) in a w-high, h-wide image */
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                memcpy(out + ((size_t)x * h + (h - 1 - y)) * 3,
                       img->pixels + ((size_t)y * w + x) * 3, 3);
        free(img->pixels);
        img->pixels = out;
        img->width = h;
        img->height = w;
    }
    return 0;
}

static void brighten(maso_image *img, double f)
{
    size_t n = (size_t)img->width * img->height * 3;
    for (size_t i = 0; i < n; i++) {
        double v = img->pixels[i] * f + 0.5;
        img->pixels[i] = (unsigned char)(v > 255 ? 255 : v);
    }
}

static int crop(maso_image *img, double f)
{
    int w = (int)(img->width * f + 0.5), h = (int)(img->height * f + 0.5);
    int x0 = (img->width - w) / 2, y0 = (img->height - h) / 2;
    unsigned char *out = malloc((size_t)w * h * 3);
    if (!out)
        return ENOMEM;
    for (int y = 0; y < h; y++)
        memcpy(out + (size_t)y * w * 3,
               img->pixels + ((size_t)(y0 + y) * img->width + x0) * 3,
               (size_t)w * 3);
    free(img->pixels);
    img->pixels = out;
    img->width = w;
    img->height = h;
    return 0;
}

static int scale(maso_image *img, double f)
{
    maso_image out = { 0, 0, NULL };
    int rc = maso_image_resize(img, (int)(img->width * f + 0.5),
                               (int)(img->height * f + 0.5), &out);
    if (rc)
        return rc;
    maso_image_free(img);
    *img = out;
    return 0;
}

static int save_jpeg(const maso_image *img, int quality, const char *path)
{
    tjhandle tj = tjInitCompress();
    unsigned char *jpeg = NULL;
    unsigned long size = 0;
    int rc = !tj || tjCompress2(tj, img->pixels, img->width, 0, img->height,
                                TJPF_RGB, &jpeg, &size, TJSAMP_420, quality,
                                TJFLAG_ACCURATEDCT) != 0;
    FILE *f = rc ? NULL : fopen(path, "wb");
    if (!rc && (!f || fwrite(jpeg, 1, size, f) != size))
        rc = 1;
    if (f && fclose(f) != 0)
        rc = 1;
    tjFree(jpeg);
    if (tj)
        tjDestroy(tj);
    return rc;
}

/* Apply one edit; the JPEG quality to save with in *quality. */
static int edit(maso_image *img, const char *kind, double value, int *quality)
{
    *quality = DEFAULT_QUALITY;
    if (strcmp(kind, "jpeg") == 0 && value >= 1 && value <= 100) {
        *quality = (int)value;
        return 0;
    }
    if (strcmp(kind, "scale") == 0 && value > 0 && value <= 4)
        return scale(img, value);
    if (strcmp(kind, "crop") == 0 && value > 0 && value <= 1)
        return crop(img, value);
    if (strcmp(kind, "bright") == 0 && value > 0) {
        brighten(img, value);
        return 0;
    }
    if (strcmp(kind, "mirror") == 0) {
        mirror(img);
        return 0;
    }
    if (strcmp(kind, "turn") == 0 && (value == 90 || value == 180 ||
                                      value == 270))
        return turn(img, (int)value / 90);
    return MASO_EINVAL_ARG;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fputs("usage: maso-demo-copies LIST KODAK_DIR OUT_DIR\n", stderr);
        return 2;
    }
    FILE *list = fopen(argv[1], "r");
    if (!list)
        return fail(argv[1], strerror(errno));
    maso_decoder *dec;
    if (maso_decoder_create(&dec) != 0)
        return fail("decoder", "out of memory");
    char line[512];
    int status = 0, n = 0;
    while (!status && fgets(line, sizeof line, list)) {
        char photo[128], kind[32], path[4096], out[4096];
        double value = 0;
        n++;
        if (line[0] == '#' || strspn(line, " \t\r\n") == strlen(line))
            continue;
        int fields = sscanf(line, "%127s %31s %lf", photo, kind, &value);
        if (fields < 2) {
            status = fail(argv[1], "a line is not PHOTO EDIT [VALUE]");
            break;
        }
        snprintf(path, sizeof path, "%s/%s.png", argv[2], photo);
        if (fields == 3)
            snprintf(out, sizeof out, "%s/%s_%s%g.jpg", argv[3], photo, kind,
                     value);
        else
            snprintf(out, sizeof out, "%s/%s_%s.jpg", argv[3], photo, kind);
        maso_decode_params p;
        maso_decode_params_init(&p);
        maso_image img = { 0, 0, NULL };
        int quality;
        if (maso_decoder_load_file(dec, path, &p, &img) != 0)
            status = fail(path, maso_decoder_errmsg(dec));
        else if (edit(&img, kind, value, &quality) != 0)
            status = fail(line, "unknown edit or value");
        else if (save_jpeg(&img, quality, out) != 0)
            status = fail(out, "cannot write the JPEG");
        else
            puts(out);
        maso_image_free(&img);
    }
    (void)n;
    fclose(list);
    maso_decoder_destroy(dec);
    return status;
}
