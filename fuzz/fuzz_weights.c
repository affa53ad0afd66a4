/* fuzz_weights.c -- the per-layer weights file and the --layers SPEC
 * parser, over a small code layout: "<weights file>\0\0\xff\0<spec>". */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "maso_cli.h"
#include "store_testutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *file, *spec;
    size_t nf, ns;
    fuzz_split(data, size, &file, &nf, &spec, &ns);
    maso_store_identity id;
    store_test_identity(&id, store_test_layers, STORE_TEST_LAYERS);
    double w[STORE_TEST_LAYERS];
    char err[MASO_CLI_ERRLEN], fitted[64];
    int rc = maso_cli_weights_load(fuzz_temp_file("w.txt", file, nf),
                                   store_test_layers, STORE_TEST_LAYERS,
                                   id.param_sha256, id.bin_sha256, w, fitted,
                                   sizeof fitted, err);
    if (rc != 0 && err[0] == '\0')
        abort(); /* a refusal always says why */
    char *text = malloc(ns + 1);
    if (!text)
        abort();
    memcpy(text, spec, ns);
    text[ns] = '\0';
    rc = maso_cli_layer_spec_parse(text, store_test_layers, STORE_TEST_LAYERS,
                                   w, err);
    if (rc == 0)
        for (size_t i = 0; i < STORE_TEST_LAYERS; i++)
            if (!(w[i] >= 0))
                abort(); /* weights are finite and >= 0 */
    free(text);
    return 0;
}
