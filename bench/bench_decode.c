/*
 * bench_decode.c -- decode and resize timings for the image part of maso.
 *
 * Builds, in memory, a 12-megapixel (4000x3000) JPEG from a Kodak image
 * enlarged with maso_image_resize(), once baseline and once progressive
 * (tjCompress2, quality 90, 4:2:0).  An enlarged image is smoother than a
 * real 12 MP photo and so compresses unusually well, which flatters the
 * entropy decoding that scaling cannot skip; so the same is done with the
 * Kodak image tiled at full resolution, whose detail (and file size) is
 * closer to a camera's.  For each it reports the median time of
 *   - a full-size decode,
 *   - a decode with DCT-domain scaling to at least 227x227 (1/8 here),
 *   - for progressive files, the same 1/8 decode done the old way, every
 *     scan through tjDecompress2, next to maso's, which decodes only the
 *     scans 1/8 needs (DC, and chroma for 4:2:0),
 * and of resizing a 768x512 image to 227x227.
 *
 * usage: bench_decode [image.png [runs]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <turbojpeg.h>

#include "maso.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double time_decode(maso_decoder *d, const unsigned char *jpeg,
                          unsigned long size, int min, int runs, int *w,
                          int *h)
{
    maso_decode_params p;
    double *t = malloc(sizeof *t * (size_t)runs), m;

    maso_decode_params_init(&p);
    p.min_width = p.min_height = min;
    for (int i = 0; i < runs; i++) {
        maso_image img;
        double t0 = now_ms();
        if (maso_decoder_load_memory(d, jpeg, size, "bench", &p, &img) != 0) {
            fprintf(stderr, "decode: %s\n", maso_decoder_errmsg(d));
            exit(1);
        }
        t[i] = now_ms() - t0;
        *w = img.width;
        *h = img.height;
        maso_image_free(&img);
    }
    m = median(t, runs);
    free(t);
    return m;
}

/* The pre-DC-path way: TurboJPEG decodes all scans, at 1/8. */
static double time_tj_eighth(const unsigned char *jpeg, unsigned long size,
                             int runs)
{
    tjhandle tj = tjInitDecompress();
    tjscalingfactor sf = {1, 8};
    double *t = malloc(sizeof *t * (size_t)runs), m;
    int w = 0, h = 0, ss, cs;
    unsigned char *px;

    if (tj == NULL || t == NULL ||
        tjDecompressHeader3(tj, jpeg, size, &w, &h, &ss, &cs) != 0)
        exit(1);
    px = malloc((size_t)TJSCALED(w, sf) * TJSCALED(h, sf) * 3);
    for (int i = 0; i < runs; i++) {
        double t0 = now_ms();
        if (tjDecompress2(tj, jpeg, size, px, TJSCALED(w, sf), 0,
                          TJSCALED(h, sf), TJPF_RGB, 0) != 0)
            exit(1);
        t[i] = now_ms() - t0;
    }
    m = median(t, runs);
    free(px);
    free(t);
    tjDestroy(tj);
    return m;
}

int main(int argc, char **argv)
{
    char path[1024];
    int runs = argc > 2 ? atoi(argv[2]) : 11;
    maso_decoder *d = NULL;
    maso_image src, big, small;
    tjhandle tj = tjInitCompress();

    if (argc > 1)
        snprintf(path, sizeof path, "%s", argv[1]);
    else
        snprintf(path, sizeof path, "%s/images/kodak/kodim23.png",
                 MASO_SHARED_DIR);
    if (runs < 1 || tj == NULL || maso_decoder_create(&d) != 0)
        return 1;
    if (maso_decoder_load_file(d, path, NULL, &src) != 0) {
        fprintf(stderr, "%s\n", maso_decoder_errmsg(d));
        return 1;
    }
    if (maso_image_resize(&src, 4000, 3000, &big) != 0)
        return 1;

    for (int variant = 0; variant < 4; variant++) {
        int prog = variant % 2, tiled = variant / 2;
        const char *name = tiled ? (prog ? "tiled prog" : "tiled base")
                                 : (prog ? "progressive" : "baseline");
        unsigned char *jpeg = NULL;
        unsigned long size = 0;
        int w = 0, h = 0;
        double full, scaled;

        if (tiled && variant == 2) /* replace the enlarged image by tiles */
            for (int y = 0; y < big.height; y++)
                for (int x = 0; x < big.width; x++)
                    memcpy(big.pixels + ((size_t)y * big.width + x) * 3,
                           src.pixels + ((size_t)(y % src.height) * src.width
                                         + x % src.width) * 3, 3);
        /* A fresh compressor each time: libjpeg-turbo 2.1 reusing a handle
         * after a progressive compression wrote corrupt Huffman data. */
        tjDestroy(tj);
        tj = tjInitCompress();
        if (tj == NULL)
            return 1;
        if (tjCompress2(tj, big.pixels, big.width, 0, big.height, TJPF_RGB,
                        &jpeg, &size, TJSAMP_420, 90,
                        prog ? TJFLAG_PROGRESSIVE : 0) != 0) {
            fprintf(stderr, "%s\n", tjGetErrorStr2(tj));
            return 1;
        }
        full = time_decode(d, jpeg, size, 0, runs, &w, &h);
        printf("%-11s 4000x3000 JPEG (%lu bytes): full decode %dx%d "
               "median %.1f ms\n", name, size,
               w, h, full);
        scaled = time_decode(d, jpeg, size, 227, runs * 2 + 1, &w, &h);
        printf("%-11s 4000x3000 JPEG: scaled decode to %dx%d (min 227x227) "
               "median %.1f ms (%.1fx faster)\n",
               name, w, h, scaled,
               full / scaled);
        if (prog) {
            double old = time_tj_eighth(jpeg, size, runs * 2 + 1);
            printf("%-11s 4000x3000 JPEG: 1/8 through every scan "
                   "(tjDecompress2, the old path) median %.1f ms; "
                   "DC path %.1fx faster\n", name, old, old / scaled);
        }
        tjFree(jpeg);
    }

    {
        enum { RESIZE_RUNS = 201 };
        double t[RESIZE_RUNS];
        maso_image in;
        if (maso_image_resize(&src, 768, 512, &in) != 0)
            return 1;
        for (int i = 0; i < RESIZE_RUNS; i++) {
            double t0 = now_ms();
            if (maso_image_resize(&in, 227, 227, &small) != 0)
                return 1;
            t[i] = now_ms() - t0;
            maso_image_free(&small);
        }
        printf("resize 768x512 -> 227x227: median %.3f ms\n",
               median(t, RESIZE_RUNS));
        maso_image_free(&in);
    }
    maso_image_free(&big);
    maso_image_free(&src);
    maso_decoder_destroy(d);
    tjDestroy(tj);
    return 0;
}
