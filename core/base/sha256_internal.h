/*
 * sha256_internal.h -- SHA-256 of bytes in memory through nettle (the CPU's
 * SHA instructions), for the model's weights, which the loader has read
 * anyway: hashing the buffer it parses saves reading the file twice and
 * names exactly the bytes loaded.
 */
#ifndef CORE_BASE_SHA256_INTERNAL_H
#define CORE_BASE_SHA256_INTERNAL_H

#include <stddef.h>

/* Lowercase hex SHA-256 of @p size bytes at @p data into @p hex. */
void core_sha256_hex(const void *data, size_t size, char hex[65]);

#endif
