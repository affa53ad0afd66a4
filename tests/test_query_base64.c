/* test_query_base64.c -- maso-query's base64 (HTML data URIs) against the
 * RFC 4648 section 10 test vectors, and every byte value round-tripped
 * through an independent decoder written here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "thumb.h"

static void test_rfc4648_vectors(void **state)
{
    (void)state;
    static const char *const in[] = { "", "f", "fo", "foo", "foob", "fooba",
                                      "foobar" };
    static const char *const out[] = { "", "Zg==", "Zm8=", "Zm9v",
                                       "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };
    for (size_t i = 0; i < 7; i++) {
        char *s = base64_encode((const unsigned char *)in[i], strlen(in[i]));
        assert_non_null(s);
        assert_string_equal(s, out[i]);
        free(s);
    }
}

static int value(char c)
{
    const char *a =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *p = strchr(a, c);
    return p && c ? (int)(p - a) : -1;
}

static void test_all_bytes_round_trip(void **state)
{
    (void)state;
    unsigned char data[256], back[256];
    for (int i = 0; i < 256; i++)
        data[i] = (unsigned char)(255 - i);
    for (size_t n = 250; n <= 256; n++) {
        char *s = base64_encode(data, n);
        assert_int_equal(strlen(s), (n + 2) / 3 * 4);
        /* Decode bit by bit: 6 bits per character, padding ignored. */
        size_t bits = 0, out = 0;
        unsigned acc = 0;
        for (const char *c = s; *c && *c != '='; c++) {
            assert_true(value(*c) >= 0);
            acc = acc << 6 | (unsigned)value(*c);
            bits += 6;
            if (bits >= 8) {
                back[out++] = (unsigned char)(acc >> (bits - 8));
                bits -= 8;
                acc &= (1u << bits) - 1;
            }
        }
        assert_int_equal(out, n);
        assert_memory_equal(back, data, n);
        free(s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc4648_vectors),
        cmocka_unit_test(test_all_bytes_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
