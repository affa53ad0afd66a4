/* store_testutil.h -- what the store tests (test_store, test_store_view,
 * test_index_plan) and the store benchmarks share: a small code layout, a
 * made-up store identity, and removing a temporary store directory. */
#ifndef STORE_TESTUTIL_H
#define STORE_TESTUTIL_H

#include <stddef.h>

#include "maso.h"
#include "maso_store.h"

/* Three layers: relu 8x16x16 (256 bytes), maxpool 3x3 8x8x8 (256 bytes),
 * relu 16x8x8 (128 bytes); a code is STORE_TEST_CODE bytes.  The first
 * two alone make a 512-byte code. */
#define STORE_TEST_LAYERS 3
#define STORE_TEST_CODE 640
extern const maso_code_layer store_test_layers[STORE_TEST_LAYERS];

/* Fill @p id with a made-up model identity (sha256 sums "aaa..." and
 * "bbb...", input 3x227x227, SqueezeNet's preprocessing text) for the
 * layout @p layers (@p n entries, borrowed), default sketch parameters,
 * no full codes. */
void store_test_identity(maso_store_identity *id,
                         const maso_code_layer *layers, size_t n);

/* Remove @p path and everything below it (best effort). */
void store_test_rmtree(const char *path);

#endif
