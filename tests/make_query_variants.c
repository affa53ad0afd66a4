/*
 * make_query_variants.c -- the image sets of maso-query's quality tests,
 * made from the Kodak photos with independent code (libpng's and
 * TurboJPEG's encoders, libmaso_eval's distortions):
 *
 *   OUT/copies/FAMILY/kodimNN.EXT   all 24 photos under the five copy
 *       distortions of the issue: jpeg30 (TurboJPEG quality 30, 4:2:0),
 *       half (half width and height, maso_image_resize), crop5 (the
 *       central 95% of each side), bright10 (+10% brightness: values
 *       x1.1, clipped), blur1 (Gaussian, sigma 1);
 *   OUT/levels/FAMILY_L_kodimNN.png  a few photos under every
 *       maso_eval_distort family at levels 1..5;
 *   OUT/mixed/  a folder of unrelated photos with planted near-duplicate
 *       groups, and OUT/mixed_groups.txt: one planted group per line
 *       (file names, space-separated, sorted);
 *   OUT/orient/kodimNN_TURN.png  all 24 photos mirrored left-right
 *       (mirror), turned 90 degrees clockwise (rot90), 180 (rot180), 270
 *       (rot270), and mirrored about the diagonal (transpose), with pixel
 *       loops of their own (not libmaso's maso_image_orient).
 *
 * usage: make_query_variants KODAK_DIR OUT copies|levels|mixed|orient
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <turbojpeg.h>

#include "maso_eval.h"
#include "maso.h"
#include "png_testutil.h"

static void die(const char *what, const char *path)
{
    fprintf(stderr, "make_query_variants: %s: %s\n", path, what);
    exit(2);
}

static void make_dir(const char *path)
{
    if (mkdir(path, 0777) != 0 && errno != EEXIST)
        die(strerror(errno), path);
}

static void load(maso_decoder *dec, const char *path, maso_image *img)
{
    maso_decode_params p;
    maso_decode_params_init(&p);
    if (maso_decoder_load_file(dec, path, &p, img) != 0)
        die(maso_decoder_errmsg(dec), path);
}

static void write_png(const char *path, const maso_image *img)
{
    /* scratch files: speed over size */
    if (png_test_write(path, img, 1) != 0)
        die("cannot write PNG", path);
}

static void write_jpeg(const char *path, const maso_image *img, int quality)
{
    tjhandle tj = tjInitCompress();
    unsigned char *jpeg = NULL;
    unsigned long size = 0;
    if (!tj || tjCompress2(tj, img->pixels, img->width, 0, img->height,
                           TJPF_RGB, &jpeg, &size, TJSAMP_420, quality,
                           0) != 0)
        die("cannot compress JPEG", path);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(jpeg, 1, size, f) != size || fclose(f) != 0)
        die(strerror(errno), path);
    tjFree(jpeg);
    tjDestroy(tj);
}

static void half(const maso_image *src, maso_image *dst)
{
    if (maso_image_resize(src, src->width / 2, src->height / 2, dst) != 0)
        die("resize failed", "half");
}

/* The central @p keep fraction of each side, not resized. */
static void crop(const maso_image *src, double keep, maso_image *dst)
{
    int w = (int)(src->width * keep + 0.5), h = (int)(src->height * keep + 0.5);
    int x0 = (src->width - w) / 2, y0 = (src->height - h) / 2;
    dst->width = w;
    dst->height = h;
    dst->pixels = malloc((size_t)w * h * 3);
    if (!dst->pixels)
        die("out of memory", "crop");
    for (int y = 0; y < h; y++)
        memcpy(dst->pixels + (size_t)y * w * 3,
               src->pixels + ((size_t)(y0 + y) * src->width + x0) * 3,
               (size_t)w * 3);
}

static void brighten(const maso_image *src, double factor, maso_image *dst)
{
    size_t n = (size_t)src->width * src->height * 3;
    *dst = *src;
    dst->pixels = malloc(n);
    if (!dst->pixels)
        die("out of memory", "brighten");
    for (size_t i = 0; i < n; i++) {
        double v = src->pixels[i] * factor + 0.5;
        dst->pixels[i] = (unsigned char)(v > 255 ? 255 : v);
    }
}

static void distort(const maso_image *src, maso_eval_distortion kind, int level,
                    maso_image *dst)
{
    if (maso_eval_distort(src, kind, level, 1, dst) != 0)
        die("maso_eval_distort failed", maso_eval_distortion_name(kind));
}

static const char *const copy_families[] = { "jpeg30", "half", "crop5",
                                             "bright10", "blur1" };

static void make_copies(const maso_image *img, const char *out,
                        const char *name)
{
    char path[4096];
    for (size_t f = 0; f < sizeof copy_families / sizeof *copy_families;
         f++) {
        snprintf(path, sizeof path, "%s/copies/%s", out, copy_families[f]);
        make_dir(path);
        maso_image d = { 0, 0, NULL };
        snprintf(path, sizeof path, "%s/copies/%s/%s.%s", out,
                 copy_families[f], name, f == 0 ? "jpg" : "png");
        switch (f) {
        case 0: write_jpeg(path, img, 30); continue;
        case 1: half(img, &d); break;
        case 2: crop(img, 0.95, &d); break;
        case 3: brighten(img, 1.1, &d); break;
        default: distort(img, MASO_EVAL_DISTORT_BLUR, 2, &d); break;
        }
        write_png(path, &d);
        maso_image_free(&d);
    }
}

static void make_levels(const maso_image *img, const char *out,
                        const char *name)
{
    char path[4096];
    for (int k = 0; k < MASO_EVAL_DISTORT_COUNT; k++) {
        for (int level = 1; level <= MASO_EVAL_DISTORT_LEVELS; level++) {
            maso_image d = { 0, 0, NULL };
            distort(img, (maso_eval_distortion)k, level, &d);
            snprintf(path, sizeof path, "%s/levels/%s_%d_%s.png", out,
                     maso_eval_distortion_name((maso_eval_distortion)k), level,
                     name);
            write_png(path, &d);
            maso_image_free(&d);
        }
    }
}

/* Planted groups in mixed/: an original and its re-encoded, resized or
 * retouched copies.  Photos 1..12 are in no group. */
static void make_mixed(maso_image *kodak, const char *out, FILE *groups)
{
    char path[4096];
    for (int i = 0; i < 12; i++) {
        snprintf(path, sizeof path, "%s/mixed/kodim%02d.png", out, i + 1);
        write_png(path, &kodak[i]);
    }
    maso_image d = { 0, 0, NULL };
    /* Group 1: kodim13, a JPEG re-encoding and a half-size copy. */
    snprintf(path, sizeof path, "%s/mixed/kodim13.png", out);
    write_png(path, &kodak[12]);
    snprintf(path, sizeof path, "%s/mixed/kodim13_q60.jpg", out);
    write_jpeg(path, &kodak[12], 60);
    half(&kodak[12], &d);
    snprintf(path, sizeof path, "%s/mixed/kodim13_half.png", out);
    write_png(path, &d);
    maso_image_free(&d);
    fputs("kodim13.png kodim13_half.png kodim13_q60.jpg\n", groups);
    /* Group 2: kodim17 as a JPEG and a slightly blurred PNG only (the
     * original is not in the folder). */
    snprintf(path, sizeof path, "%s/mixed/kodim17_q80.jpg", out);
    write_jpeg(path, &kodak[16], 80);
    distort(&kodak[16], MASO_EVAL_DISTORT_BLUR, 1, &d);
    snprintf(path, sizeof path, "%s/mixed/kodim17_blur.png", out);
    write_png(path, &d);
    maso_image_free(&d);
    fputs("kodim17_blur.png kodim17_q80.jpg\n", groups);
    /* Group 3: kodim21, a brighter copy, a cropped one, a re-encoding. */
    snprintf(path, sizeof path, "%s/mixed/kodim21.png", out);
    write_png(path, &kodak[20]);
    brighten(&kodak[20], 1.05, &d);
    snprintf(path, sizeof path, "%s/mixed/kodim21_bright.png", out);
    write_png(path, &d);
    maso_image_free(&d);
    crop(&kodak[20], 0.97, &d);
    snprintf(path, sizeof path, "%s/mixed/kodim21_crop.png", out);
    write_png(path, &d);
    maso_image_free(&d);
    snprintf(path, sizeof path, "%s/mixed/kodim21_q70.jpg", out);
    write_jpeg(path, &kodak[20], 70);
    fputs("kodim21.png kodim21_bright.png kodim21_crop.png kodim21_q70.jpg\n",
          groups);
}

/* Turn @p src: dst(x, y) = src(sx, sy) by the formula of each kind. */
static void turn(const maso_image *src, const char *kind, maso_image *dst)
{
    int W = src->width, H = src->height;
    int swap = strcmp(kind, "mirror") && strcmp(kind, "rot180");
    dst->width = swap ? H : W;
    dst->height = swap ? W : H;
    dst->pixels = malloc((size_t)W * (size_t)H * 3);
    if (!dst->pixels)
        die("out of memory", kind);
    for (int y = 0; y < dst->height; y++)
        for (int x = 0; x < dst->width; x++) {
            int sx, sy;
            if (!strcmp(kind, "mirror")) {
                sx = W - 1 - x; sy = y;
            } else if (!strcmp(kind, "rot90")) { /* clockwise */
                sx = y; sy = H - 1 - x;
            } else if (!strcmp(kind, "rot180")) {
                sx = W - 1 - x; sy = H - 1 - y;
            } else if (!strcmp(kind, "rot270")) {
                sx = W - 1 - y; sy = x;
            } else { /* transpose */
                sx = y; sy = x;
            }
            memcpy(dst->pixels + ((size_t)y * (size_t)dst->width + (size_t)x) * 3,
                   src->pixels + ((size_t)sy * (size_t)W + (size_t)sx) * 3, 3);
        }
}

static void make_orient(const maso_image *img, const char *out,
                        const char *name)
{
    static const char *const kinds[] = { "mirror", "rot90", "rot180",
                                         "rot270", "transpose" };
    for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
        char path[4096];
        maso_image t;
        turn(img, kinds[k], &t);
        snprintf(path, sizeof path, "%s/orient/%s_%s.png", out, name,
                 kinds[k]);
        write_png(path, &t);
        maso_image_free(&t);
    }
}

int main(int argc, char **argv)
{
    if (argc != 4 || (strcmp(argv[3], "copies") && strcmp(argv[3], "levels")
                      && strcmp(argv[3], "mixed") && strcmp(argv[3], "orient"))) {
        fputs("usage: make_query_variants KODAK_DIR OUT "
              "copies|levels|mixed|orient\n", stderr);
        return 2;
    }
    const char *what = argv[3];
    const char *out = argv[2];
    char path[4096];
    maso_decoder *dec = NULL;
    if (maso_decoder_create(&dec) != 0)
        die("cannot create a decoder", argv[1]);
    make_dir(out);
    snprintf(path, sizeof path, "%s/%s", out, what);
    make_dir(path);
    maso_image kodak[24];
    for (int i = 0; i < 24; i++) {
        char name[16];
        snprintf(name, sizeof name, "kodim%02d", i + 1);
        snprintf(path, sizeof path, "%s/%s.png", argv[1], name);
        load(dec, path, &kodak[i]);
        if (!strcmp(what, "copies"))
            make_copies(&kodak[i], out, name);
        if (!strcmp(what, "orient"))
            make_orient(&kodak[i], out, name);
        /* Ranking sanity on two photos: one busy, one smooth. */
        if (!strcmp(what, "levels") && (i == 7 || i == 22))
            make_levels(&kodak[i], out, name);
    }
    if (strcmp(what, "mixed")) {
        for (int i = 0; i < 24; i++)
            maso_image_free(&kodak[i]);
        maso_decoder_destroy(dec);
        return 0;
    }
    snprintf(path, sizeof path, "%s/mixed_groups.txt", out);
    FILE *groups = fopen(path, "w");
    if (!groups)
        die(strerror(errno), path);
    make_mixed(kodak, out, groups);
    if (fclose(groups) != 0)
        die(strerror(errno), path);
    for (int i = 0; i < 24; i++)
        maso_image_free(&kodak[i]);
    maso_decoder_destroy(dec);
    return 0;
}
