/* preprocess.c -- from a decoded image, or an image file, to the network's
 * input tensor and the code: maso_model_preprocess_image(),
 * maso_forward_run_image(), maso_forward_run_turned() and
 * maso_forward_code_file().
 *
 * A forward context preprocesses straight into its own input blob, through
 * its own resizer and input-size image: coding a photo allocates nothing
 * but the decoded pixels.  The input-size image stays in the context, so
 * the same photo in another orientation is turned at the input size (a
 * 227 x 227 image instead of the decoded one, with no resize). */
#include "image/image_internal.h"
#include "net/network_internal.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    normalise(&model->pre, src, forward->blob[model->input_blob]);
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
    normalise_turned(&model->pre, src, orientation,
                     forward->blob[model->input_blob]);
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
