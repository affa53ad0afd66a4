/* fuzz_csv.c -- the pairs CSV reader of maso-eval. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    maso_pairs *pairs = NULL;
    if (maso_pairs_create(&pairs) != 0)
        abort();
    if (maso_pairs_load_csv(pairs, fuzz_temp_file("p.csv", data, size)) == 0)
        for (size_t i = 0; i < maso_pairs_count(pairs); i++)
            if (!maso_pairs_get(pairs, i))
                abort();
    maso_pairs_destroy(pairs);
    return 0;
}
