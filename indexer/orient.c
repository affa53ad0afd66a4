/*
 * orient.c -- code an image file as it is and in the orientations whose
 * sketches the store keeps for orientation-invariant grouping
 * (MASO_STORE_ORIENTATIONS: mirrored left-right, mirrored top-bottom,
 * turned 90 degrees), from one decode.
 *
 * The image as it is goes through the same steps as
 * maso_forward_code_file() (decode no larger than the input needs, cut
 * uniform borders, run), so its code is the one maso-index stores without
 * orientations; the other orientations turn that decoded, trimmed image
 * once it is resized to the network's input (maso_forward_run_turned(): no
 * second resize, no copy of the decoded image; the trim is symmetric, so a
 * turned copy of a framed photo is trimmed alike).
 */
#include "indexer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int index_code_orients(maso_forward *forward, maso_decoder *decoder,
                       const char *path, const maso_sketch *sketch,
                       volatile sig_atomic_t *stop, uint8_t *code,
                       uint8_t *scratch, uint8_t *orients, char *err,
                       size_t err_size)
{
    static const int turns[MASO_STORE_ORIENTS] = MASO_STORE_ORIENTATIONS;
    const maso_model *model = maso_forward_model(forward);
    int channels, height, width;
    maso_model_input_size(model, &channels, &height, &width);
    maso_decode_params params;
    maso_decode_params_init(&params);
    params.min_width = width;
    params.min_height = height;
    maso_image image = { 0, 0, NULL };
    int rc = maso_decoder_load_file(decoder, path, &params, &image);
    if (rc) {
        snprintf(err, err_size, "%s", maso_decoder_errmsg(decoder));
        return rc;
    }
    rc = maso_image_trim_border(&image, MASO_TRIM_TOLERANCE, NULL);
    if (!rc)
        rc = maso_forward_run_image(forward, &image, code, NULL);
    size_t bytes = (size_t)image.width * (size_t)image.height * 3;
    size_t sketch_bytes = maso_sketch_bytes(sketch);
    for (size_t v = 0; !rc && v < MASO_STORE_ORIENTS; v++) {
        if (stop && *stop) {
            rc = ECANCELED;
            break;
        }
        /* turned at the input size; a turn of a non-square input turns
         * the decoded image and resizes it again */
        rc = maso_forward_run_turned(forward, turns[v], scratch, NULL);
        if (rc == MASO_EUNSUPPORTED) {
            maso_image turned = image;
            turned.pixels = malloc(bytes ? bytes : 1);
            if (!turned.pixels) {
                rc = ENOMEM;
                break;
            }
            memcpy(turned.pixels, image.pixels, bytes);
            rc = maso_image_orient(&turned, turns[v]);
            if (!rc)
                rc = maso_forward_run_image(forward, &turned, scratch, NULL);
            maso_image_free(&turned);
        }
        if (!rc)
            maso_sketch_apply(sketch, scratch, orients + v * sketch_bytes);
    }
    maso_image_free(&image);
    if (rc == ECANCELED)
        err[0] = 0;
    else if (rc == ENOMEM)
        snprintf(err, err_size, "%s: out of memory", path);
    else if (rc)
        snprintf(err, err_size, "%s: %s", path, maso_forward_errmsg(forward));
    return rc;
}
