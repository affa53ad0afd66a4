/*
 * sha256_internal.h -- the two block functions behind maso_sha256_update():
 * portable C, and the x86 SHA extensions (SHA-NI: Intel since Goldmont and
 * Ice Lake, AMD since Zen), about 4x faster on the model's 5 MB .bin hashed
 * at every start.  maso_sha256_update() picks SHA-NI when the CPU reports
 * it; tests compare the two.  Internal to libmaso.
 */
#ifndef MASO_SHA256_INTERNAL_H
#define MASO_SHA256_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* Hash @p blocks 64-byte blocks at @p p into @p state (FIPS 180-4 6.2.2). */
void maso_sha256_blocks_portable(uint32_t state[8], const unsigned char *p,
                                 size_t blocks);

/* The same with SHA-NI; only where maso_sha256_shani_usable(). */
void maso_sha256_blocks_shani(uint32_t state[8], const unsigned char *p,
                              size_t blocks);

/* Nonzero when this CPU has the SHA extensions (and SSE4.1). */
int maso_sha256_shani_usable(void);

#endif /* MASO_SHA256_INTERNAL_H */
