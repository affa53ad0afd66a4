/*
 * sha256.c -- SHA-256 as specified in FIPS 180-4, section 6.2, used to
 * identify model files and check stored data.  The portable block function
 * reads the message big-endian byte by byte, so the host's byte order does
 * not matter; on x86 CPUs with the SHA extensions the blocks go through
 * them instead (sha256_internal.h), with identical results.
 */
#include "maso.h"
#include "sha256_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define MASO_SHA256_X86 1
#endif

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
static void block_portable(uint32_t state[8], const unsigned char *p)
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

void maso_sha256_blocks_portable(uint32_t state[8], const unsigned char *p,
                                 size_t blocks)
{
    for (; blocks > 0; blocks--, p += 64)
        block_portable(state, p);
}

#ifdef MASO_SHA256_X86
int maso_sha256_shani_usable(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("sha") && __builtin_cpu_supports("sse4.1");
}

#define SHANI __attribute__((target("sha,sse4.1")))

/*
 * SHA-NI keeps the eight working variables in two registers as ABEF and
 * CDGH (lane 3 first); sha256rnds2 does two rounds, taking the two words
 * W+K from the low half of its third operand, so four rounds are two
 * calls with the halves swapped between them.  sha256msg1/msg2 compute
 * the message schedule four words at a time:
 *   W[t..t+3] = msg2(msg1(W[t-16..], W[t-12..]) + W[t-7..t-4], W[t-4..]).
 */
SHANI void maso_sha256_blocks_shani(uint32_t state[8], const unsigned char *p,
                                    size_t blocks)
{
    /* big-endian words: reverse the bytes of each 32-bit lane */
    const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bll,
                                         0x0405060700010203ll);
    __m128i dcba = _mm_loadu_si128((const __m128i *)&state[0]);
    __m128i hgfe = _mm_loadu_si128((const __m128i *)&state[4]);
    __m128i cdab = _mm_shuffle_epi32(dcba, 0xB1);
    __m128i efgh = _mm_shuffle_epi32(hgfe, 0x1B);
    __m128i abef = _mm_alignr_epi8(cdab, efgh, 8);
    __m128i cdgh = _mm_blend_epi16(efgh, cdab, 0xF0);
    for (; blocks > 0; blocks--, p += 64) {
        const __m128i abef_in = abef, cdgh_in = cdgh;
        __m128i w[16];
#pragma GCC unroll 16
        for (int g = 0; g < 16; g++) {
            if (g < 4)
                w[g] = _mm_shuffle_epi8(
                    _mm_loadu_si128((const __m128i *)(p + 16 * g)), bswap);
            else
                w[g] = _mm_sha256msg2_epu32(
                    _mm_add_epi32(_mm_sha256msg1_epu32(w[g - 4], w[g - 3]),
                                  _mm_alignr_epi8(w[g - 1], w[g - 2], 4)),
                    w[g - 1]);
            __m128i wk = _mm_add_epi32(
                w[g], _mm_loadu_si128((const __m128i *)&K[4 * g]));
            cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);
            abef = _mm_sha256rnds2_epu32(abef, cdgh,
                                         _mm_shuffle_epi32(wk, 0x0E));
        }
        abef = _mm_add_epi32(abef, abef_in);
        cdgh = _mm_add_epi32(cdgh, cdgh_in);
    }
    __m128i feba = _mm_shuffle_epi32(abef, 0x1B);
    __m128i dchg = _mm_shuffle_epi32(cdgh, 0xB1);
    _mm_storeu_si128((__m128i *)&state[0], _mm_blend_epi16(feba, dchg, 0xF0));
    _mm_storeu_si128((__m128i *)&state[4], _mm_alignr_epi8(dchg, feba, 8));
}
#else
int maso_sha256_shani_usable(void)
{
    return 0;
}

void maso_sha256_blocks_shani(uint32_t state[8], const unsigned char *p,
                              size_t blocks)
{
    maso_sha256_blocks_portable(state, p, blocks);
}
#endif

static void sha256_blocks(uint32_t state[8], const unsigned char *p,
                          size_t blocks)
{
    if (maso_sha256_shani_usable())
        maso_sha256_blocks_shani(state, p, blocks);
    else
        maso_sha256_blocks_portable(state, p, blocks);
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
        sha256_blocks(ctx->state, ctx->buffer, 1);
        ctx->used = 0;
    }
    /* Whole blocks straight from the caller's memory. */
    sha256_blocks(ctx->state, p, size / 64);
    p += size / 64 * 64;
    size %= 64;
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
        sha256_blocks(ctx->state, ctx->buffer, 1);
        ctx->used = 0;
    }
    while (ctx->used < 56)
        ctx->buffer[ctx->used++] = 0;
    for (int i = 0; i < 8; i++)
        ctx->buffer[56 + i] = (unsigned char)(bits >> (56 - 8 * i));
    sha256_blocks(ctx->state, ctx->buffer, 1);
    for (int i = 0; i < 8; i++) {
        digest[4 * i] = (unsigned char)(ctx->state[i] >> 24);
        digest[4 * i + 1] = (unsigned char)(ctx->state[i] >> 16);
        digest[4 * i + 2] = (unsigned char)(ctx->state[i] >> 8);
        digest[4 * i + 3] = (unsigned char)ctx->state[i];
    }
    ctx->used = 0;
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
    maso_sha256 ctx;
    maso_sha256_init(&ctx);
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
        maso_sha256_update(&ctx, buf, (size_t)n);
    }
    close(fd);
    unsigned char digest[32];
    maso_sha256_final(&ctx, digest);
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = digits[digest[i] >> 4];
        hex[2 * i + 1] = digits[digest[i] & 15];
    }
    hex[64] = '\0';
    return 0;
}
