/* fuzz_csv.c -- the pairs CSV reader of maso-eval. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "maso_eval.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    maso_eval_pairs *pairs = NULL;
    if (maso_eval_pairs_create(&pairs) != 0)
        abort();
    const char *path = fuzz_temp_file("p.csv", data, size);
    if (maso_eval_pairs_load_csv(pairs, path) == 0)
        for (size_t i = 0; i < maso_eval_pairs_count(pairs); i++)
            if (!maso_eval_pairs_get(pairs, i))
                abort();
    maso_eval_pairs_destroy(pairs);
    return 0;
}
