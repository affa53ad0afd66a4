/* fuzz_npy.c -- the .npy reader of maso-eval. */
#include "fuzz.h"

#include <stdlib.h>

#include "maso_eval.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    maso_eval_npy *npy = NULL;
    if (maso_eval_npy_create(&npy) != 0)
        abort();
    size_t n = 0;
    if (maso_eval_npy_load_memory(npy, data, size, "fuzz.npy") == 0) {
        const double *v = maso_eval_npy_values(npy, &n);
        for (size_t i = 0; i < n; i++) /* every value is read, and finite */
            if (!(v[i] - v[i] == 0))
                abort();
    }
    maso_eval_npy_destroy(npy);
    return 0;
}
