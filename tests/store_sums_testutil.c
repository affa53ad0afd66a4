/* store_sums_testutil.c -- the store's checksums, from their documented
 * definition (see store_sums_testutil.h). */
#include "store_sums_testutil.h"

#include <string.h>

#include <xxhash.h>

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static void set_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

void sums_seal_meta(const char *key, uint8_t *value, size_t n)
{
    uint64_t seed = XXH3_64bits_withSeed(key, strlen(key), 0);
    set_le64(value + n - 8, XXH3_64bits_withSeed(value, n - 8, seed));
}

void sums_seal_block(uint8_t *value, size_t n)
{
    (void)n;
    uint32_t B = le32(value + 4), stride = le32(value + 16);
    uint32_t sb = le32(value + 20), sums = le32(value + 24);
    uint32_t sketches = le32(value + 28);
    uint64_t number = le64(value + 8);
    for (uint32_t i = 0; i < B; i++) {
        uint64_t h = 0;
        if (value[48 + i / 8] >> (i % 8) & 1) {
            uint64_t id = number * B + i;
            h = XXH3_64bits_withSeed(value + sums + (size_t)i * sb, sb, id);
            h = XXH3_64bits_withSeed(value + sketches + (size_t)i * stride,
                                     stride, h);
        }
        set_le64(value + 112 + 8 * (size_t)i, h);
    }
    uint64_t h = XXH3_64bits_withSeed(value, 40, number);
    set_le64(value + 40, XXH3_64bits_withSeed(value + 48, 64 + 8 * (size_t)B,
                                              h));
}

void sums_seal_record(uint8_t *value, size_t n, uint64_t id)
{
    uint64_t h = XXH3_64bits_withSeed(value, 12, id);
    h = XXH3_64bits_withSeed(value + 16, n - 16, h);
    uint32_t s = (uint32_t)(h ^ (h >> 32));
    for (int i = 0; i < 4; i++)
        value[12 + i] = (uint8_t)(s >> (8 * i));
}
