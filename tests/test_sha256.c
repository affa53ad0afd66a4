/*
 * test_sha256.c -- maso_sha256_* against known answers: the FIPS 180-4 /
 * NIST example messages, padding-boundary lengths (digests from coreutils
 * sha256sum), the file helper and its errors, and the model file against
 * the sum recorded in its SOURCE.md.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "maso.h"

static void to_hex(const unsigned char d[32], char hex[65])
{
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

/* Digest of @p msg hashed in pieces of @p chunk bytes (0 = one update). */
static void hash_chunks(const void *msg, size_t len, size_t chunk,
                        char hex[65])
{
    maso_sha256 ctx;
    unsigned char d[32];
    const unsigned char *p = msg;
    maso_sha256_init(&ctx);
    if (chunk == 0)
        chunk = len ? len : 1;
    for (size_t off = 0; off < len; off += chunk)
        maso_sha256_update(&ctx, p + off, len - off < chunk ? len - off : chunk);
    maso_sha256_final(&ctx, d);
    to_hex(d, hex);
}

static void test_nist_vectors(void **state)
{
    (void)state;
    static const struct {
        const char *msg, *hex;
    } v[] = {
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abc",
         "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        /* 448 bits: the padding needs a second block */
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
        {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
         "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
    };
    char hex[65];
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        size_t len = strlen(v[i].msg);
        /* whole, then byte by byte, then in 7-byte pieces */
        hash_chunks(v[i].msg, len, 0, hex);
        assert_string_equal(hex, v[i].hex);
        hash_chunks(v[i].msg, len, 1, hex);
        assert_string_equal(hex, v[i].hex);
        hash_chunks(v[i].msg, len, 7, hex);
        assert_string_equal(hex, v[i].hex);
    }
}

static void test_million_a(void **state)
{
    (void)state;
    /* One million 'a' fed in pieces of odd, varying sizes that straddle
     * block boundaries in every way. */
    static const size_t sizes[] = {1, 3, 63, 64, 65, 127, 5, 1000, 17, 4099};
    char chunk[4099];
    memset(chunk, 'a', sizeof chunk);
    maso_sha256 ctx;
    maso_sha256_init(&ctx);
    size_t left = 1000000, k = 0;
    while (left > 0) {
        size_t n = sizes[k++ % (sizeof sizes / sizeof sizes[0])];
        if (n > left)
            n = left;
        maso_sha256_update(&ctx, chunk, n);
        left -= n;
    }
    unsigned char d[32];
    char hex[65];
    maso_sha256_final(&ctx, d);
    to_hex(d, hex);
    assert_string_equal(
        hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void test_padding_boundaries(void **state)
{
    (void)state;
    /* n times 'a' where n sits at the edges of the padding rule (55 fits
     * one block, 56 does not; 64/119/120 likewise one block further).
     * Expected values: `printf aaa... | sha256sum` (GNU coreutils). */
    static const struct {
        size_t n;
        const char *hex;
    } v[] = {
        {55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
        {56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
        {63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"},
        {64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
        {65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0"},
        {119,
         "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"},
        {120,
         "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c"},
    };
    char msg[120], hex[65];
    memset(msg, 'a', sizeof msg);
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        for (size_t chunk = 0; chunk <= 66; chunk += 11) {
            hash_chunks(msg, v[i].n, chunk, hex);
            assert_string_equal(hex, v[i].hex);
        }
    }
}

static void write_file(const char *path, const void *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, size, f), size);
    assert_int_equal(fclose(f), 0);
}

static void test_file(void **state)
{
    (void)state;
    char path[4096], hex[65];
    snprintf(path, sizeof path, "%s/test_sha256_%ld.txt", MASO_TEST_TMPDIR,
             (long)getpid());

    write_file(path, "abc", 3);
    assert_int_equal(maso_sha256_file(path, hex), 0);
    assert_string_equal(
        hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

    /* larger than the helper's read buffer: a million 'a' */
    char *big = malloc(1000000);
    assert_non_null(big);
    memset(big, 'a', 1000000);
    write_file(path, big, 1000000);
    free(big);
    assert_int_equal(maso_sha256_file(path, hex), 0);
    assert_string_equal(
        hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");

    write_file(path, "", 0);
    assert_int_equal(maso_sha256_file(path, hex), 0);
    assert_string_equal(
        hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_int_equal(unlink(path), 0);

    /* errors come back as errno values */
    assert_int_equal(maso_sha256_file(path, hex), ENOENT);
    assert_int_equal(maso_sha256_file(MASO_TEST_TMPDIR, hex), EISDIR);
    assert_int_equal(maso_sha256_file(NULL, hex), EINVAL);
}

/* The sha256 that SOURCE.md lists for @p name ("<64 hex>  <name>"). */
static int source_md_sum(const char *source_md, const char *name,
                         char hex[65])
{
    FILE *f = fopen(source_md, "r");
    if (f == NULL)
        return -1;
    char line[1024];
    int found = -1;
    while (found && fgets(line, sizeof line, f)) {
        char sum[65], file[512];
        if (sscanf(line, " %64[0-9a-f] %511s", sum, file) == 2 &&
            strlen(sum) == 64 && strcmp(file, name) == 0) {
            memcpy(hex, sum, 65);
            found = 0;
        }
    }
    fclose(f);
    return found;
}

static void test_model_file(void **state)
{
    (void)state;
    const char *dir = MASO_SHARED_DIR "/models/squeezenet_v1.1";
    static const char *const files[] = {"squeezenet_v1.1.param",
                                        "squeezenet_v1.1.bin"};
    char expect[65], hex[65], source[4096], path[4096];
    snprintf(source, sizeof source, "%s/SOURCE.md", dir);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(source_md_sum(source, files[i], expect), 0);
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        assert_int_equal(maso_sha256_file(path, hex), 0);
        assert_string_equal(hex, expect);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nist_vectors),
        cmocka_unit_test(test_million_a),
        cmocka_unit_test(test_padding_boundaries),
        cmocka_unit_test(test_file),
        cmocka_unit_test(test_model_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
