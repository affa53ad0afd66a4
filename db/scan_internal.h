/*
 * scan_internal.h -- the sketches of a store in id order, read in place
 * from the memory map: a second reader beside the views (maso_store.h),
 * simpler and independent of their segment layout, kept for the tests that
 * check what the store holds and for the store benchmark.  Not public:
 * programs read sketches through views.  Conventions are those of
 * maso_store.h; errors leave their message in maso_store_errmsg().
 */
#ifndef MASO_STORE_SCAN_INTERNAL_H
#define MASO_STORE_SCAN_INTERNAL_H

#include <stdint.h>

#include "maso_store.h"

/**
 * A read transaction and a cursor over the sketches in id order, returning
 * pointers into the memory map (no copies).  Several scans may run at once
 * in different threads.  Batches may be committed by other handles or
 * processes meanwhile; the scan keeps seeing its snapshot.
 */
typedef struct store_scan store_scan;

int store_scan_begin(maso_store *store, store_scan **scan);

/** Position the scan so that the next store_scan_next() returns the
 *  first sketch with id >= @p id (for splitting a scan among threads). */
int store_scan_seek(store_scan *scan, uint64_t id);

/**
 * The next (id, sketch) pair.  *sketch points to maso_sketch_bytes() bytes,
 * 64-byte aligned, valid until the next call on the scan or its end.
 * Returns 0, MASO_ENOTFOUND at the end, or MASO_EDATA for a malformed value.
 */
int store_scan_next(store_scan *scan, uint64_t *id,
                    const uint8_t **sketch);

/** Sketches the scan had to copy because their map address was not
 *  64-byte aligned (0 with the layout of maso_store.h on 64-bit LMDB 0.9). */
uint64_t store_scan_copies(const store_scan *scan);

/** End the read transaction and free the scan.  NULL allowed. */
void store_scan_end(store_scan *scan);

#endif /* MASO_STORE_SCAN_INTERNAL_H */
