/*
 * test_fp16.c -- binary16 to binary32 (fp16 weights of ncnn .bin files):
 * every one of the 65536 halves, converted one by one and as arrays (the
 * F16C path where the CPU has it, and the scalar one), against a value
 * computed independently from the format's definition with ldexp:
 * (-1)^s 2^(e-15) (1 + m/1024), subnormals m 2^-24.  Arrays of every length
 * and start around the groups of 8, with infinities and NaNs among them,
 * give the scalar conversion's exact bits.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "net/network_internal.h"

static uint32_t bits_of(float f)
{
    uint32_t b;
    memcpy(&b, &f, sizeof b);
    return b;
}

/* The value of half @p h by its definition (NaN for NaNs). */
static double reference(uint16_t h)
{
    int sign = h >> 15, e = (h >> 10) & 31, m = h & 1023;
    double v;
    if (e == 31)
        v = m ? NAN : INFINITY;
    else if (e == 0)
        v = ldexp((double)m, -24);
    else
        v = ldexp(1.0 + m / 1024.0, e - 15);
    return sign ? -v : v;
}

static unsigned char *all_halves(void)
{
    unsigned char *le = malloc(2 * 65536);
    assert_non_null(le);
    for (unsigned i = 0; i < 65536; i++) {
        le[2 * i] = (unsigned char)(i & 255);
        le[2 * i + 1] = (unsigned char)(i >> 8);
    }
    return le;
}

static void test_every_half_by_definition(void **state)
{
    (void)state;
    for (unsigned i = 0; i < 65536; i++) {
        float f = core_fp16_to_fp32((uint16_t)i);
        double want = reference((uint16_t)i);
        if (isnan(want)) {
            assert_true(isnan(f));
            /* the payload kept, the sign too */
            assert_int_equal(bits_of(f) & 0x1fffu, 0);
            assert_int_equal((bits_of(f) >> 13) & 0x3ffu, i & 0x3ffu);
            assert_int_equal(bits_of(f) >> 31, i >> 15);
        } else {
            assert_true((double)f == want);
            assert_int_equal(signbit(f) != 0, (i >> 15) != 0);
        }
    }
}

static void test_arrays_give_the_scalar_bits(void **state)
{
    (void)state;
    unsigned char *le = all_halves();
    float *got = malloc(sizeof(float) * 65536);
    assert_non_null(got);
    for (int vector = 0; vector < 2; vector++) {
        memset(got, 0xAA, sizeof(float) * 65536);
        core_fp16_to_fp32_array(le, 65536, got, vector);
        for (unsigned i = 0; i < 65536; i++)
            assert_int_equal(bits_of(got[i]),
                             bits_of(core_fp16_to_fp32((uint16_t)i)));
    }
    /* every start 0..15 and length 0..40 around the infinities (0x7c00)
     * and NaNs: nothing written outside [start, start + length) */
    for (unsigned base = 0x7bf0; base < 0x7c10; base += 11)
        for (size_t start = 0; start < 16; start++)
            for (size_t len = 0; len <= 40; len++) {
                float out[64];
                memset(out, 0x55, sizeof out);
                core_fp16_to_fp32_array(le + 2 * (base + start), len, out + 1, 1);
                assert_int_equal(bits_of(out[0]), 0x55555555u);
                assert_int_equal(bits_of(out[len + 1]), 0x55555555u);
                for (size_t k = 0; k < len; k++)
                    assert_int_equal(
                        bits_of(out[k + 1]),
                        bits_of(core_fp16_to_fp32(
                            (uint16_t)(base + start + k))));
            }
    free(got);
    free(le);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_half_by_definition),
        cmocka_unit_test(test_arrays_give_the_scalar_bits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
