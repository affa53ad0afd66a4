/* store_identity.c -- the store identity of a loaded model: what maso-index
 * records when it creates a store and what maso-query expects when it
 * opens one.  One function so that the two programs cannot drift apart
 * (a difference would make every store built by one refused by the other),
 * and the precision of an existing store, which both programs follow. */
#include "maso_cli.h"
#include "maso_shards.h"
#include "maso_store.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void maso_cli_store_identity(const maso_model *model,
                             maso_store_identity *id,
                             char pre[MASO_CLI_PREPROCESS_LEN])
{
    memset(id, 0, sizeof *id);
    snprintf(id->param_sha256, sizeof id->param_sha256, "%s",
             maso_model_param_sha256(model));
    snprintf(id->bin_sha256, sizeof id->bin_sha256, "%s",
             maso_model_bin_sha256(model));
    maso_model_input_size(model, &id->input_channels, &id->input_height,
                          &id->input_width);
    maso_store_preprocess_format(maso_model_get_preprocess(model), pre,
                                 MASO_CLI_PREPROCESS_LEN);
    id->preprocess = pre;
    id->n_layers = maso_model_code_layers(model, &id->layers);
    id->precision = maso_model_get_precision(model);
    maso_sketch_params_init(&id->sketch);
}

/* The precision of the plain store at @p db; ENOENT when unreadable. */
static int store_precision(const char *db, maso_model_precision *precision)
{
    maso_store *s = NULL;
    int rc = maso_store_create(&s);
    if (rc == 0)
        rc = maso_store_open(s, db, MASO_STORE_RDONLY, NULL);
    if (rc == 0)
        *precision = maso_store_get_identity(s)->precision;
    maso_store_destroy(s);
    return rc ? ENOENT : 0;
}

int maso_cli_store_precision(const char *db, maso_model_precision *precision)
{
    if (maso_shards_is_sharded(db) != 1)
        return store_precision(db, precision);
    /* a sharded index: its manifest's record, or for a manifest written
     * before precisions were recorded, its first shard store's */
    maso_shards *m = NULL;
    int rc = maso_shards_create(&m);
    if (rc == 0)
        rc = maso_shards_open(m, db);
    if (rc == 0 && (rc = maso_shards_precision(m, precision)) == ENOENT)
        rc = store_precision(maso_shards_location(m, 0), precision);
    maso_shards_destroy(m);
    return rc ? ENOENT : 0;
}
