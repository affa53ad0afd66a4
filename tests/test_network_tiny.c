/* test_network_tiny.c -- a small hand-made network using every supported
 * layer kind (fp16 and fp32 weights, leaky ReLU, padded ceil-mode max pool,
 * Split, BatchNorm, separate ReLU, strided padded conv, padded average pool
 * in valid mode, Concat, Dropout, InnerProduct, Softmax), checked against a
 * direct float64 implementation written here, layer by layer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "maso.h"
#include "network_testutil.h"

#include <math.h>
#include <string.h>

static const char *tiny_param =
    "7767517\n"
    "13 14\n"
    "Input        data 0 1 data 0=10 1=10 2=3\n"
    "Convolution  c1   1 1 data c1 0=3 1=3 3=1 4=1 5=1 6=81 9=2 -23310=1,1.000000e-01\n"
    "Pooling      p1   1 1 c1 p1 0=0 1=2 2=2 3=1\n"
    "Split        sp   1 2 p1 p1a p1b\n"
    "Convolution  c2   1 1 p1a c2 0=5 1=1 5=0 6=15\n"
    "BatchNorm    bn2  1 1 c2 bn2 0=5 1=1e-3\n"
    "ReLU         r2   1 1 bn2 r2\n"
    "Convolution  c3   1 1 p1b c3 0=2 1=3 3=2 4=1 5=1 6=54 9=1\n"
    "Pooling      p2   1 1 r2 p2 0=1 1=3 2=2 3=1 5=1\n"
    "Concat       cat  2 1 p2 c3 cat\n"
    "Dropout      d    1 1 cat d\n"
    "InnerProduct fc   1 1 d fc 0=6 1=1 2=378 9=1\n"
    "Softmax      prob 1 1 fc prob\n";

/* Deterministic pseudo-random numbers. */
static uint32_t rng = 12345;
static double rnd(void)
{
    rng = rng * 1664525u + 1013904223u;
    return (double)(rng >> 8) / (double)(1u << 24) * 2.0 - 1.0; /* [-1, 1) */
}

/* An fp16 bit pattern with a moderate magnitude, and its value computed
 * from the IEEE definition (independent of the library's converter). */
static uint16_t rnd_half(double *value)
{
    rng = rng * 1664525u + 1013904223u;
    uint16_t sign = (rng >> 31) & 1, man = (rng >> 8) & 0x3ff;
    uint16_t exp = 11 + ((rng >> 20) % 4); /* 2^-4 .. 2^-1 */
    *value = (sign ? -1.0 : 1.0) * ldexp(1.0 + man / 1024.0, exp - 15);
    return (uint16_t)(sign << 15 | exp << 10 | man);
}

typedef struct blobd {
    int c, h, w;
    double v[512];
} blobd;

#define AT(b, ch, y, x) ((b)->v[((ch) * (b)->h + (y)) * (b)->w + (x)])

/* Direct convolution; returns pre-activations. */
static void conv_ref(const blobd *in, blobd *out, int m, int k, int s, int pad,
                     const double *w, const double *bias)
{
    out->c = m;
    out->h = (in->h + 2 * pad - k) / s + 1;
    out->w = (in->w + 2 * pad - k) / s + 1;
    for (int o = 0; o < m; o++)
        for (int y = 0; y < out->h; y++)
            for (int x = 0; x < out->w; x++) {
                double sum = bias ? bias[o] : 0.0;
                for (int c = 0; c < in->c; c++)
                    for (int ky = 0; ky < k; ky++)
                        for (int kx = 0; kx < k; kx++) {
                            int iy = y * s + ky - pad, ix = x * s + kx - pad;
                            if (iy >= 0 && iy < in->h && ix >= 0 && ix < in->w)
                                sum += w[((o * in->c + c) * k + ky) * k + kx] *
                                       AT(in, c, iy, ix);
                        }
                AT(out, o, y, x) = sum;
            }
}

typedef struct tiny_ref {
    blobd c1pre, p1, r2pre, c3pre, fcpre;
    int p1arg[512];
    double prob[6];
} tiny_ref;

static double w1[81], b1[3], w2[15], bn[20], w3[54], b3[2], wfc[378], bfc[6];
static uint16_t h1[81], h3[54];

static void write_model(const char *ppath, const char *bpath)
{
    FILE *f = fopen(ppath, "w");
    assert_non_null(f);
    fputs(tiny_param, f);
    fclose(f);
    for (int i = 0; i < 81; i++)
        h1[i] = rnd_half(&w1[i]);
    /* special fp16 values: subnormals and a signed zero */
    h1[0] = 0x0001; w1[0] = ldexp(1.0, -24);
    h1[1] = 0x83ff; w1[1] = -1023.0 * ldexp(1.0, -24);
    h1[2] = 0x8000; w1[2] = 0.0;
    for (int i = 0; i < 3; i++) b1[i] = 0.2 * rnd();
    for (int i = 0; i < 15; i++) w2[i] = (float)rnd();
    for (int i = 0; i < 5; i++) {
        bn[i] = (float)(1.0 + 0.5 * rnd());      /* slope */
        bn[5 + i] = (float)(0.3 * rnd());        /* mean */
        bn[10 + i] = (float)(0.5 + 0.4 * rnd()); /* var */
        bn[15 + i] = (float)(0.2 * rnd());       /* bias */
    }
    for (int i = 0; i < 54; i++) h3[i] = rnd_half(&w3[i]);
    for (int i = 0; i < 2; i++) b3[i] = (float)(0.1 * rnd());
    for (int i = 0; i < 378; i++) wfc[i] = (float)(0.5 * rnd());
    for (int i = 0; i < 6; i++) bfc[i] = (float)(0.1 * rnd());
    f = fopen(bpath, "wb");
    assert_non_null(f);
    uint32_t fp16 = 0x01306B47, fp32 = 0;
    float tmp[378];
    fwrite(&fp16, 4, 1, f);
    fwrite(h1, 2, 81, f);
    fwrite("\0\0", 1, 2, f); /* pad 162 bytes to 164 */
    for (int i = 0; i < 3; i++) tmp[i] = (float)b1[i];
    fwrite(tmp, 4, 3, f);
    fwrite(&fp32, 4, 1, f);
    for (int i = 0; i < 15; i++) tmp[i] = (float)w2[i];
    fwrite(tmp, 4, 15, f);
    for (int i = 0; i < 20; i++) tmp[i] = (float)bn[i];
    fwrite(tmp, 4, 20, f);
    fwrite(&fp16, 4, 1, f);
    fwrite(h3, 2, 54, f);
    for (int i = 0; i < 2; i++) tmp[i] = (float)b3[i];
    fwrite(tmp, 4, 2, f);
    fwrite(&fp32, 4, 1, f);
    for (int i = 0; i < 378; i++) tmp[i] = (float)wfc[i];
    fwrite(tmp, 4, 378, f);
    for (int i = 0; i < 6; i++) tmp[i] = (float)bfc[i];
    fwrite(tmp, 4, 6, f);
    fclose(f);
}

static void reference(const float *input, tiny_ref *r)
{
    blobd in = {3, 10, 10, {0}}, a, c2, r2, p2, c3, cat;
    for (int i = 0; i < 3 * 10 * 10; i++)
        in.v[i] = input[i];
    conv_ref(&in, &r->c1pre, 3, 3, 1, 1, w1, b1);
    a = r->c1pre;
    for (int i = 0; i < a.c * a.h * a.w; i++)
        a.v[i] = a.v[i] > 0 ? a.v[i] : 0.1 * a.v[i];
    /* max pool k2 s2 pad1, ceil mode: 10x10 -> 6x6 (window origin may be in
     * the padding; the winner index counts from that origin) */
    blobd *p1 = &r->p1;
    p1->c = 3; p1->h = 6; p1->w = 6;
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < 6; y++)
            for (int x = 0; x < 6; x++) {
                double best = -INFINITY;
                int arg = -1;
                for (int dy = 0; dy < 2; dy++)
                    for (int dx = 0; dx < 2; dx++) {
                        int iy = 2 * y - 1 + dy, ix = 2 * x - 1 + dx;
                        if (iy < 0 || iy >= a.h || ix < 0 || ix >= a.w)
                            continue;
                        if (AT(&a, c, iy, ix) > best) {
                            best = AT(&a, c, iy, ix);
                            arg = dy * 2 + dx;
                        }
                    }
                AT(p1, c, y, x) = best;
                r->p1arg[(c * 6 + y) * 6 + x] = arg;
            }
    conv_ref(p1, &c2, 5, 1, 1, 0, w2, NULL);
    r->r2pre = c2;
    for (int c = 0; c < 5; c++)
        for (int i = 0; i < 36; i++) {
            double v = bn[c] * (c2.v[c * 36 + i] - bn[5 + c]) /
                           sqrt(bn[10 + c] + 1e-3) + bn[15 + c];
            r->r2pre.v[c * 36 + i] = v;
        }
    r2 = r->r2pre;
    for (int i = 0; i < 180; i++)
        r2.v[i] = r2.v[i] > 0 ? r2.v[i] : 0;
    /* average pool k3 s2 pad1, valid mode: 6x6 -> 3x3, padding not counted */
    p2.c = 5; p2.h = 3; p2.w = 3;
    for (int c = 0; c < 5; c++)
        for (int y = 0; y < 3; y++)
            for (int x = 0; x < 3; x++) {
                double sum = 0;
                int n = 0;
                for (int dy = 0; dy < 3; dy++)
                    for (int dx = 0; dx < 3; dx++) {
                        int iy = 2 * y - 1 + dy, ix = 2 * x - 1 + dx;
                        if (iy >= 0 && iy < 6 && ix >= 0 && ix < 6) {
                            sum += AT(&r2, c, iy, ix);
                            n++;
                        }
                    }
                AT(&p2, c, y, x) = sum / n;
            }
    conv_ref(p1, &r->c3pre, 2, 3, 2, 1, w3, b3);
    c3 = r->c3pre;
    for (int i = 0; i < 18; i++)
        c3.v[i] = c3.v[i] > 0 ? c3.v[i] : 0;
    cat.c = 7; cat.h = 3; cat.w = 3;
    memcpy(cat.v, p2.v, sizeof(double) * 45);
    memcpy(cat.v + 45, c3.v, sizeof(double) * 18);
    r->fcpre.c = 6; r->fcpre.h = r->fcpre.w = 1;
    double mx = -INFINITY, sum = 0, fc[6];
    for (int o = 0; o < 6; o++) {
        double s = bfc[o];
        for (int i = 0; i < 63; i++)
            s += wfc[o * 63 + i] * cat.v[i];
        r->fcpre.v[o] = s;
        fc[o] = s > 0 ? s : 0;
        mx = fmax(mx, fc[o]);
    }
    for (int o = 0; o < 6; o++)
        sum += exp(fc[o] - mx);
    for (int o = 0; o < 6; o++)
        r->prob[o] = exp(fc[o] - mx) / sum;
}

static void check_relu_section(const maso_code_layer *l, const uint8_t *code,
                               const blobd *pre, const char *name)
{
    assert_string_equal(l->name, name);
    assert_int_equal(l->kind, MASO_LAYER_RELU);
    assert_int_equal(l->channels, pre->c);
    assert_int_equal(l->height, pre->h);
    assert_int_equal(l->width, pre->w);
    for (size_t i = 0; i < l->units; i++)
        assert_int_equal((code[l->offset + i / 8] >> (i % 8)) & 1,
                         pre->v[i] > 0);
}

static void test_tiny_network(void **state)
{
    (void)state;
    const char *ppath = MASO_TEST_TMPDIR "/tiny.param";
    const char *bpath = MASO_TEST_TMPDIR "/tiny.bin";
    write_model(ppath, bpath);
    maso_model *m = NULL;
    assert_int_equal(maso_model_create(&m), 0);
    if (maso_model_load(m, ppath, bpath))
        fail_msg("%s", maso_model_errmsg(m));
    assert_int_equal(maso_model_output_size(m), 6);
    const maso_code_layer *l;
    assert_int_equal(maso_model_code_layers(m, &l), 5);
    maso_forward *fw = NULL;
    assert_int_equal(maso_forward_create(m, &fw), 0);
    uint8_t code[5 * 64];
    assert_int_equal(maso_model_code_bytes(m), sizeof code);
    for (int trial = 0; trial < 20; trial++) {
        float input[300], out[6];
        for (int i = 0; i < 300; i++)
            input[i] = (float)rnd();
        tiny_ref r;
        reference(input, &r);
        assert_int_equal(maso_forward_run(fw, input, code, out), 0);
        for (int o = 0; o < 6; o++)
            assert_float_equal(out[o], r.prob[o], 1e-5);
        check_relu_section(&l[0], code, &r.c1pre, "c1");
        assert_string_equal(l[1].name, "p1");
        assert_int_equal(l[1].kind, MASO_LAYER_MAXPOOL);
        assert_int_equal(l[1].window, 4);
        assert_int_equal(l[1].bits_per_unit, 4);
        assert_int_equal(l[1].units, 108);
        for (size_t i = 0; i < 108; i++)
            assert_int_equal((code[l[1].offset + i / 2] >> (i % 2 * 4)) & 15,
                             r.p1arg[i]);
        check_relu_section(&l[2], code, &r.r2pre, "r2");
        check_relu_section(&l[3], code, &r.c3pre, "c3");
        check_relu_section(&l[4], code, &r.fcpre, "fc");
        /* intermediate blobs by name, incl. the Split alias */
        int c, h, w;
        const float *p1 = maso_forward_blob(fw, "p1b", &c, &h, &w);
        assert_non_null(p1);
        assert_true(c == 3 && h == 6 && w == 6);
        for (int i = 0; i < 108; i++)
            assert_float_equal(p1[i], r.p1.v[i], 1e-5);
        const float *cat = maso_forward_blob(fw, "d", &c, &h, &w);
        assert_true(cat && c == 7 && h == 3 && w == 3);
    }
    maso_forward_destroy(fw);
    maso_model_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tiny_network),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
