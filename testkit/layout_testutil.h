/* layout_testutil.h -- a code layout table read from a golden codes.tsv
 * (../shared/reference/<net>/<image>/codes.tsv: kind, layer, blob, C, H, W,
 * ...), laid out the way libmaso lays out codes: one bit per RELU unit, a
 * nibble per 3x3 max-pool window, sections padded to 64 bytes.  For tests
 * and benchmarks that need a real network's shapes without loading it. */
#ifndef LAYOUT_TESTUTIL_H
#define LAYOUT_TESTUTIL_H

#include <stddef.h>

#include "maso.h"

#define GOLDEN_LAYOUT_MAX 64

/* The table and the strings it points to.  layers[i].name and .blob point
 * into the struct itself: use it where it was filled, do not copy it. */
typedef struct golden_layout {
    size_t n;                          /* layers read */
    size_t code_bytes;                 /* end of the last section */
    maso_code_layer layers[GOLDEN_LAYOUT_MAX];
    char names[GOLDEN_LAYOUT_MAX][64];
    char blobs[GOLDEN_LAYOUT_MAX][128];
} golden_layout;

/* Fill @p t from the codes.tsv at @p path ('#' lines are comments; every
 * other line must parse).  Max-pool layers are taken as 3x3 windows (all of
 * SqueezeNet's are).  Returns the number of layers, 0 when the file cannot
 * be read, a line does not parse or there are more than GOLDEN_LAYOUT_MAX. */
size_t golden_layout_read(const char *path, golden_layout *t);

#endif
