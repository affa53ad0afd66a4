/* preprocess.c -- from a decoded image to the network's input tensor, and
 * maso_forward_run_image() which chains the two. */
#include "network.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

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
    const maso_preprocess *pre = maso_model_preprocess(model);
    size_t plane = (size_t)h * w;
    for (int ch = 0; ch < 3; ch++) {
        /* Tensor channel ch reads RGB channel ch, or 2 - ch for BGR. */
        int from = pre->bgr ? 2 - ch : ch;
        float mean = pre->mean[ch], scale = pre->scale[ch];
        float *out = tensor + ch * plane;
        const unsigned char *in = src->pixels + from;
        for (size_t i = 0; i < plane; i++)
            out[i] = ((float)in[3 * i] - mean) * scale;
    }
    maso_image_free(&resized);
    return 0;
}

int maso_forward_run_image(maso_forward *forward, const maso_image *image,
                           uint8_t *code, float *output)
{
    const maso_model *model = maso_forward_model(forward);
    if (!model)
        return MASO_EINVAL_ARG;
    int c, h, w;
    maso_model_input_size(model, &c, &h, &w);
    float *tensor = malloc((size_t)c * h * w * sizeof *tensor);
    if (!tensor)
        return maso_forward_set_error(forward, ENOMEM,
                                      "out of memory for the input tensor");
    int rc = maso_model_preprocess_image(model, image, tensor);
    if (rc) {
        char msg[160];
        snprintf(msg, sizeof msg, "preprocessing a %dx%d image: %s",
                 image ? image->width : 0, image ? image->height : 0,
                 maso_strerror(rc));
        free(tensor);
        return maso_forward_set_error(forward, rc, msg);
    }
    rc = maso_forward_run(forward, tensor, code, output);
    free(tensor);
    return rc;
}
