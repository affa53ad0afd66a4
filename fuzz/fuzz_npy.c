/* fuzz_npy.c -- the .npy reader of maso-eval. */
#include "fuzz.h"

#include <stdlib.h>

#include "npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    maso_npy *npy = NULL;
    if (maso_npy_create(&npy) != 0)
        abort();
    size_t n = 0;
    if (maso_npy_load_memory(npy, data, size, "fuzz.npy") == 0) {
        const double *v = maso_npy_values(npy, &n);
        for (size_t i = 0; i < n; i++) /* every value is read, and finite */
            if (!(v[i] - v[i] == 0))
                abort();
    }
    maso_npy_destroy(npy);
    return 0;
}
