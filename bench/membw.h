/* membw.h -- measured memory read bandwidth, the ceiling a scan is held to.
 *
 * A streaming read of a buffer far larger than the caches (1 GB in
 * bench_faiss), split in contiguous parts over threads, with wide loads and
 * several independent accumulators so the loop is never the bottleneck.
 * Benchmark code: failures are reported on stderr.
 */
#ifndef MEMBW_H
#define MEMBW_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Best read bandwidth in GB/s (1e9 bytes/s) over @p reps full reads of
 * @p buf (@p bytes, a multiple of 256, 64-byte aligned) on @p threads
 * threads (1..64).  Returns a negative value when a thread cannot be
 * started. */
double membw_read_gbs(const uint8_t *buf, size_t bytes, int threads,
                      int reps);

/* Allocate @p bytes (64-byte aligned, huge pages advised) and write every
 * page so that reads hit memory, not the zero page.  NULL when out of
 * memory.  Release with membw_buffer_free(). */
uint8_t *membw_buffer_alloc(size_t bytes);
void membw_buffer_free(uint8_t *buf, size_t bytes);

#ifdef __cplusplus
}
#endif
#endif
