/* fuzz_model.c -- the ncnn .param parser and .bin weights loader: the input
 * is "<param text>\0\0\xff\0<bin bytes>" (fuzz_split). */
#include "fuzz.h"

#include <stdlib.h>

#include "maso.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *param, *bin;
    size_t np, nb;
    fuzz_split(data, size, &param, &np, &bin, &nb);
    const char *pp = fuzz_temp_file("m.param", param, np);
    const char *bp = fuzz_temp_file("m.bin", bin, nb);
    maso_model *m = NULL;
    if (maso_model_create(&m) != 0)
        abort();
    if (maso_model_load(m, pp, bp) != 0 && maso_model_errmsg(m)[0] == '\0')
        abort(); /* a refusal always says why */
    maso_model_destroy(m);
    return 0;
}
