/* make_eval_fixtures.c -- tiny benchmark folders in the published layouts,
 * made from Kodak crops with the eval distortions, for the maso-eval
 * program tests (the real benchmarks are downloaded by datasets/).
 *
 * usage: make_eval_fixtures KODAK_DIR OUT_DIR
 *
 *   OUT/2afc/train/mix/{ref,p0,p1,judge}   6 triplets
 *   OUT/2afc/val/{blur,noise}/...           4 triplets each
 *   OUT/jnd/val/mix/{p0,p1,same}            8 pairs
 *   OUT/mos/list.csv + ref/ + dist/         2 references x 2 families x 5
 *   OUT/photos/photo{0,1,2}.png             192 x 128 crops, for distort
 *
 * The human answers are known by construction: in every 2AFC triplet one
 * patch is the level-1 and the other the level-5 distortion of ref, and
 * judge says all or 75 % of people picked the mild one (which side
 * alternates), so a metric that always prefers the mild one scores 0.875;
 * JND pairs are "same" (1) for a level-1 noise and "different" (0) for a
 * level-5 distortion; MOS falls with the level (5.5 - level). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>


#include "maso_eval.h"
#include "maso.h"
#include "png_testutil.h"

static void die(const char *what, const char *path)
{
    fprintf(stderr, "make_eval_fixtures: %s: %s\n", path, what);
    exit(1);
}

static void mkdirs(const char *path)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            die(strerror(errno), buf);
        *p = '/';
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST)
        die(strerror(errno), buf);
}

static void read_png(const char *path, maso_image *img)
{
    if (png_test_read(path, img) != 0)
        die("cannot read PNG", path);
}

static void write_png(const char *path, const maso_image *img)
{
    if (png_test_write(path, img, 0) != 0)
        die("cannot write PNG", path);
}

/* A NumPy 1.0 file holding one little-endian float32: shape (1,). */
static void write_npy(const char *path, float value)
{
    char header[128];
    int len = snprintf(header, sizeof header,
                       "{'descr': '<f4', 'fortran_order': False, "
                       "'shape': (1,), }");
    /* pad with spaces so that magic(6)+version(2)+len(2)+header+'\n' is a
     * multiple of 64, as NumPy writes it */
    int total = 10 + len + 1, pad = (64 - total % 64) % 64;
    FILE *f = fopen(path, "wb");
    if (!f)
        die(strerror(errno), path);
    unsigned short hl = (unsigned short)(len + pad + 1);
    unsigned char lenb[2] = { (unsigned char)(hl & 0xff),
                              (unsigned char)(hl >> 8) };
    fwrite("\x93NUMPY\x01\x00", 1, 8, f);
    fwrite(lenb, 1, 2, f);
    fwrite(header, 1, (size_t)len, f);
    for (int i = 0; i < pad; i++)
        fputc(' ', f);
    fputc('\n', f);
    unsigned char b[4];
    memcpy(b, &value, 4); /* the test machines are little-endian (x86) */
    fwrite(b, 1, 4, f);
    if (fclose(f) != 0)
        die(strerror(errno), path);
}

static void crop(const maso_image *src, int x0, int y0, int size,
                 maso_image *dst)
{
    dst->width = dst->height = size;
    dst->pixels = malloc((size_t)size * size * 3);
    if (!dst->pixels)
        die("out of memory", "crop");
    for (int y = 0; y < size; y++)
        memcpy(dst->pixels + (size_t)y * size * 3,
               src->pixels + ((size_t)(y0 + y) * src->width + x0) * 3,
               (size_t)size * 3);
}

static void distort(const maso_image *src, maso_eval_distortion kind, int level,
                    maso_image *dst)
{
    if (maso_eval_distort(src, kind, level, 7, dst) != 0)
        die("distortion failed", maso_eval_distortion_name(kind));
}

static const char *const kodak_names[] = {
    "kodim01.png", "kodim05.png", "kodim13.png", "kodim23.png",
};

/* Patch k: a 64 x 64 crop of one of four photos at a varying place. */
static void patch(maso_image *kodak, int k, maso_image *out)
{
    const maso_image *src = &kodak[k % 4];
    crop(src, 40 + 53 * k % (src->width - 140),
         30 + 37 * k % (src->height - 140), 64, out);
}

static void make_2afc(maso_image *kodak, const char *dir, int n,
                      const maso_eval_distortion *kinds, int n_kinds, int first)
{
    const char *subs[] = { "ref", "p0", "p1", "judge" };
    char path[4096];
    for (int s = 0; s < 4; s++) {
        snprintf(path, sizeof path, "%s/%s", dir, subs[s]);
        mkdirs(path);
    }
    for (int i = 0; i < n; i++) {
        maso_image ref, mild, strong;
        patch(kodak, first + i, &ref);
        maso_eval_distortion kind = kinds[i % n_kinds];
        distort(&ref, kind, 1, &mild);
        distort(&ref, kind, 5, &strong);
        /* Which side is mild alternates; the minority that picked the
         * strong one is 0 or 25 %. */
        int swap = i % 2; /* odd: p0 strong, p1 mild */
        float minority = (i / 2) % 2 ? 0.25f : 0.0f;
        snprintf(path, sizeof path, "%s/ref/%06d.png", dir, i);
        write_png(path, &ref);
        snprintf(path, sizeof path, "%s/p0/%06d.png", dir, i);
        write_png(path, swap ? &strong : &mild);
        snprintf(path, sizeof path, "%s/p1/%06d.png", dir, i);
        write_png(path, swap ? &mild : &strong);
        snprintf(path, sizeof path, "%s/judge/%06d.npy", dir, i);
        write_npy(path, swap ? 1.0f - minority : minority);
        maso_image_free(&ref);
        maso_image_free(&mild);
        maso_image_free(&strong);
    }
}

static void make_jnd(maso_image *kodak, const char *dir, int n)
{
    const char *subs[] = { "p0", "p1", "same" };
    char path[4096];
    for (int s = 0; s < 3; s++) {
        snprintf(path, sizeof path, "%s/%s", dir, subs[s]);
        mkdirs(path);
    }
    const maso_eval_distortion strong_kinds[] = { MASO_EVAL_DISTORT_BLUR,
                                             MASO_EVAL_DISTORT_JPEG };
    for (int i = 0; i < n; i++) {
        maso_image p0, p1;
        patch(kodak, 20 + i, &p0);
        int same = i % 2 == 0;
        if (same)
            distort(&p0, MASO_EVAL_DISTORT_NOISE, 1, &p1);
        else
            distort(&p0, strong_kinds[(i / 2) % 2], 5, &p1);
        snprintf(path, sizeof path, "%s/p0/%06d.png", dir, i);
        write_png(path, &p0);
        snprintf(path, sizeof path, "%s/p1/%06d.png", dir, i);
        write_png(path, &p1);
        snprintf(path, sizeof path, "%s/same/%06d.npy", dir, i);
        write_npy(path, same ? 1.0f : 0.0f);
        maso_image_free(&p0);
        maso_image_free(&p1);
    }
}

static void make_mos(maso_image *kodak, const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/ref", dir);
    mkdirs(path);
    snprintf(path, sizeof path, "%s/dist", dir);
    mkdirs(path);
    snprintf(path, sizeof path, "%s/list.csv", dir);
    FILE *csv = fopen(path, "w");
    if (!csv)
        die(strerror(errno), path);
    fputs("reference,distorted,score\n", csv);
    const maso_eval_distortion kinds[] = { MASO_EVAL_DISTORT_BLUR,
                                           MASO_EVAL_DISTORT_NOISE };
    for (int r = 0; r < 2; r++) {
        maso_image ref;
        crop(&kodak[r], 100, 100, 96, &ref);
        snprintf(path, sizeof path, "%s/ref/r%d.png", dir, r);
        write_png(path, &ref);
        for (int k = 0; k < 2; k++)
            for (int level = 1; level <= 5; level++) {
                maso_image d;
                distort(&ref, kinds[k], level, &d);
                snprintf(path, sizeof path, "%s/dist/r%d_%s_%d.png", dir, r,
                         maso_eval_distortion_name(kinds[k]), level);
                write_png(path, &d);
                fprintf(csv, "ref/r%d.png,dist/r%d_%s_%d.png,%.1f\n", r, r,
                        maso_eval_distortion_name(kinds[k]), level,
                        5.5 - level);
                maso_image_free(&d);
            }
        maso_image_free(&ref);
    }
    if (fclose(csv) != 0)
        die(strerror(errno), "list.csv");
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: make_eval_fixtures KODAK_DIR OUT_DIR\n");
        return 2;
    }
    maso_image kodak[4];
    char path[4096];
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", argv[1], kodak_names[i]);
        read_png(path, &kodak[i]);
    }
    const maso_eval_distortion mix[] = { MASO_EVAL_DISTORT_JPEG,
                                         MASO_EVAL_DISTORT_NOISE,
                                         MASO_EVAL_DISTORT_BLUR };
    const maso_eval_distortion blur[] = { MASO_EVAL_DISTORT_BLUR };
    const maso_eval_distortion noise[] = { MASO_EVAL_DISTORT_NOISE };
    snprintf(path, sizeof path, "%s/2afc/train/mix", argv[2]);
    make_2afc(kodak, path, 6, mix, 3, 0);
    snprintf(path, sizeof path, "%s/2afc/val/blur", argv[2]);
    make_2afc(kodak, path, 4, blur, 1, 8);
    snprintf(path, sizeof path, "%s/2afc/val/noise", argv[2]);
    make_2afc(kodak, path, 4, noise, 1, 12);
    snprintf(path, sizeof path, "%s/jnd/val/mix", argv[2]);
    make_jnd(kodak, path, 8);
    snprintf(path, sizeof path, "%s/mos", argv[2]);
    make_mos(kodak, path);
    snprintf(path, sizeof path, "%s/photos", argv[2]);
    mkdirs(path);
    for (int i = 0; i < 3; i++) {
        maso_image photo;
        /* not square, so that the working-size resize is exercised */
        photo.width = 192;
        photo.height = 128;
        photo.pixels = malloc(192 * 128 * 3);
        if (!photo.pixels)
            die("out of memory", "photo");
        for (int y = 0; y < 128; y++)
            memcpy(photo.pixels + (size_t)y * 192 * 3,
                   kodak[i].pixels + ((size_t)(150 + y) * kodak[i].width +
                                      200) * 3, 192 * 3);
        snprintf(path, sizeof path, "%s/photos/photo%d.png", argv[2], i);
        write_png(path, &photo);
        maso_image_free(&photo);
    }
    for (int i = 0; i < 4; i++)
        maso_image_free(&kodak[i]);
    return 0;
}
