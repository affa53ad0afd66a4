/* distort.c -- the graded distortions and copy edits of maso_eval.h. */
#include "maso_eval.h"
#include "plane_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <turbojpeg.h>

static const char *const family_names[MASO_EVAL_DISTORT_COUNT] = {
    "blur", "noise", "jpeg", "resample", "crop", "brightness", "color",
    "rotate",
};

/* The parameter of each family at levels 1..5 (see the table in the
 * header; brightness pairs the contrast here with brightness_offset). */
static const double
    parameters[MASO_EVAL_DISTORT_COUNT][MASO_EVAL_DISTORT_LEVELS] = {
        [MASO_EVAL_DISTORT_BLUR] = {0.5, 1.0, 1.5, 2.5, 4.0},
        [MASO_EVAL_DISTORT_NOISE] = {4, 8, 14, 22, 34},
        [MASO_EVAL_DISTORT_JPEG] = {70, 45, 25, 12, 5},
        [MASO_EVAL_DISTORT_RESAMPLE] = {1.5, 2, 3, 4, 6},
        [MASO_EVAL_DISTORT_CROP] = {0.97, 0.94, 0.90, 0.84, 0.75},
        [MASO_EVAL_DISTORT_BRIGHTNESS] = {0.9, 0.8, 0.7, 0.6, 0.5},
        [MASO_EVAL_DISTORT_COLOR] = {8, 16, 28, 42, 60},
        [MASO_EVAL_DISTORT_ROTATE] = {1, 2, 4, 7, 10},
};
static const double brightness_offset[MASO_EVAL_DISTORT_LEVELS] = {
    6, 12, 20, 30, 45,
};

const char *maso_eval_distortion_name(maso_eval_distortion kind)
{
    return ((unsigned)kind < MASO_EVAL_DISTORT_COUNT) ? family_names[kind]
                                                      : NULL;
}

int maso_eval_distortion_from_name(const char *name, maso_eval_distortion *kind)
{
    if (name == NULL || kind == NULL)
        return MASO_EINVAL_ARG;
    for (int k = 0; k < MASO_EVAL_DISTORT_COUNT; k++) {
        if (strcasecmp(name, family_names[k]) == 0) {
            *kind = (maso_eval_distortion)k;
            return MASO_SUCCESS;
        }
    }
    return MASO_ENOTFOUND;
}

double maso_eval_distortion_parameter(maso_eval_distortion kind, int level)
{
    if ((unsigned)kind >= MASO_EVAL_DISTORT_COUNT || level < 1 ||
        level > MASO_EVAL_DISTORT_LEVELS)
        return NAN;
    return parameters[kind][level - 1];
}

/* ---- randomness: SplitMix64, tiny and fully specified ---------------- */

typedef struct rng {
    uint64_t state;
} rng;

static uint64_t rng_next(rng *r)
{
    uint64_t z = (r->state += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

/* Uniform in [0, 1) with 53 random bits. */
static double rng_uniform(rng *r)
{
    return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* Standard normal by Box-Muller (one of the pair; simplicity over speed). */
static double rng_normal(rng *r)
{
    double u1 = 1.0 - rng_uniform(r); /* (0, 1]: log() stays finite */
    double u2 = rng_uniform(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

static unsigned char clamp_u8(double v)
{
    if (!(v > 0.0))
        return 0;
    if (v >= 255.0)
        return 255;
    return (unsigned char)(v + 0.5);
}

/* ---- point operations ------------------------------------------------ */

/* out = gain[c] * in + offset[c] for every sample, rounded and clipped. */
static void affine_colour(const maso_image *src, maso_image *dst,
                          const double gain[3], const double offset[3])
{
    size_t n = (size_t)src->width * (size_t)src->height;
    for (size_t i = 0; i < n; i++)
        for (int c = 0; c < 3; c++)
            dst->pixels[3 * i + c] =
                clamp_u8(gain[c] * src->pixels[3 * i + c] + offset[c]);
}

static void add_noise(const maso_image *src, maso_image *dst, double sd,
                      rng *r)
{
    size_t n = (size_t)src->width * (size_t)src->height * 3;
    for (size_t i = 0; i < n; i++)
        dst->pixels[i] = clamp_u8(src->pixels[i] + sd * rng_normal(r));
}

/* ---- blur ------------------------------------------------------------ */

/* Mirror index i into [0, n) the way scipy's 'reflect' mode does
 * (d c b a | a b c d | d c b a), for any i. */
static int reflect(int i, int n)
{
    int period = 2 * n;
    i %= period;
    if (i < 0)
        i += period;
    return i < n ? i : period - 1 - i;
}

static int blur(const maso_image *src, maso_image *dst, double sigma)
{
    int radius = (int)ceil(3.0 * sigma);
    int taps = 2 * radius + 1, w = src->width, h = src->height;
    double *k = malloc((size_t)taps * sizeof *k);
    double *tmp = malloc((size_t)w * (size_t)h * 3 * sizeof *tmp);
    if (k == NULL || tmp == NULL) {
        free(k);
        free(tmp);
        return ENOMEM;
    }
    double sum = 0.0;
    for (int t = -radius; t <= radius; t++)
        sum += k[t + radius] = exp(-0.5 * t * t / (sigma * sigma));
    for (int t = 0; t < taps; t++)
        k[t] /= sum;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 3; c++) {
                double acc = 0.0;
                for (int t = -radius; t <= radius; t++) {
                    int sx = reflect(x + t, w);
                    acc += k[t + radius] *
                           src->pixels[((size_t)y * w + sx) * 3 + c];
                }
                tmp[((size_t)y * w + x) * 3 + c] = acc;
            }
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 3; c++) {
                double acc = 0.0;
                for (int t = -radius; t <= radius; t++) {
                    int sy = reflect(y + t, h);
                    acc += k[t + radius] * tmp[((size_t)sy * w + x) * 3 + c];
                }
                dst->pixels[((size_t)y * w + x) * 3 + c] = clamp_u8(acc);
            }
    free(k);
    free(tmp);
    return 0;
}

/* ---- geometry: one affine warp serves resample, crop and rotate ------ */

/* Source position of output pixel centre (x, y), pixel-centre coordinates
 * on both sides: sx = m[0] x + m[1] y + m[2], sy = m[3] x + m[4] y + m[5]. */
static void warp(const maso_image *src, maso_image *dst, const double m[6])
{
    int w = src->width, h = src->height;
    for (int y = 0; y < dst->height; y++) {
        for (int x = 0; x < dst->width; x++) {
            double sx = m[0] * x + m[1] * y + m[2];
            double sy = m[3] * x + m[4] * y + m[5];
            /* edges extended: clamp the position, then interpolate */
            sx = sx < 0 ? 0 : (sx > w - 1 ? w - 1 : sx);
            sy = sy < 0 ? 0 : (sy > h - 1 ? h - 1 : sy);
            int x0 = (int)sx, y0 = (int)sy;
            int x1 = x0 + 1 < w ? x0 + 1 : x0, y1 = y0 + 1 < h ? y0 + 1 : y0;
            double fx = sx - x0, fy = sy - y0;
            const unsigned char *p00 = src->pixels + ((size_t)y0 * w + x0) * 3;
            const unsigned char *p01 = src->pixels + ((size_t)y0 * w + x1) * 3;
            const unsigned char *p10 = src->pixels + ((size_t)y1 * w + x0) * 3;
            const unsigned char *p11 = src->pixels + ((size_t)y1 * w + x1) * 3;
            unsigned char *o = dst->pixels + ((size_t)y * dst->width + x) * 3;
            for (int c = 0; c < 3; c++) {
                double top = p00[c] + fx * (p01[c] - p00[c]);
                double bot = p10[c] + fx * (p11[c] - p10[c]);
                o[c] = clamp_u8(top + fy * (bot - top));
            }
        }
    }
}

/* Map output pixel centres of a w x h image onto the region [x0, x0 + cw)
 * x [y0, y0 + ch) of the source (pixel edges), stretching it. */
static void region_map(int w, int h, double x0, double y0, double cw,
                       double ch, double m[6])
{
    double ax = cw / w, ay = ch / h;
    m[0] = ax;
    m[1] = 0;
    m[2] = x0 + 0.5 * ax - 0.5;
    m[3] = 0;
    m[4] = ay;
    m[5] = y0 + 0.5 * ay - 0.5;
}

static int resample(const maso_image *src, maso_image *dst, double factor)
{
    int w = src->width, h = src->height;
    int sw = (int)(w / factor + 0.5), sh = (int)(h / factor + 0.5);
    sw = sw < 1 ? 1 : sw;
    sh = sh < 1 ? 1 : sh;
    size_t n = (size_t)w * (size_t)h * 3, sn = (size_t)sw * (size_t)sh * 3;
    double *full = malloc(n * sizeof *full),
           *small = malloc(sn * sizeof *small);
    maso_image tiny = { sw, sh, malloc(sn) };
    int rc = (full && small && tiny.pixels) ? 0 : ENOMEM;
    if (rc == 0) {
        for (size_t i = 0; i < n; i++)
            full[i] = src->pixels[i];
        rc = meval_plane_area_resize(full, w, h, 3, small, sw, sh);
    }
    if (rc == 0) {
        for (size_t i = 0; i < sn; i++)
            tiny.pixels[i] = clamp_u8(small[i]);
        double m[6];
        /* the whole small image, stretched over the full size */
        region_map(w, h, 0, 0, sw, sh, m);
        warp(&tiny, dst, m);
    }
    free(full);
    free(small);
    free(tiny.pixels);
    return rc;
}

static void crop(const maso_image *src, maso_image *dst, double keep, rng *r)
{
    double cw = keep * src->width, ch = keep * src->height;
    double x0 = rng_uniform(r) * (src->width - cw);
    double y0 = rng_uniform(r) * (src->height - ch);
    double m[6];
    region_map(src->width, src->height, x0, y0, cw, ch, m);
    warp(src, dst, m);
}

static void rotate(const maso_image *src, maso_image *dst, double degrees,
                   rng *r)
{
    double a = (rng_uniform(r) < 0.5 ? -1.0 : 1.0) * degrees *
               (3.141592653589793 / 180.0);
    double cs = cos(a), sn = sin(a);
    double cx = 0.5 * (src->width - 1), cy = 0.5 * (src->height - 1);
    /* source = R(-a) (p - centre) + centre */
    double m[6] = { cs, sn, cx - cs * cx - sn * cy,
                    -sn, cs, cy + sn * cx - cs * cy };
    warp(src, dst, m);
}

/* ---- JPEG round trip ------------------------------------------------- */

static int jpeg_round_trip(const maso_image *src, maso_image *dst,
                           int quality)
{
    tjhandle enc = tjInitCompress(), dec = tjInitDecompress();
    unsigned char *jpeg = NULL;
    unsigned long size = 0;
    int rc = (enc && dec) ? 0 : ENOMEM;
    /* TurboJPEG takes non-const buffers but does not write the source */
    if (rc == 0 &&
        tjCompress2(enc, src->pixels, src->width, 0, src->height, TJPF_RGB,
                    &jpeg, &size, TJSAMP_420, quality, 0) != 0)
        rc = MASO_ECORRUPT;
    int jw, jh, sub, space;
    if (rc == 0 &&
        (tjDecompressHeader3(dec, jpeg, size, &jw, &jh, &sub, &space) != 0 ||
         jw != src->width || jh != src->height ||
         tjDecompress2(dec, jpeg, size, dst->pixels, jw, 0, jh, TJPF_RGB,
                       0) != 0))
        rc = MASO_ECORRUPT;
    tjFree(jpeg);
    if (enc)
        tjDestroy(enc);
    if (dec)
        tjDestroy(dec);
    return rc;
}

/* ---- dispatch -------------------------------------------------------- */

int maso_eval_distort(const maso_image *src, maso_eval_distortion kind,
                      int level, uint64_t seed, maso_image *dst)
{
    if (dst == NULL)
        return MASO_EINVAL_ARG;
    memset(dst, 0, sizeof *dst);
    if (!meval_image_ok(src) || (unsigned)kind >= MASO_EVAL_DISTORT_COUNT ||
        level < 1 || level > MASO_EVAL_DISTORT_LEVELS)
        return MASO_EINVAL_ARG;
    maso_image out = { src->width, src->height,
                       malloc((size_t)src->width * (size_t)src->height * 3) };
    if (out.pixels == NULL)
        return ENOMEM;
    double p = parameters[kind][level - 1];
    /* one stream per (seed, family); levels share it on purpose */
    rng r = { seed ^ (0xD1B54A32D192ED03u * (uint64_t)(kind + 1)) };
    rng_next(&r);
    int rc = 0;
    switch (kind) {
    case MASO_EVAL_DISTORT_BLUR:
        rc = blur(src, &out, p);
        break;
    case MASO_EVAL_DISTORT_NOISE:
        add_noise(src, &out, p, &r);
        break;
    case MASO_EVAL_DISTORT_JPEG:
        rc = jpeg_round_trip(src, &out, (int)p);
        break;
    case MASO_EVAL_DISTORT_RESAMPLE:
        rc = resample(src, &out, p);
        break;
    case MASO_EVAL_DISTORT_CROP:
        crop(src, &out, p, &r);
        break;
    case MASO_EVAL_DISTORT_BRIGHTNESS: {
        double b = (rng_uniform(&r) < 0.5 ? -1.0 : 1.0) *
                   brightness_offset[level - 1];
        double gain[3] = {p, p, p};
        double off = 128.0 * (1.0 - p) + b; /* (v - 128) p + 128 + b */
        double offset[3] = {off, off, off};
        affine_colour(src, &out, gain, offset);
        break;
    }
    case MASO_EVAL_DISTORT_COLOR: {
        /* a random direction with zero mean, scaled to norm p */
        double v[3], mean = 0.0, norm = 0.0;
        do {
            for (int c = 0; c < 3; c++)
                mean += v[c] = rng_normal(&r);
            mean /= 3.0;
            norm = 0.0;
            for (int c = 0; c < 3; c++) {
                v[c] -= mean;
                norm += v[c] * v[c];
            }
            mean = 0.0;
        } while (norm < 1e-6);
        double gain[3] = {1, 1, 1}, offset[3];
        for (int c = 0; c < 3; c++)
            offset[c] = p * v[c] / sqrt(norm);
        affine_colour(src, &out, gain, offset);
        break;
    }
    case MASO_EVAL_DISTORT_ROTATE:
        rotate(src, &out, p, &r);
        break;
    default:
        rc = MASO_EINVAL_ARG;
        break;
    }
    if (rc != 0) {
        free(out.pixels);
        return rc;
    }
    *dst = out;
    return MASO_SUCCESS;
}

/* ---- copy-detection edits -------------------------------------------- */

static const char *const edit_names[MASO_EVAL_EDIT_COUNT] = {
    "jpeg20", "half", "crop10", "crop25", "bright25", "blur3", "grey",
    "mirror", "rot90", "rot5", "border10", "left70",
};

const char *maso_eval_copy_edit_name(maso_eval_copy_edit edit)
{
    return (unsigned)edit < MASO_EVAL_EDIT_COUNT ? edit_names[edit] : NULL;
}

/* dst = the w x h window of src at (x0, y0), or src placed at (x0, y0)
 * into a black w x h image when x0, y0 are negative. */
static int window(const maso_image *src, int x0, int y0, int w, int h,
                  maso_image *dst)
{
    dst->width = w;
    dst->height = h;
    dst->pixels = calloc((size_t)w * (size_t)h, 3);
    if (!dst->pixels)
        return ENOMEM;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int sx = x + x0, sy = y + y0;
            if (sx >= 0 && sy >= 0 && sx < src->width && sy < src->height)
                memcpy(dst->pixels + ((size_t)y * (size_t)w + (size_t)x) * 3,
                       src->pixels + ((size_t)sy * (size_t)src->width +
                                      (size_t)sx) * 3, 3);
        }
    return 0;
}

static int quarter_turn(const maso_image *src, int clockwise, maso_image *dst)
{
    int W = src->width, H = src->height;
    dst->width = H;
    dst->height = W;
    dst->pixels = malloc((size_t)W * (size_t)H * 3);
    if (!dst->pixels)
        return ENOMEM;
    for (int y = 0; y < W; y++)
        for (int x = 0; x < H; x++) {
            int sx = clockwise ? y : W - 1 - y;
            int sy = clockwise ? H - 1 - x : x;
            memcpy(dst->pixels + ((size_t)y * (size_t)H + (size_t)x) * 3,
                   src->pixels + ((size_t)sy * (size_t)W + (size_t)sx) * 3, 3);
        }
    return 0;
}

/* Same-size edits into an allocated dst. */
static int same_size_edit(const maso_image *src, maso_eval_copy_edit edit,
                          rng *r, maso_image *dst)
{
    size_t n = (size_t)src->width * (size_t)src->height;
    dst->width = src->width;
    dst->height = src->height;
    dst->pixels = malloc(n * 3);
    if (!dst->pixels)
        return ENOMEM;
    double gain[3] = {1.25, 1.25, 1.25}, zero[3] = {0, 0, 0};
    switch (edit) {
    case MASO_EVAL_EDIT_JPEG20:
        return jpeg_round_trip(src, dst, 20);
    case MASO_EVAL_EDIT_BRIGHT25:
        affine_colour(src, dst, gain, zero);
        return 0;
    case MASO_EVAL_EDIT_BLUR3:
        return blur(src, dst, 3.0);
    case MASO_EVAL_EDIT_GREY:
        for (size_t i = 0; i < n; i++) {
            const unsigned char *p = src->pixels + 3 * i;
            unsigned char y = clamp_u8(0.299 * p[0] + 0.587 * p[1] +
                                       0.114 * p[2]);
            memset(dst->pixels + 3 * i, y, 3);
        }
        return 0;
    case MASO_EVAL_EDIT_MIRROR:
        for (int y = 0; y < src->height; y++)
            for (int x = 0; x < src->width; x++)
                memcpy(dst->pixels + ((size_t)y * (size_t)src->width +
                                      (size_t)x) * 3,
                       src->pixels + ((size_t)y * (size_t)src->width +
                                      (size_t)(src->width - 1 - x)) * 3, 3);
        return 0;
    case MASO_EVAL_EDIT_ROT5:
        rotate(src, dst, 5.0, r);
        return 0;
    default:
        return MASO_EINVAL_ARG;
    }
}

int maso_eval_copy_edit_apply(const maso_image *src, maso_eval_copy_edit edit,
                              uint64_t seed, maso_image *dst)
{
    if (dst == NULL)
        return MASO_EINVAL_ARG;
    memset(dst, 0, sizeof *dst);
    if (!meval_image_ok(src) || (unsigned)edit >= MASO_EVAL_EDIT_COUNT)
        return MASO_EINVAL_ARG;
    rng r = { seed ^ (0x9E3779B97F4A7C15u * (uint64_t)(edit + 101)) };
    rng_next(&r);
    int W = src->width, H = src->height, rc;
    switch (edit) {
    case MASO_EVAL_EDIT_HALF:
        rc = maso_image_resize(src, W / 2 > 0 ? W / 2 : 1,
                               H / 2 > 0 ? H / 2 : 1, dst);
        break;
    case MASO_EVAL_EDIT_CROP10:
    case MASO_EVAL_EDIT_CROP25: {
        double keep = edit == MASO_EVAL_EDIT_CROP10 ? 0.90 : 0.75;
        int w = (int)lround(keep * W), h = (int)lround(keep * H);
        rc = window(src, (W - w) / 2, (H - h) / 2, w ? w : 1, h ? h : 1, dst);
        break;
    }
    case MASO_EVAL_EDIT_BORDER10: {
        int bx = (int)lround(0.1 * W), by = (int)lround(0.1 * H);
        rc = window(src, -bx, -by, W + 2 * bx, H + 2 * by, dst);
        break;
    }
    case MASO_EVAL_EDIT_LEFT70: {
        int w = (int)lround(0.7 * W);
        rc = window(src, 0, 0, w ? w : 1, H, dst);
        break;
    }
    case MASO_EVAL_EDIT_ROT90:
        rc = quarter_turn(src, rng_uniform(&r) < 0.5, dst);
        break;
    default:
        rc = same_size_edit(src, edit, &r, dst);
        break;
    }
    if (rc != 0)
        maso_image_free(dst);
    return rc;
}

int maso_eval_write_jpeg(const maso_image *image, const char *path,
                         int quality)
{
    if (!meval_image_ok(image) || !path || quality < 1 || quality > 100)
        return MASO_EINVAL_ARG;
    tjhandle enc = tjInitCompress();
    unsigned char *jpeg = NULL;
    unsigned long size = 0;
    if (!enc)
        return ENOMEM;
    int rc = tjCompress2(enc, image->pixels, image->width, 0, image->height,
                         TJPF_RGB, &jpeg, &size, TJSAMP_444, quality, 0)
                 ? MASO_ECORRUPT : 0;
    tjDestroy(enc);
    size_t len = strlen(path);
    char *tmp = rc ? NULL : malloc(len + 5);
    if (!rc && !tmp)
        rc = ENOMEM;
    if (!rc) {
        memcpy(tmp, path, len);
        memcpy(tmp + len, ".tmp", 5);
        FILE *f = fopen(tmp, "wb");
        if (!f) {
            rc = errno;
        } else {
            if (fwrite(jpeg, 1, size, f) != size)
                rc = errno ? errno : EIO;
            if (fclose(f) != 0 && !rc)
                rc = errno;
            if (!rc && rename(tmp, path) != 0)
                rc = errno;
            if (rc)
                remove(tmp);
        }
    }
    free(tmp);
    tjFree(jpeg);
    return rc;
}
