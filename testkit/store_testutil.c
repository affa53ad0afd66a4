/* store_testutil.c -- see store_testutil.h. */
#define _DEFAULT_SOURCE /* nftw flags */
#include "store_testutil.h"

#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

const maso_code_layer store_test_layers[STORE_TEST_LAYERS] = {
    {.name = "conv1", .kind = MASO_LAYER_RELU, .channels = 8, .height = 16,
     .width = 16, .window = 0, .bits_per_unit = 1, .units = 2048,
     .offset = 0, .bytes = 256},
    {.name = "pool1", .kind = MASO_LAYER_MAXPOOL, .channels = 8, .height = 8,
     .width = 8, .window = 9, .bits_per_unit = 4, .units = 512,
     .offset = 256, .bytes = 256},
    {.name = "fire2", .kind = MASO_LAYER_RELU, .channels = 16, .height = 8,
     .width = 8, .window = 0, .bits_per_unit = 1, .units = 1024,
     .offset = 512, .bytes = 128},
};

void store_test_identity(maso_store_identity *id,
                         const maso_code_layer *layers, size_t n)
{
    memset(id, 0, sizeof *id);
    memset(id->param_sha256, 'a', 64);
    memset(id->bin_sha256, 'b', 64);
    id->input_channels = 3;
    id->input_height = id->input_width = 227;
    id->preprocess = "mean=104,117,123 scale=1,1,1 bgr=1";
    id->layers = layers;
    id->n_layers = n;
    maso_sketch_params_init(&id->sketch);
}

static int rm_entry(const char *path, const struct stat *sb, int flag,
                    struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void store_test_rmtree(const char *path)
{
    nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}
