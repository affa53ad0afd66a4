/* photos.c -- the photo folder of the synthetic-edit runs (maso-eval
 * distort, copydetect): listed, decoded, and prepared for every metric at
 * the working size. */
#include "program.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int eval_metrics_prepare_resized(eval_metrics *ms, const maso_image *image,
                                 int size, int orient, void **states,
                                 char err[MASO_CLI_ERRLEN])
{
    maso_image small = { 0, 0, NULL };
    int rc = maso_image_resize(image, size, size, &small);
    if (!rc && orient > 1)
        rc = maso_image_orient(&small, orient);
    if (rc)
        snprintf(err, MASO_CLI_ERRLEN, "resize: %s", maso_strerror(rc));
    else
        rc = eval_metrics_prepare(ms, &small, &small, states, err);
    maso_image_free(&small);
    return rc;
}

int eval_photos_load(eval_metrics *ms, const eval_options *opt,
                     int originals_only, eval_photo **photos, size_t *n,
                     char err[MASO_CLI_ERRLEN])
{
    *photos = NULL;
    *n = 0;
    eval_names names;
    int rc = eval_names_list(opt->input, ".png,.jpg,.jpeg", &names, err);
    if (rc)
        return rc;
    if (names.count < 2) {
        if (names.count)
            snprintf(err, MASO_CLI_ERRLEN, "%s: one photo only: maso-eval "
                     "%s needs at least 2", opt->input, opt->command);
        else
            snprintf(err, MASO_CLI_ERRLEN, "%s: no photos (.png, .jpg)",
                     opt->input);
        eval_names_free(&names);
        return MASO_EDATA;
    }
    size_t count = names.count;
    if (opt->limit && (size_t)opt->limit < count)
        count = (size_t)opt->limit < 2 ? 2 : (size_t)opt->limit;
    eval_photo *photo = calloc(count, sizeof *photo);
    maso_decoder *decoder = NULL;
    rc = photo ? maso_decoder_create(&decoder) : ENOMEM;
    if (rc)
        snprintf(err, MASO_CLI_ERRLEN, "cannot start: %s", maso_strerror(rc));
    /* the caller frees what was loaded, also after a failure */
    *photos = photo;
    *n = photo ? count : 0;
    for (size_t i = 0; rc == 0 && i < count; i++) {
        eval_photo *p = &photo[i];
        snprintf(p->path, sizeof p->path, "%s/%s", opt->input,
                 names.name[i]);
        if (!(p->states = calloc(ms->count, sizeof *p->states))) {
            rc = ENOMEM;
            snprintf(err, MASO_CLI_ERRLEN, "out of memory");
        } else if ((rc = eval_image_load(decoder, p->path, opt->size,
                                          opt->size, &p->full, err))) {
            /* (no smaller than the working size it is compared at) */
            break;
        } else if ((!originals_only || i % 2 == 0) &&
                   (rc = eval_metrics_prepare_resized(ms, &p->full, opt->size,
                                                      1, p->states, err))) {
            char why[MASO_CLI_ERRLEN];
            snprintf(why, sizeof why, "%s", err);
            snprintf(err, MASO_CLI_ERRLEN, "%s: %s", p->path, why);
        }
    }
    maso_decoder_destroy(decoder);
    eval_names_free(&names);
    return rc;
}

void eval_photos_free(const eval_metrics *ms, eval_photo *photos, size_t n)
{
    for (size_t i = 0; photos && i < n; i++) {
        if (photos[i].states) {
            eval_metrics_release(ms, photos[i].states);
            free(photos[i].states);
        }
        maso_image_free(&photos[i].full);
    }
    free(photos);
}

int eval_photo_set_open(eval_photo_set *set, const eval_options *opt,
                        int originals_only, int trim,
                        char err[MASO_CLI_ERRLEN])
{
    memset(set, 0, sizeof *set);
    if (!eval_is_dir(opt->input)) {
        snprintf(err, MASO_CLI_ERRLEN, "%s: no such folder", opt->input);
        return ENOENT;
    }
    int rc = eval_metrics_start(&set->ms, &set->csv, opt, err);
    if (rc)
        return rc;
    set->ms.model.trim = set->ms.has_model && trim;
    return eval_photos_load(&set->ms, opt, originals_only, &set->photo,
                            &set->n, err);
}

void eval_photo_set_close(eval_photo_set *set)
{
    char err[MASO_CLI_ERRLEN];
    eval_photos_free(&set->ms, set->photo, set->n);
    eval_csv_close(set->csv, err);
    if (set->ms.metric)
        eval_metrics_close(&set->ms);
    memset(set, 0, sizeof *set);
}
