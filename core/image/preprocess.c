/* preprocess.c -- from a decoded image, or an image file, to the network's
 * input tensor and the code: maso_model_preprocess_image(),
 * maso_forward_run_image(), maso_forward_run_turned() and
 * maso_forward_code_file().
 *
 * A forward context preprocesses straight into its own input blob, through
 * its own resizer and input-size image: coding a photo allocates nothing
 * but the decoded pixels.  The input-size image stays in the context, so
 * the same photo in another orientation is turned at the input size (a
 * 227 x 227 image instead of the decoded one, with no resize).  With the
 * best kernels the normalisation into the tensor is AVX-512 code (the
 * orientation passes of maso-index run it 4 times a photo). */
#include "image/image_internal.h"
#include "kernels/cpu_internal.h"
#include "net/network_internal.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__) && defined(__x86_64__)
#define PREPROCESS_HAVE_X86 1
#include <immintrin.h>
#endif

/* Per tensor channel: (value - mean) * scale, from an image of the input
 * size. */
static void normalise(const maso_preprocess *pre, const maso_image *src,
                      float *tensor)
{
    size_t plane = (size_t)src->height * src->width;
    for (int ch = 0; ch < 3; ch++) {
        /* Tensor channel ch reads RGB channel ch, or 2 - ch for BGR. */
        int from = pre->bgr ? 2 - ch : ch;
        float mean = pre->mean[ch], scale = pre->scale[ch];
        float *out = tensor + ch * plane;
        const unsigned char *in = src->pixels + from;
        for (size_t i = 0; i < plane; i++)
            out[i] = ((float)in[3 * i] - mean) * scale;
    }
}

/* normalise() of @p src turned to EXIF @p orientation, whose turned size
 * must be @p src's own (any orientation of a square image, 2..4 of any):
 * tensor pixel (x, y) reads the pixel core_orientation_source() names. */
static void normalise_turned(const maso_preprocess *pre, const maso_image *src,
                             int orientation, float *tensor)
{
    const int W = src->width, H = src->height;
    const size_t plane = (size_t)H * W;
    for (int ch = 0; ch < 3; ch++) {
        int from = pre->bgr ? 2 - ch : ch;
        float mean = pre->mean[ch], scale = pre->scale[ch];
        float *out = tensor + ch * plane;
        for (int y = 0; y < H; y++) {
            /* the source moves by a fixed step along an output row */
            int sx, sy, sx1, sy1;
            core_orientation_source(orientation, 0, y, W, H, &sx, &sy);
            core_orientation_source(orientation, W > 1 ? 1 : 0, y, W, H, &sx1,
                                    &sy1);
            const ptrdiff_t step = ((ptrdiff_t)(sy1 - sy) * W + (sx1 - sx)) * 3;
            ptrdiff_t off = ((ptrdiff_t)sy * W + sx) * 3 + from;
            float *row = out + (size_t)y * W;
            for (int x = 0; x < W; x++, off += step)
                row[x] = ((float)src->pixels[off] - mean) * scale;
        }
    }
}

#ifdef PREPROCESS_HAVE_X86
/* One tensor row of normalise_turned() whose source pixels are adjacent
 * (@p step 3: left to right, -3: right to left) from byte @p off, with
 * AVX-512BW and no gather: 16 pixels' 48 bytes in one masked load (only
 * the pixels of the row: nothing outside the image is read), each 128-bit
 * lane given its 4 pixels' 12 bytes, then one byte shuffle per channel
 * puts each pixel's byte in its own 32-bit word. */
CORE_TARGET_AVX512BW
static void normalise_row_adjacent(const unsigned char *pixels, int off,
                                   int step, int W, const int shift[3],
                                   const __m512 mean[3],
                                   const __m512 scale[3], float *out,
                                   size_t plane)
{
    const int back = step < 0;
    /* dwords 3k .. 3k+2 to lane k (forward), 9-3k .. 11-3k (backward) */
    const __m512i lanes = back
        ? _mm512_setr_epi32(9, 10, 11, 11, 6, 7, 8, 8, 3, 4, 5, 5, 0, 1, 2, 2)
        : _mm512_setr_epi32(0, 1, 2, 2, 3, 4, 5, 5, 6, 7, 8, 8, 9, 10, 11,
                            11);
    __m512i pick[3];
    for (int ch = 0; ch < 3; ch++) {
        const int c = shift[ch] / 8;
        char b[16];
        for (int j = 0; j < 4; j++) {
            b[4 * j] = (char)(3 * (back ? 3 - j : j) + c);
            b[4 * j + 1] = b[4 * j + 2] = b[4 * j + 3] = (char)0x80;
        }
        pick[ch] = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)
                                                          (const void *)b));
    }
    for (int x = 0; x < W; x += 16) {
        const int n = W - x < 16 ? W - x : 16;
        const __mmask16 cols = (__mmask16)((1u << n) - 1u);
        /* forward: bytes 0 .. 3n-1 from the first pixel; backward: the
         * 16 pixels end at the first one's last byte */
        const unsigned char *base =
            pixels + off + (ptrdiff_t)step * x - (back ? 45 : 0);
        const __mmask64 bytes = back
            ? (~0ull << (3 * (16 - n))) & ((1ull << 48) - 1)
            : (1ull << (3 * n)) - 1;
        const __m512i raw = _mm512_permutexvar_epi32(
            lanes, _mm512_maskz_loadu_epi8(bytes, base));
        for (int ch = 0; ch < 3; ch++) {
            __m512 v = _mm512_cvtepi32_ps(_mm512_shuffle_epi8(raw, pick[ch]));
            v = _mm512_mul_ps(_mm512_sub_ps(v, mean[ch]), scale[ch]);
            _mm512_mask_storeu_ps(out + ch * plane + x, cols, v);
        }
    }
}

/* normalise_turned() with AVX-512, 16 tensor pixels a step, each channel's
 * byte converted, minus the mean, times the scale (two operations, as the
 * scalar loop: the same floats); orientation 1 is normalise().  Rows whose
 * source pixels are adjacent (orientations 1-4) go through
 * normalise_row_adjacent() when @p adjacent (the CPU has AVX-512BW); the
 * others (a column of the image: 5-8) gather the 16 source pixels' words
 * (their 3 bytes and the next one; on Zen 4 no faster than the scalar
 * loop, the adjacent rows several times faster).  A gather reads 4 bytes
 * from a pixel's first, so the image's last pixel, whose fourth byte lies
 * past the buffer, is left to the scalar loop. */
CORE_TARGET_AVX512
static void normalise_turned_avx512(const maso_preprocess *pre,
                                    const maso_image *src, int orientation,
                                    int adjacent, float *tensor)
{
    const int W = src->width, H = src->height;
    const size_t plane = (size_t)H * W;
    const int last = (int)((plane - 1) * 3); /* byte offset of the last pixel */
    const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
                                           11, 12, 13, 14, 15);
    __m512 mean[3], scale[3];
    int shift[3];
    for (int ch = 0; ch < 3; ch++) {
        mean[ch] = _mm512_set1_ps(pre->mean[ch]);
        scale[ch] = _mm512_set1_ps(pre->scale[ch]);
        shift[ch] = 8 * (pre->bgr ? 2 - ch : ch);
    }
    for (int y = 0; y < H; y++) {
        int sx, sy, sx1, sy1;
        core_orientation_source(orientation, 0, y, W, H, &sx, &sy);
        core_orientation_source(orientation, W > 1 ? 1 : 0, y, W, H, &sx1,
                                &sy1);
        const int step = ((sy1 - sy) * W + (sx1 - sx)) * 3;
        const int off = (sy * W + sx) * 3;
        if (adjacent && (step == 3 || step == -3)) {
            normalise_row_adjacent(src->pixels, off, step, W, shift, mean,
                                   scale, tensor + (size_t)y * W, plane);
            continue;
        }
        for (int x = 0; x < W; x += 16) {
            const __mmask16 cols = W - x >= 16
                ? (__mmask16)0xffff : (__mmask16)((1u << (W - x)) - 1u);
            const __m512i at = _mm512_add_epi32(
                _mm512_set1_epi32(off + step * x),
                _mm512_mullo_epi32(iota, _mm512_set1_epi32(step)));
            const __mmask16 inside = cols &
                _mm512_cmplt_epi32_mask(at, _mm512_set1_epi32(last));
            const __m512i words = _mm512_mask_i32gather_epi32(
                _mm512_setzero_si512(), inside, at, src->pixels, 1);
            for (int ch = 0; ch < 3; ch++) {
                __m512 v = _mm512_cvtepi32_ps(_mm512_and_si512(
                    _mm512_srli_epi32(words, (unsigned)shift[ch]),
                    _mm512_set1_epi32(255)));
                v = _mm512_mul_ps(_mm512_sub_ps(v, mean[ch]), scale[ch]);
                _mm512_mask_storeu_ps(tensor + ch * plane + (size_t)y * W + x,
                                      inside, v);
            }
            if (inside != cols) /* the last pixel: whole bytes */
                for (int j = 0; j < 16 && x + j < W; j++)
                    if (!(inside >> j & 1))
                        for (int ch = 0; ch < 3; ch++)
                            tensor[ch * plane + (size_t)y * W + x + j] =
                                ((float)src->pixels[last + shift[ch] / 8] -
                                 pre->mean[ch]) * pre->scale[ch];
        }
    }
}
#endif

/* The input tensor of @p src turned to @p orientation (1: as it is) with
 * @p model's kernels. */
static void normalise_into(const maso_model *model, const maso_image *src,
                           int orientation, float *tensor)
{
#ifdef PREPROCESS_HAVE_X86
    if (model->simd == CORE_SIMD_AVX512 &&
        (size_t)src->width * (size_t)src->height < (size_t)1 << 29) {
        /* byte offsets of the gather in 32 bits */
        normalise_turned_avx512(&model->pre, src, orientation,
                                core_cpu_supports(CORE_CPU_AVX512BW), tensor);
        return;
    }
#endif
    if (orientation == 1)
        normalise(&model->pre, src, tensor);
    else
        normalise_turned(&model->pre, src, orientation, tensor);
}

int maso_model_preprocess_image(const maso_model *model,
                                const maso_image *image, float *tensor)
{
    if (!model || !image || !image->pixels || !tensor)
        return MASO_EINVAL_ARG;
    int c, h, w;
    maso_model_input_size(model, &c, &h, &w);
    if (c != 3)
        return MASO_EUNSUPPORTED;
    maso_image resized = { 0, 0, NULL };
    const maso_image *src = image;
    if (image->width != w || image->height != h) {
        int rc = maso_image_resize(image, w, h, &resized);
        if (rc)
            return rc;
        src = &resized;
    }
    normalise(maso_model_get_preprocess(model), src, tensor);
    maso_image_free(&resized);
    return 0;
}

int maso_forward_run_image(maso_forward *forward, const maso_image *image,
                           uint8_t *code, float *output)
{
    const maso_model *model = maso_forward_model(forward);
    if (!model)
        return MASO_EINVAL_ARG;
    forward->errmsg[0] = '\0';
    const core_shape input = model->blobs[model->input_blob].shape;
    int rc = MASO_EINVAL_ARG;
    if (input.c != 3)
        rc = MASO_EUNSUPPORTED;
    else if (image && image->pixels && image->width > 0 && image->height > 0)
        rc = 0;
    const maso_image *src = image;
    forward->resized_valid = 0;
    if (!rc && (image->width != input.w || image->height != input.h)) {
        rc = core_resizer_run(&forward->resizer, image, &forward->resized);
        src = &forward->resized;
    } else if (!rc) { /* kept for maso_forward_run_turned() */
        memcpy(forward->resized.pixels, image->pixels,
               (size_t)input.w * (size_t)input.h * 3);
    }
    if (rc)
        return core_forward_fail(forward, rc, "preprocessing a %dx%d image: %s",
                                 image ? image->width : 0,
                                 image ? image->height : 0, maso_strerror(rc));
    forward->resized_valid = 1;
    normalise_into(model, src, 1, forward->blob[model->input_blob]);
    core_forward_run_input(forward, code, output);
    return 0;
}

int maso_forward_run_turned(maso_forward *forward, int orientation,
                            uint8_t *code, float *output)
{
    const maso_model *model = maso_forward_model(forward);
    if (!model)
        return MASO_EINVAL_ARG;
    forward->errmsg[0] = '\0';
    if (!forward->resized_valid)
        return core_forward_fail(forward, MASO_EINVAL_ARG,
                                 "no image to turn: run one first");
    if (orientation < 1 || orientation > 8)
        return core_forward_fail(forward, MASO_EINVAL_ARG,
                                 "orientation %d is not 1..8", orientation);
    const maso_image *src = &forward->resized;
    if (core_orientation_swaps(orientation) && src->width != src->height)
        return core_forward_fail(forward, MASO_EUNSUPPORTED,
                                 "orientation %d of a %dx%d input: the "
                                 "network's input is not square",
                                 orientation, src->width, src->height);
    normalise_into(model, src, orientation, forward->blob[model->input_blob]);
    core_forward_run_input(forward, code, output);
    return 0;
}

int maso_forward_code_file(maso_forward *forward, maso_decoder *decoder,
                           const char *path, unsigned flags, uint8_t *code,
                           float *output)
{
    const maso_model *model = maso_forward_model(forward);
    if (!model)
        return MASO_EINVAL_ARG;
    if (!decoder || !path)
        return core_forward_fail(forward, MASO_EINVAL_ARG,
                                 "no decoder or no path");
    /* Decode no larger than the network's input needs: JPEGs are then
     * scaled in the DCT domain, most of the decoding time saved. */
    maso_decode_params params;
    maso_decode_params_init(&params);
    params.min_width = model->blobs[model->input_blob].shape.w;
    params.min_height = model->blobs[model->input_blob].shape.h;
    maso_image image = { 0, 0, NULL };
    int rc = maso_decoder_load_file(decoder, path, &params, &image);
    if (rc)
        return core_forward_fail(forward, rc, "%s",
                                 maso_decoder_errmsg(decoder));
    if (flags & MASO_CODE_TRIM_BORDER) {
        rc = maso_image_trim_border(&image, MASO_TRIM_TOLERANCE, NULL);
        if (rc) {
            maso_image_free(&image);
            return core_forward_fail(forward, rc, "%s: %s", path,
                                     maso_strerror(rc));
        }
    }
    rc = maso_forward_run_image(forward, &image, code, output);
    maso_image_free(&image);
    if (rc) {
        char cause[MASO_ERRMSG_SIZE];
        snprintf(cause, sizeof cause, "%s", forward->errmsg);
        return core_forward_fail(forward, rc, "%s: %s", path, cause);
    }
    return 0;
}
