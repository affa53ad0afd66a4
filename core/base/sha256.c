/*
 * sha256.c -- SHA-256 as specified in FIPS 180-4, section 6.2, used to
 * identify model files and check stored data.  Portable C: the message is
 * read big-endian byte by byte, so the host's byte order does not matter.
 * Whole files are hashed by nettle instead (maso_sha256_file): faster,
 * and the tests compare both with the NIST vectors.
 */
#include "maso.h"
#include "base/sha256_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <nettle/sha2.h>

/* FIPS 180-4 4.2.2: the first 32 bits of the fractional parts of the cube
 * roots of the first 64 primes. */
static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
    0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
    0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
    0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
    0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static inline uint32_t rotr(uint32_t x, unsigned n)
{
    return x >> n | x << (32 - n);
}

/* One 512-bit block into the state (FIPS 180-4 6.2.2). */
static void sha256_block(uint32_t state[8], const unsigned char *p)
{
    uint32_t w[64];
    for (int t = 0; t < 16; t++)
        w[t] = (uint32_t)p[4 * t] << 24 | (uint32_t)p[4 * t + 1] << 16 |
               (uint32_t)p[4 * t + 2] << 8 | (uint32_t)p[4 * t + 3];
    for (int t = 16; t < 64; t++) {
        uint32_t s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ w[t - 15] >> 3;
        uint32_t s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ w[t - 2] >> 10;
        w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
    uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
    uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
    for (int t = 0; t < 64; t++) {
        uint32_t S1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
        uint32_t ch = (e & f) ^ (~e & g);
        uint32_t t1 = h + S1 + ch + K[t] + w[t];
        uint32_t S0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
        uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
        uint32_t t2 = S0 + maj;
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    state[0] += a;
    state[1] += b;
    state[2] += c;
    state[3] += d;
    state[4] += e;
    state[5] += f;
    state[6] += g;
    state[7] += h;
}

void maso_sha256_init(maso_sha256 *ctx)
{
    /* FIPS 180-4 5.3.3: fractional parts of the square roots of the first
     * eight primes. */
    static const uint32_t H0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372,
                                   0xa54ff53a, 0x510e527f, 0x9b05688c,
                                   0x1f83d9ab, 0x5be0cd19};
    for (int i = 0; i < 8; i++)
        ctx->state[i] = H0[i];
    ctx->length = 0;
    ctx->used = 0;
}

void maso_sha256_update(maso_sha256 *ctx, const void *data, size_t size)
{
    const unsigned char *p = data;
    ctx->length += size;
    if (ctx->used > 0) {
        /* Complete the partial block first. */
        size_t take = 64 - ctx->used;
        if (take > size)
            take = size;
        for (size_t i = 0; i < take; i++)
            ctx->buffer[ctx->used + i] = p[i];
        ctx->used += take;
        p += take;
        size -= take;
        if (ctx->used < 64)
            return;
        sha256_block(ctx->state, ctx->buffer);
        ctx->used = 0;
    }
    /* Whole blocks straight from the caller's memory. */
    for (; size >= 64; p += 64, size -= 64)
        sha256_block(ctx->state, p);
    for (size_t i = 0; i < size; i++)
        ctx->buffer[i] = p[i];
    ctx->used = size;
}

void maso_sha256_final(maso_sha256 *ctx, unsigned char digest[32])
{
    /* Padding (FIPS 180-4 5.1.1): a 1 bit, zeros up to 56 mod 64 bytes, then
     * the message length in bits as a 64-bit big-endian number. */
    uint64_t bits = ctx->length * 8;
    ctx->buffer[ctx->used++] = 0x80;
    if (ctx->used > 56) {
        while (ctx->used < 64)
            ctx->buffer[ctx->used++] = 0;
        sha256_block(ctx->state, ctx->buffer);
        ctx->used = 0;
    }
    while (ctx->used < 56)
        ctx->buffer[ctx->used++] = 0;
    for (int i = 0; i < 8; i++)
        ctx->buffer[56 + i] = (unsigned char)(bits >> (56 - 8 * i));
    sha256_block(ctx->state, ctx->buffer);
    for (int i = 0; i < 8; i++) {
        digest[4 * i] = (unsigned char)(ctx->state[i] >> 24);
        digest[4 * i + 1] = (unsigned char)(ctx->state[i] >> 16);
        digest[4 * i + 2] = (unsigned char)(ctx->state[i] >> 8);
        digest[4 * i + 3] = (unsigned char)ctx->state[i];
    }
    ctx->used = 0;
}

static void digest_hex(struct sha256_ctx *ctx, char hex[65])
{
    static const char digits[] = "0123456789abcdef";
    unsigned char digest[32];
    sha256_digest(ctx, sizeof digest, digest);
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = digits[digest[i] >> 4];
        hex[2 * i + 1] = digits[digest[i] & 15];
    }
    hex[64] = '\0';
}

int maso_sha256_file(const char *path, char hex[65])
{
    if (path == NULL || hex == NULL)
        return EINVAL;
    hex[0] = '\0';
    int fd;
    do
        fd = open(path, O_RDONLY);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return errno;
    /* Files (the 5 MB model weights at every start) go through nettle,
     * which uses the CPU's SHA instructions where there are some: 10x
     * the portable code above on this project's machine. */
    struct sha256_ctx ctx;
    sha256_init(&ctx);
    unsigned char buf[16384]; /* modest: callers may run on small thread stacks */
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n == 0)
            break;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int err = errno;
            close(fd);
            return err;
        }
        sha256_update(&ctx, (size_t)n, buf);
    }
    close(fd);
    digest_hex(&ctx, hex);
    return 0;
}

void core_sha256_hex(const void *data, size_t size, char hex[65])
{
    struct sha256_ctx ctx;
    sha256_init(&ctx);
    sha256_update(&ctx, size, data);
    digest_hex(&ctx, hex);
}
