/*
 * make_seeds.c -- writes the seed corpus of the harnesses (fuzz/corpus/),
 * every file made by our code or the libraries we use (TurboJPEG, libpng,
 * the store's own API), so the corpus is ours and can be made again:
 *     make_seeds fuzz/corpus
 * Seeds are small on purpose: libFuzzer mutates them fastest.
 */
#include <errno.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <turbojpeg.h>

#include "image_fixtures.h"
#include "maso.h"
#include "maso_cli.h"
#include "maso_store.h"
#include "store_testutil.h"

static const char *top;
static const unsigned char sep[4] = {0, 0, 0xff, 0};

static void put(const char *target, const char *name, const void *a,
                size_t na, const void *b, size_t nb)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", top, target);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/%s/%s", top, target, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(a, 1, na, f) != na ||
        (b && (fwrite(sep, 1, 4, f) != 4 || fwrite(b, 1, nb, f) != nb)) ||
        fclose(f)) {
        perror(path);
        exit(1);
    }
}

static unsigned char *pattern(int w, int h, int ch)
{
    unsigned char *p = malloc((size_t)w * h * ch);
    uint32_t s = 7;
    for (size_t i = 0; i < (size_t)w * h * ch; i++)
        p[i] = (unsigned char)((i * 7 + (fx_rand(&s) & 15)) & 255);
    return p;
}

static void jpegs(void)
{
    unsigned char *rgb = pattern(24, 16, 3), *g = pattern(24, 16, 1);
    unsigned char *cmyk = pattern(24, 16, 4);
    struct { const char *name; unsigned char *px; int pf, ss, flags; } v[] = {
        {"baseline420.jpg", rgb, TJPF_RGB, TJSAMP_420, 0},
        {"baseline444.jpg", rgb, TJPF_RGB, TJSAMP_444, 0},
        {"progressive420.jpg", rgb, TJPF_RGB, TJSAMP_420, TJFLAG_PROGRESSIVE},
        {"grey.jpg", g, TJPF_GRAY, TJSAMP_GRAY, 0},
        {"cmyk.jpg", cmyk, TJPF_CMYK, TJSAMP_444, 0},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        fx_buf b = fx_jpeg_encode(v[i].px, 24, 16, v[i].pf, v[i].ss, 75,
                                  v[i].flags);
        put("fuzz_jpeg", v[i].name, b.data, b.size, NULL, 0);
        if (i == 0) {
            unsigned char tiff[26];
            size_t n = fx_exif_orientation_block(tiff, 1, 6);
            fx_buf e = fx_jpeg_with_exif(&b, tiff, n);
            put("fuzz_jpeg", "exif6.jpg", e.data, e.size, NULL, 0);
            free(e.data);
        }
        free(b.data);
    }
    free(rgb);
    free(g);
    free(cmyk);
}

static void pngs(void)
{
    unsigned char *px = pattern(12, 8, 4);
    struct { const char *name; int ct, depth, ch, interlace; } v[] = {
        {"rgb8.png", PNG_COLOR_TYPE_RGB, 8, 3, 0},
        {"rgba8_interlaced.png", PNG_COLOR_TYPE_RGB_ALPHA, 8, 4, 1},
        {"grey16.png", PNG_COLOR_TYPE_GRAY, 16, 1, 0},
        {"grey_alpha8.png", PNG_COLOR_TYPE_GRAY_ALPHA, 8, 2, 0},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        size_t rowbytes = 12 * (size_t)v[i].ch * (size_t)v[i].depth / 8;
        fx_png_opts o = {0};
        o.interlace = v[i].interlace;
        fx_buf b = fx_png_encode(12, 8, v[i].ct, v[i].depth, px, rowbytes, &o);
        put("fuzz_png", v[i].name, b.data, b.size, NULL, 0);
        free(b.data);
    }
    /* a palette with transparency, 4-bit */
    png_color pal[4] = {{0, 0, 0}, {255, 0, 0}, {0, 255, 0}, {0, 0, 255}};
    unsigned char alpha[4] = {255, 128, 0, 255}, packed[8 * 6];
    for (size_t i = 0; i < sizeof packed; i++)
        packed[i] = (unsigned char)(i % 4 * 0x11);
    fx_png_opts o = {pal, 4, alpha, 4, NULL, 0};
    fx_buf b = fx_png_encode(12, 8, PNG_COLOR_TYPE_PALETTE, 4, packed, 6, &o);
    put("fuzz_png", "palette4_trns.png", b.data, b.size, NULL, 0);
    free(b.data);
    free(px);
}

/* fp16 of a float that is 0 or a normal half with at most 10 mantissa
 * bits (the weights below are multiples of 1/16 under 1). */
static uint16_t to_half(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) == 0)
        return (uint16_t)(u >> 16);
    uint32_t sign = u >> 31, exp = (u >> 23) & 0xff, man = u & 0x7fffff;
    return (uint16_t)(sign << 15 | (exp - 127 + 15) << 10 | man >> 13);
}

/* A small network with every layer type SqueezeNet uses, and its weights
 * (fp32 and fp16); checked to load. */
static void models(void)
{
    static const char *param =
        "7767517\n"
        "9 10\n"
        "Input            data   0 1 data 0=9 1=9 2=3\n"
        "Convolution      conv1  1 1 data conv1 0=4 1=3 3=2 5=1 6=108 9=1\n"
        "Pooling          pool1  1 1 conv1 pool1 0=0 1=3 2=2\n"
        "Convolution      sq     1 1 pool1 sq 0=2 1=1 5=1 6=8 9=1\n"
        "Split            split  1 2 sq sq_0 sq_1\n"
        "Convolution      e1     1 1 sq_0 e1 0=2 1=1 5=1 6=4 9=1\n"
        "Convolution      e3     1 1 sq_1 e3 0=2 1=3 4=1 5=1 6=36 9=1\n"
        "Concat           cat    2 1 e1 e3 cat\n"
        "Softmax          prob   1 1 cat prob 0=0\n";
    static const int weights[] = {108, 8, 4, 36}, bias[] = {4, 2, 2, 2};
    for (int fp16 = 0; fp16 < 2; fp16++) {
        unsigned char bin[4096];
        size_t n = 0;
        for (int l = 0; l < 4; l++) {
            uint32_t tag = fp16 ? 0x01306B47u : 0;
            memcpy(bin + n, &tag, 4);
            n += 4;
            for (int i = 0; i < weights[l]; i++) {
                float w = (float)((i * 37 + l * 11) % 17 - 8) / 16.0f;
                if (fp16) {
                    uint16_t h = to_half(w);
                    memcpy(bin + n, &h, 2);
                    n += 2;
                } else {
                    memcpy(bin + n, &w, 4);
                    n += 4;
                }
            }
            n = (n + 3) & ~(size_t)3;
            for (int i = 0; i < bias[l]; i++) {
                float b = 0.125f * (float)i;
                memcpy(bin + n, &b, 4);
                n += 4;
            }
        }
        put("fuzz_model", fp16 ? "tiny_fp16" : "tiny_fp32", param,
            strlen(param), bin, n);
    }
}

/* Values of a real store: records (OK, failed, long path), its sketch
 * block and a full code, read back raw. */
static void store_values(const char *dir)
{
    maso_store_identity id;
    store_test_identity(&id, store_test_layers, STORE_TEST_LAYERS);
    id.full_codes = 1;
    maso_store *s;
    maso_store_batch *b;
    uint8_t code[STORE_TEST_CODE];
    for (size_t i = 0; i < sizeof code; i++)
        code[i] = (uint8_t)(i < 256 || i >= 512 ? i * 13 : (i % 9) * 0x11);
    char longp[700] = "/long";
    memset(longp + 5, 'x', 600);
    longp[605] = '\0';
    if (maso_store_create(&s) ||
        maso_store_open(s, dir, MASO_STORE_CREATE | MASO_STORE_NOSYNC, &id) ||
        maso_store_batch_begin(s, &b))
        exit(1);
    maso_store_record r = {0, "/photos/a.jpg", 1234, 5678, MASO_RECORD_OK,
                           NULL, NULL, code};
    maso_store_batch_put(b, &r);
    maso_store_record f = {0, "/photos/b.png", 9, 10, MASO_RECORD_FAILED,
                           "truncated PNG", NULL, NULL};
    maso_store_batch_put(b, &f);
    r.path = longp;
    maso_store_batch_put(b, &r);
    if (maso_store_batch_commit(b))
        exit(1);
    maso_store_destroy(s);

    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi rec, blk, codes;
    mdb_env_create(&env);
    mdb_env_set_maxdbs(env, 8);
    if (mdb_env_open(env, dir, MDB_RDONLY, 0) ||
        mdb_txn_begin(env, NULL, MDB_RDONLY, &txn) ||
        mdb_dbi_open(txn, "records", 0, &rec) ||
        mdb_dbi_open(txn, "blocks", 0, &blk) ||
        mdb_dbi_open(txn, "codes", 0, &codes))
        exit(1);
    uint8_t k0[8] = {0}, k1[8] = {0, 0, 0, 0, 0, 0, 0, 1};
    uint8_t k2[8] = {0, 0, 0, 0, 0, 0, 0, 2}, k3[8] = {0, 0, 0, 0, 0, 0, 0, 3};
    MDB_val kb = {8, k0}, vb, v;
    if (mdb_get(txn, blk, &kb, &vb))
        exit(1);
    const uint8_t *keys[3] = {k1, k2, k3};
    for (int i = 0; i < 3; i++) {
        MDB_val k = {8, (void *)keys[i]};
        char name[32];
        if (mdb_get(txn, rec, &k, &v))
            exit(1);
        snprintf(name, sizeof name, "record%d_block", i + 1);
        put("fuzz_store", name, v.mv_data, v.mv_size, vb.mv_data, vb.mv_size);
    }
    MDB_val k = {8, k1};
    if (mdb_get(txn, codes, &k, &v))
        exit(1);
    put("fuzz_store", "code1", v.mv_data, v.mv_size, NULL, 0);
    mdb_txn_abort(txn);
    mdb_env_close(env);
}

static void texts(void)
{
    char err[MASO_CLI_ERRLEN], path[1024];
    maso_store_identity id;
    store_test_identity(&id, store_test_layers, STORE_TEST_LAYERS);
    double w[STORE_TEST_LAYERS] = {0.5, 2, 0};
    snprintf(path, sizeof path, "%s/weights.tmp", top);
    if (maso_cli_weights_save(path, store_test_layers, STORE_TEST_LAYERS, w,
                              id.param_sha256, id.bin_sha256, "seed set",
                              "made by make_seeds", err)) {
        fprintf(stderr, "%s\n", err);
        exit(1);
    }
    FILE *f = fopen(path, "rb");
    char file[4096];
    size_t n = fread(file, 1, sizeof file, f);
    fclose(f);
    remove(path);
    const char *specs[] = {"all", "conv1..pool1:0.5", "conv1:1,fire2:2.5"};
    for (int i = 0; i < 3; i++) {
        char name[32];
        snprintf(name, sizeof name, "weights_spec%d", i);
        put("fuzz_weights", name, file, n, specs[i], strlen(specs[i]));
    }
    const char *csv[] = {
        "reference,distorted,score\na.png,b.png,0.5\n\"c,d.png\",e.png,1e-3\n",
        "distorted,score,reference\r\nx.jpg,4.25,y.jpg\r\n",
    };
    put("fuzz_csv", "pairs.csv", csv[0], strlen(csv[0]), NULL, 0);
    put("fuzz_csv", "crlf.csv", csv[1], strlen(csv[1]), NULL, 0);
    /* .npy 1.0, '<f8' and '<f4', shapes (3,) and (2, 1) */
    for (int v4 = 0; v4 < 2; v4++) {
        char head[128];
        int len = snprintf(head, sizeof head, "{'descr': '<f%d', "
                           "'fortran_order': False, 'shape': (%s), }",
                           v4 ? 4 : 8, v4 ? "2, 1" : "3,");
        unsigned char buf[256] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
        size_t hl = (size_t)len + 1;
        hl = (10 + hl + 63) / 64 * 64 - 10;
        buf[8] = (unsigned char)hl;
        buf[9] = 0;
        memset(buf + 10, ' ', hl);
        memcpy(buf + 10, head, (size_t)len);
        buf[10 + hl - 1] = '\n';
        size_t at = 10 + hl;
        for (int i = 0; i < (v4 ? 2 : 3); i++) {
            if (v4) {
                float x = 0.25f * (float)(i + 1);
                memcpy(buf + at, &x, 4);
                at += 4;
            } else {
                double x = 1.5 * (i + 1);
                memcpy(buf + at, &x, 8);
                at += 8;
            }
        }
        put("fuzz_npy", v4 ? "f4_2x1.npy" : "f8_3.npy", buf, at, NULL, 0);
    }
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: make_seeds CORPUS_DIR SCRATCH_STORE_DIR\n");
        return 2;
    }
    top = argv[1];
    mkdir(top, 0755);
    jpegs();
    pngs();
    models();
    store_values(argv[2]);
    texts();
    return 0;
}
