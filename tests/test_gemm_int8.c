/* test_gemm_int8.c -- the int8 convolution GEMM (core/kernels/gemm_int8*.c;
 * the 256-bit VNNI set runs here in its AVX-512 VL encoding when the CPU
 * has no AVX-VNNI)
 * against a reference written here from the definition in gemm_int8.h:
 * weights rounded per row to int8 and inputs per tensor to uint8 by this
 * file's own code, sums in int64 over plain row-major matrices (no packed
 * layout), the epilogue's float operations spelled out.  Every kernel set
 * the CPU runs (scalar, AVX2, AVX-512 VNNI) must match it bit for bit, in
 * the stored floats, in the code bits and in leaving the row stride's gap
 * untouched, on shapes that hit every tile width and tail, and on the
 * extreme values (255 x +-127 over a long K) that would saturate AVX2's
 * 16-bit vpmaddubsw. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "kernels/gemm_int8_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint32_t rng = 123456789u;
static uint32_t next(void)
{
    rng = rng * 1664525u + 1013904223u;
    return rng >> 8;
}
static float rnd(void) /* [-1, 1) */
{
    return (float)((double)next() / (double)(1u << 24) * 2.0 - 1.0);
}

/* Packed input from a plain K x N uint8 matrix, as the layout says. */
static uint8_t *pack_input(const uint8_t *x, int k, int n)
{
    const int kp = (k + 3) / 4 * 4;
    uint8_t *b = calloc((size_t)kp * n, 1);
    assert_non_null(b);
    for (int p = 0; p < k; p++)
        for (int j = 0; j < n; j++)
            b[((size_t)(p / 4) * n + j) * 4 + p % 4] = x[(size_t)p * n + j];
    return b;
}

static const char *isa_name(core_gemm8_isa isa)
{
    return isa == CORE_GEMM8_AVX512VNNI ? "avx512-vnni"
           : isa == CORE_GEMM8_VNNI256  ? "vnni-256"
           : isa == CORE_GEMM8_AVX2     ? "avx2"
                                        : "scalar";
}

/* One product M x K times K x N (inputs below 256 levels: @p x_max), row
 * stride ldc = N + 5, through every set the CPU runs. */
static void check_shape(int m, int n, int k, core_act act, int extreme)
{
    const size_t ldc = (size_t)n + 5;
    float *w = malloc(sizeof(float) * (size_t)m * k);
    int8_t *wq = malloc((size_t)m * k);
    float *ws = malloc(sizeof(float) * (size_t)m);
    uint8_t *x = malloc((size_t)k * n);
    float *bias = malloc(sizeof(float) * (size_t)m);
    int8_t *packed = malloc(core_gemm8_packed_bytes(m, k));
    float *want = malloc(sizeof(float) * (size_t)m * ldc);
    float *got = malloc(sizeof(float) * (size_t)m * ldc);
    size_t bit_bytes = ((size_t)m * n + 7) / 8 + 64;
    uint8_t *want_bits = calloc(bit_bytes, 1), *got_bits = calloc(bit_bytes, 1);
    assert_true(w && wq && ws && x && bias && packed && want && got &&
                want_bits && got_bits);
    for (size_t i = 0; i < (size_t)m * k; i++)
        w[i] = extreme ? (i % 3 ? -1.0f : 1.0f) : rnd();
    if (m > 2)
        for (int p = 0; p < k; p++)
            w[(size_t)2 * k + p] = 0.0f; /* an all-zero row: scale 1 */
    for (size_t i = 0; i < (size_t)k * n; i++)
        x[i] = extreme ? 255 : (uint8_t)(next() & 255);
    for (int i = 0; i < m; i++)
        bias[i] = extreme ? 0.0f : 40.0f * rnd();
    const float sa = 0.0137f;

    /* rounding of the weights, from the definition */
    for (int r = 0; r < m; r++) {
        float top = 0.0f;
        for (int p = 0; p < k; p++)
            top = fmaxf(top, fabsf(w[(size_t)r * k + p]));
        ws[r] = top > 0.0f ? top / 127.0f : 1.0f;
        for (int p = 0; p < k; p++)
            wq[(size_t)r * k + p] =
                (int8_t)rintf(w[(size_t)r * k + p] / ws[r]);
    }
    float *got_scale = malloc(sizeof(float) * (size_t)m);
    assert_non_null(got_scale);
    core_gemm8_pack(w, m, k, packed, got_scale);
    assert_memory_equal(got_scale, ws, sizeof(float) * (size_t)m);

    /* the reference product and epilogue */
    for (size_t i = 0; i < (size_t)m * ldc; i++)
        want[i] = -7.0f;
    for (int r = 0; r < m; r++)
        for (int j = 0; j < n; j++) {
            long long s = 0;
            for (int p = 0; p < k; p++)
                s += (long long)wq[(size_t)r * k + p] * x[(size_t)p * n + j];
            float y = (float)(int32_t)s * (ws[r] * sa);
            y = y + bias[r];
            int pos = y > 0.0f;
            if (!pos && act == CORE_ACT_RELU)
                y = 0.0f;
            else if (!pos && act == CORE_ACT_LEAKY)
                y = y * 0.1f;
            want[(size_t)r * ldc + j] = y;
            size_t bit = (size_t)r * n + j;
            if (pos && act != CORE_ACT_NONE)
                want_bits[bit / 8] |= (uint8_t)(1u << (bit % 8));
        }

    uint8_t *b = pack_input(x, k, n);
    const core_gemm8_args a = {packed, ws, b, sa, m, n, k};
    for (int isa = CORE_GEMM8_SCALAR; isa <= CORE_GEMM8_AVX512VNNI; isa++) {
        if (core_gemm8_best((core_gemm8_isa)isa) != (core_gemm8_isa)isa)
            continue; /* this CPU lacks it */
        for (size_t i = 0; i < (size_t)m * ldc; i++)
            got[i] = -7.0f;
        memset(got_bits, 0, bit_bytes);
        core_gemm_out o = {got, ldc, bias, act, 0.1f, got_bits};
        core_gemm8_run((core_gemm8_isa)isa, &a, &o);
        if (memcmp(got, want, sizeof(float) * (size_t)m * ldc) != 0 ||
            memcmp(got_bits, want_bits, bit_bytes) != 0)
            fail_msg("%s: %dx%dx%d act %d extreme %d differs from the "
                     "reference", isa_name((core_gemm8_isa)isa), m, n, k,
                     (int)act, extreme);
    }
    free(b);
    free(got_scale);
    free(w);
    free(wq);
    free(ws);
    free(x);
    free(bias);
    free(packed);
    free(want);
    free(got);
    free(want_bits);
    free(got_bits);
}

static void test_shapes(void **state)
{
    (void)state;
    static const int ms[] = {1, 3, 4, 5, 8, 13, 16, 64};
    static const int ns[] = {1, 7, 8, 9, 15, 16, 17, 33, 48, 49, 100};
    static const int ks[] = {1, 3, 4, 5, 27, 144};
    for (size_t a = 0; a < sizeof ms / sizeof *ms; a++)
        for (size_t b = 0; b < sizeof ns / sizeof *ns; b++)
            for (size_t c = 0; c < sizeof ks / sizeof *ks; c++)
                check_shape(ms[a], ns[b], ks[c],
                            (core_act)((a + b + c) % 3), 0);
}

/* SqueezeNet's largest layers: conv10 (1000 x 169 x 512) and an expand3x3. */
static void test_network_shapes(void **state)
{
    (void)state;
    check_shape(1000, 169, 512, CORE_ACT_RELU, 0);
    check_shape(64, 3136, 144, CORE_ACT_RELU, 0);
}

/* All products at their extremes: sums of 255 x 127 over K = 4608 (a 3x3
 * convolution of 512 channels) are exact only in 32 bits. */
static void test_extremes(void **state)
{
    (void)state;
    check_shape(9, 21, 4608, CORE_ACT_NONE, 1);
    check_shape(9, 21, 4608, CORE_ACT_RELU, 1);
}

static core_gemm8_isa sets[4];
static int n_sets;

/* The kernel sets this CPU runs. */
static void find_sets(void)
{
    n_sets = 0;
    for (int isa = CORE_GEMM8_SCALAR; isa <= CORE_GEMM8_AVX512VNNI; isa++)
        if (core_gemm8_best((core_gemm8_isa)isa) == (core_gemm8_isa)isa)
            sets[n_sets++] = (core_gemm8_isa)isa;
}

/* Rounding to uint8 (half to even, clamped) and the 4-channel pixel
 * words, with 6 channels (a partial group) of 19 pixels (a vector tail). */
static void test_input_rounding(void **state)
{
    (void)state;
    find_sets();
    enum { C = 6, P = 19 };
    float x[C * P];
    uint8_t want[8 * P];
    static const float tricky[] = {0.0f, -3.0f, 0.5f, 1.5f, 2.5f, 254.49f,
                                   254.5f, 255.0f, 255.4f, 1.0f};
    static const uint8_t tricky_q[] = {0, 0, 0, 2, 2, 254, 254, 255, 255, 1};
    for (int ch = 0; ch < C; ch++)
        for (int p = 0; p < P; p++) {
            int i = (ch * P + p) % 10;
            x[ch * P + p] = tricky[i];
            want[((ch / 4) * P + p) * 4 + ch % 4] = tricky_q[i];
        }
    for (int p = 0; p < P; p++)
        want[(1 * P + p) * 4 + 2] = want[(1 * P + p) * 4 + 3] = 0;
    for (int s = 0; s < n_sets; s++) {
        assert_true(core_gemm8_input_scale(sets[s], x, C * P) ==
                    255.4f / 255.0f);
        uint8_t got[8 * P];
        memset(got, 0xee, sizeof got);
        core_gemm8_pack_pixels(sets[s], x, C, P, 1.0f, NULL, got);
        if (memcmp(got, want, sizeof want) != 0)
            fail_msg("%s: pixel words differ", isa_name(sets[s]));
        /* an offset per channel is added before rounding: pixels - mean
         * come back as the pixels */
        const float mean[C] = {104, 117, 123, 0.5f, 2, 250};
        float shifted[C * P];
        for (int ch = 0; ch < C; ch++)
            for (int p = 0; p < P; p++)
                shifted[ch * P + p] = x[ch * P + p] - mean[ch];
        memset(got, 0xee, sizeof got);
        core_gemm8_pack_pixels(sets[s], shifted, C, P, 1.0f, mean, got);
        for (int ch = 0; ch < C; ch++)
            for (int p = 0; p < P; p++) {
                float v = rintf(shifted[ch * P + p] + mean[ch]);
                uint8_t q = (uint8_t)(v > 255 ? 255 : v > 0 ? v : 0);
                if (got[((ch / 4) * P + p) * 4 + ch % 4] != q)
                    fail_msg("%s: offset pixel %d of channel %d",
                             isa_name(sets[s]), p, ch);
            }
        const float zeros[3] = {0.0f, -1.0f, 0.0f};
        assert_true(core_gemm8_input_scale(sets[s], zeros, 3) == 1.0f);
    }
}

/* Rounding with scales that are not 1: quotients at and a few float
 * steps around every half-integer -19.5 .. 279.5 (ties to even, both
 * clamps), NaN, infinities and a huge value (255, not the vector
 * conversion's INT_MIN), against rintf(x / scale) clamped to 0 .. 255
 * written here, for several scales (maxima / 255 as layers give them). */
static void test_rounding_near_ties(void **state)
{
    (void)state;
    find_sets();
    static const float maxima[] = {1.0f, 7.3f, 0.0123f, 3.9e4f, 255.0f,
                                   1e-30f, 0.7071f};
    enum { STEPS = 9, P = 300 * STEPS };
    float *x = malloc(sizeof(float) * P);
    uint8_t *want = malloc(4 * P), *got = malloc(4 * P);
    assert_true(x && want && got);
    for (size_t m = 0; m < sizeof maxima / sizeof maxima[0]; m++) {
        const float scale = maxima[m] / 255.0f;
        for (int k = 0; k < 300; k++) {
            float tie = ((float)k - 20.0f + 0.5f) * scale; /* -19.5 .. 279.5 */
            float lo = tie, hi = tie;
            for (int d = 0; d < 4; d++) {
                lo = nextafterf(lo, -INFINITY);
                hi = nextafterf(hi, INFINITY);
            }
            for (int d = 0; d < STEPS; d++) {
                x[k * STEPS + d] = lo;
                lo = nextafterf(lo, INFINITY);
            }
        }
        x[0] = NAN;
        x[1] = INFINITY;
        x[2] = -INFINITY;
        x[3] = 3e38f;
        for (int p = 0; p < P; p++) {
            float v = rintf(x[p] / scale);
            want[p * 4] = (uint8_t)(v > 255.0f ? 255.0f : v > 0.0f ? v : 0.0f);
            want[p * 4 + 1] = want[p * 4 + 2] = want[p * 4 + 3] = 0;
        }
        for (int s = 0; s < n_sets; s++) {
            memset(got, 0xee, 4 * P);
            core_gemm8_pack_pixels(sets[s], x, 1, P, scale, NULL, got);
            for (int p = 0; p < P; p++)
                if (got[p * 4] != want[p * 4] || got[p * 4 + 1] != 0)
                    fail_msg("%s: scale %g: %.9g rounds to %d, want %d",
                             isa_name(sets[s]), (double)scale, (double)x[p],
                             got[p * 4], want[p * 4]);
        }
    }
    free(x);
    free(want);
    free(got);
}

/* Full 4-channel groups (the AVX-512 packing's inlined path) near ties,
 * and scales whose reciprocal is not a normal float (that packing then
 * divides throughout): every byte against rintf(x / scale) clamped, and
 * the maximum of 200 values (four running maxima and tails) with the
 * largest in every position, NaNs among them, against a plain loop. */
static void test_rounding_groups(void **state)
{
    (void)state;
    find_sets();
    static const float scales[] = {7.3f / 255.0f, 0.0123f / 255.0f, 1e-40f,
                                   0x1p126f, 1.0f};
    enum { C = 8, P = 37 };
    float x[C * P];
    uint8_t want[C * P], got[C * P];
    for (size_t m = 0; m < sizeof scales / sizeof scales[0]; m++) {
        const float scale = scales[m];
        for (int i = 0; i < C * P; i++) {
            float q = (float)(i % 263) - 3.0f + ((i / 263) % 2 ? 0.5f : 0.0f);
            float v = q * scale;
            for (int d = 0; d < (i % 5) - 2; d++)
                v = nextafterf(v, INFINITY);
            for (int d = 0; d < 2 - (i % 5); d++)
                v = nextafterf(v, -INFINITY);
            x[i] = v;
        }
        for (int ch = 0; ch < C; ch++)
            for (int p = 0; p < P; p++) {
                float v = rintf(x[ch * P + p] / scale);
                want[((ch / 4) * P + p) * 4 + ch % 4] =
                    (uint8_t)(v > 255.0f ? 255.0f : v > 0.0f ? v : 0.0f);
            }
        for (int s = 0; s < n_sets; s++) {
            memset(got, 0xee, sizeof got);
            core_gemm8_pack_pixels(sets[s], x, C, P, scale, NULL, got);
            if (memcmp(got, want, sizeof want) != 0)
                fail_msg("%s: scale %g: 4-channel words differ",
                         isa_name(sets[s]), (double)scale);
        }
    }
    float y[200];
    for (int top = 0; top < 200; top++) {
        for (int i = 0; i < 200; i++)
            y[i] = (float)(i % 17) * 0.25f;
        y[(top + 7) % 200] = NAN;
        y[top] = 9.5f;
        for (int s = 0; s < n_sets; s++)
            if (core_gemm8_input_scale(sets[s], y, 200) != 9.5f / 255.0f)
                fail_msg("%s: maximum at %d missed", isa_name(sets[s]), top);
    }
}

/* One convolution through core_conv8_run() against a direct convolution
 * of the rounded weights and input written from the definition. */
static void check_conv_mean(int cin, int h, int w, int cout, int k,
                            int stride, int pad, const float *mean)
{
    core_conv_desc c;
    memset(&c, 0, sizeof c);
    c.num_output = cout;
    c.kw = c.kh = k;
    c.dw = c.dh = 1;
    c.sw = c.sh = stride;
    c.pad_l = c.pad_r = c.pad_t = c.pad_b = pad;
    c.act = CORE_ACT_RELU;
    const core_shape in = {cin, h, w};
    const core_shape out = {cout, (h + 2 * pad - k) / stride + 1,
                            (w + 2 * pad - k) / stride + 1};
    const size_t taps = (size_t)k * k, n = (size_t)out.h * out.w;
    float *weight = malloc(sizeof(float) * cout * cin * taps);
    float *bias = malloc(sizeof(float) * cout);
    float *x = malloc(sizeof(float) * cin * h * w);
    float *want = malloc(sizeof(float) * cout * n);
    float *got = malloc(sizeof(float) * cout * n);
    float *scales = malloc(sizeof(float) * cout);
    int8_t *packed = malloc(core_gemm8_packed_bytes(cout, core_conv8_k(&c, cin)));
    void *ws = malloc(core_conv8_workspace(&c, in, out));
    assert_true(weight && bias && x && want && got && scales && packed && ws);
    for (size_t i = 0; i < (size_t)cout * cin * taps; i++)
        weight[i] = rnd();
    for (int i = 0; i < cout; i++)
        bias[i] = rnd();
    float top = 0.0f;
    for (size_t i = 0; i < (size_t)cin * h * w; i++) {
        x[i] = i % 5 == 0 ? 0.0f : 3.0f * fabsf(rnd());
        if (mean) /* pixel - mean */
            x[i] = (float)(next() & 255) - mean[i / ((size_t)h * w)];
        top = fmaxf(top, x[i]);
    }
    c.weight = weight;
    c.bias = bias;
    assert_int_equal(core_conv8_pack_weights(&c, cin, packed, scales), 0);
    c.qweight = packed;
    c.qscale = scales;
    if (mean)
        assert_int_equal(core_conv8_fold_offset(&c, cin, mean), 0);
    const float sa = mean ? 1.0f : top / 255.0f;
    for (int o = 0; o < cout; o++) {
        float wmax = 0.0f;
        for (size_t i = 0; i < cin * taps; i++)
            wmax = fmaxf(wmax, fabsf(weight[o * cin * taps + i]));
        const float sw = wmax / 127.0f;
        /* the first layer: bias - sw * sum of mean x weights */
        double fold = 0;
        for (int ch = 0; mean && ch < cin; ch++)
            for (size_t t = 0; t < taps; t++)
                fold += (double)mean[ch] *
                        lrintf(weight[(o * cin + ch) * taps + t] / sw);
        const float b = mean ? (float)((double)bias[o] - sw * fold) : bias[o];
        for (int oy = 0; oy < out.h; oy++)
            for (int ox = 0; ox < out.w; ox++) {
                long long sum = 0;
                for (int ch = 0; ch < cin; ch++)
                    for (int ky = 0; ky < k; ky++)
                        for (int kx = 0; kx < k; kx++) {
                            int iy = oy * stride - pad + ky;
                            int ix = ox * stride - pad + kx;
                            if (iy < 0 || iy >= h || ix < 0 || ix >= w)
                                continue;
                            long q = lrintf(
                                (x[(ch * h + iy) * w + ix] +
                                 (mean ? mean[ch] : 0.0f)) / sa);
                            long wq = lrintf(
                                weight[((o * cin + ch) * k + ky) * k + kx] /
                                sw);
                            sum += q * wq;
                        }
                float y = (float)(int32_t)sum * (sw * sa);
                y = y + b;
                want[o * n + oy * out.w + ox] = y > 0.0f ? y : 0.0f;
            }
    }
    for (int s = 0; s < n_sets; s++) {
        c.qisa = (int)sets[s];
        memset(got, 0, sizeof(float) * cout * n);
        core_gemm_out o = {got, n, mean ? c.qbias : bias, CORE_ACT_RELU, 0.0f,
                           NULL};
        core_conv8_run(&c, in, x, out, &o, ws);
        if (memcmp(got, want, sizeof(float) * cout * n) != 0)
            fail_msg("%s: conv %dx%dx%d -> %d, %dx%d stride %d pad %d "
                     "differs", isa_name(sets[s]), cin, h, w, cout, k, k,
                     stride, pad);
    }
    free(weight);
    free(bias);
    free(x);
    free(want);
    free(got);
    free(scales);
    free(packed);
    free(ws);
    free(c.qoffset);
    free(c.qbias);
    free(c.qsums);
}

static void check_conv(int cin, int h, int w, int cout, int k, int stride,
                       int pad)
{
    check_conv_mean(cin, h, w, cout, k, stride, pad, NULL);
}

static void test_convolutions(void **state)
{
    (void)state;
    find_sets();
    check_conv(16, 9, 11, 24, 3, 1, 1);  /* SqueezeNet's expand3x3 */
    check_conv(6, 7, 7, 5, 3, 1, 1);     /* channels not a multiple of 4 */
    check_conv(5, 13, 10, 9, 3, 2, 0);   /* stride 2, no padding */
    check_conv(32, 8, 8, 17, 1, 1, 0);   /* pointwise: no im2col */
    check_conv(3, 6, 6, 4, 1, 2, 1);     /* 1x1 with stride and padding */
    check_conv(7, 5, 5, 3, 5, 1, 0);     /* the whole input: one column */
    /* rows of more than one vector of 16 words (AVX-512 im2col), with
     * borders at both ends */
    check_conv(8, 4, 37, 8, 3, 1, 1);    /* stride 1, 37 wide */
    check_conv(4, 5, 40, 8, 3, 2, 1);    /* stride 2 with padding */
    check_conv(4, 6, 70, 8, 3, 2, 0);    /* stride 2, 34 columns */
    check_conv(4, 6, 35, 8, 5, 1, 2);    /* two columns of padding */
    check_conv(4, 9, 41, 8, 5, 2, 3);    /* stride 2, wide padding */
    /* SqueezeNet's conv1 on pixels minus the mean (integers, scale 1) */
    static const float mean[3] = {104, 117, 123};
    check_conv_mean(3, 15, 17, 64, 3, 2, 0, mean);
}

/* The choice never exceeds the limit, and the scalar set is always there. */
static void test_choice(void **state)
{
    (void)state;
    assert_int_equal(core_gemm8_best(CORE_GEMM8_SCALAR), CORE_GEMM8_SCALAR);
    assert_true(core_gemm8_best(CORE_GEMM8_AVX2) <= CORE_GEMM8_AVX2);
    assert_true(core_gemm8_best(CORE_GEMM8_AVX512VNNI) >=
                core_gemm8_best(CORE_GEMM8_AVX2));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shapes),
        cmocka_unit_test(test_network_shapes),
        cmocka_unit_test(test_extremes),
        cmocka_unit_test(test_input_rounding),
        cmocka_unit_test(test_rounding_near_ties),
        cmocka_unit_test(test_rounding_groups),
        cmocka_unit_test(test_convolutions),
        cmocka_unit_test(test_choice),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
