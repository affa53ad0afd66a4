/* synth_codes.c -- the synthetic sketch generator of bench_search and
 * bench_faiss (see synth_codes.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synth_codes.h"

#define POOL_WORDS (1u << 16)

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static double rng_unit(uint64_t *s)
{
    return (double)(rng_next(s) >> 11) / 9007199254740992.0;
}

/* Layer kinds and densities: mean ones_or_nonzero / units over the golden
 * images. */
int synth_codes_load(synth_codes *c, const char *shared_dir)
{
    static const char *images[] = { "bird", "cat", "dog", "grace_hopper" };
    size_t off = 0;
    memset(c, 0, sizeof *c);
    for (int im = 0; im < 4; im++) {
        char path[512];
        snprintf(path, sizeof path, "%s/reference/squeezenet_v1.1/%s/codes.tsv",
                 shared_dir, images[im]);
        FILE *f = fopen(path, "r");
        if (!f) {
            fprintf(stderr, "synth_codes: cannot open %s\n", path);
            return -1;
        }
        char line[1024];
        int l = 0;
        while (fgets(line, sizeof line, f) && l < SYNTH_LAYERS) {
            char kind[16];
            long ch, h, w, ones;
            if (line[0] == '#')
                continue;
            if (sscanf(line, "%15s %*s %*s %ld %ld %ld %*s %ld", kind, &ch, &h,
                       &w, &ones) != 5)
                continue;
            c->density[l] += (double)ones / (double)(ch * h * w) / 4.0;
            if (im == 0) {
                maso_code_layer *L = &c->layout[l];
                int relu = strcmp(kind, "relu") == 0;
                L->name = "layer";
                L->kind = relu ? MASO_LAYER_RELU : MASO_LAYER_MAXPOOL;
                L->window = relu ? 0 : 9;
                L->bits_per_unit = relu ? 1 : 4;
                /* the default sketch's samples per layer (core/include/maso.h) */
                L->units = relu ? MASO_SKETCH_RELU_SAMPLES
                                : MASO_SKETCH_MAXPOOL_SAMPLES;
                L->offset = off;
                L->bytes = (L->units * (size_t)L->bits_per_unit + 511) / 512 *
                           64;
                off += L->bytes;
            }
            l++;
        }
        fclose(f);
        if (l != SYNTH_LAYERS) {
            fprintf(stderr, "synth_codes: %s: %d layers\n", path, l);
            return -1;
        }
    }
    c->record_bytes = off;
    return 0;
}

static double level_rate(int lv)
{
    return 0.02 + 0.28 * lv / (SYNTH_RATE_LEVELS - 1);
}

/* rec = proto with units resampled at rate level lv (lv < 0: fresh).  A
 * record takes pool words from random offsets. */
static void make_record(const synth_codes *c, uint8_t *rec,
                        const uint8_t *proto, int lv, uint64_t *rng)
{
    for (int l = 0; l < SYNTH_LAYERS; l++) {
        const maso_code_layer *L = &c->layout[l];
        size_t words = L->bytes / 8;
        const uint64_t *val =
            c->value_pool[l] + rng_next(rng) % (POOL_WORDS - words);
        uint64_t *out = (uint64_t *)(void *)(rec + L->offset);
        if (lv < 0) {
            memcpy(out, val, L->bytes);
            continue;
        }
        const uint64_t *pm = c->mask_pool[L->bits_per_unit == 4][lv] +
                             rng_next(rng) % (POOL_WORDS - words);
        const uint64_t *p = (const uint64_t *)(const void *)(proto + L->offset);
        for (size_t w = 0; w < words; w++)
            out[w] = (p[w] & ~pm[w]) | (val[w] & pm[w]);
    }
}

int synth_codes_prepare(synth_codes *c, size_t n_protos)
{
    uint64_t rng = 0x5eed;
    for (int l = 0; l < SYNTH_LAYERS; l++) {
        c->value_pool[l] = malloc(POOL_WORDS * 8);
        if (!c->value_pool[l])
            goto nomem;
        for (size_t w = 0; w < POOL_WORDS; w++) {
            uint64_t v = 0;
            if (c->layout[l].bits_per_unit == 1) {
                for (int b = 0; b < 64; b++)
                    v |= (uint64_t)(rng_unit(&rng) < c->density[l]) << b;
            } else {
                for (int b = 0; b < 16; b++)
                    if (rng_unit(&rng) < c->density[l])
                        v |= (uint64_t)(1 + rng_next(&rng) % 8) << (4 * b);
            }
            c->value_pool[l][w] = v;
        }
    }
    for (int lv = 0; lv < SYNTH_RATE_LEVELS; lv++)
        for (int k = 0; k < 2; k++) {
            uint64_t *pool = c->mask_pool[k][lv] = malloc(POOL_WORDS * 8);
            if (!pool)
                goto nomem;
            for (size_t w = 0; w < POOL_WORDS; w++) {
                uint64_t v = 0;
                for (int b = 0; b < (k ? 16 : 64); b++)
                    if (rng_unit(&rng) < level_rate(lv))
                        v |= (k ? 0xFull : 1ull) << (k ? 4 * b : b);
                pool[w] = v;
            }
        }
    /* prototypes: fresh draws */
    c->rng = 12345;
    c->n_protos = n_protos;
    c->protos = aligned_alloc(64, (n_protos * c->record_bytes + 63) / 64 * 64);
    if (!c->protos)
        goto nomem;
    for (size_t p = 0; p < n_protos; p++)
        make_record(c, c->protos + p * c->record_bytes, NULL, -1, &c->rng);
    return 0;
nomem:
    fprintf(stderr, "synth_codes: out of memory\n");
    return -1;
}

static size_t pick_proto(size_t n_protos, uint64_t *rng)
{
    double u = rng_unit(rng);
    return (size_t)((double)n_protos * u * u * u); /* skewed popularity */
}

typedef struct gen_job {
    const synth_codes *c;
    uint8_t *base;
    size_t stride, from, to;
    uint64_t seed;
} gen_job;

static void *gen_worker(void *arg)
{
    gen_job *j = arg;
    const synth_codes *c = j->c;
    uint64_t rng = j->seed;
    for (size_t i = j->from; i < j->to; i++) {
        size_t p = pick_proto(c->n_protos, &rng);
        int lv = (int)(rng_next(&rng) % SYNTH_RATE_LEVELS);
        make_record(c, j->base + i * j->stride, c->protos + p * c->record_bytes,
                    lv, &rng);
    }
    return NULL;
}

void synth_codes_fill(const synth_codes *c, uint8_t *base, size_t stride,
                      size_t n)
{
    pthread_t t;
    gen_job j[2] = { { c, base, stride, 0, n / 2, 1 },
                     { c, base, stride, n / 2, n, 2 } };
    if (pthread_create(&t, NULL, gen_worker, &j[1])) {
        gen_worker(&j[1]); /* same records, one thread */
        gen_worker(&j[0]);
        return;
    }
    gen_worker(&j[0]);
    pthread_join(t, NULL);
}

void synth_codes_query(synth_codes *c, uint8_t *out)
{
    make_record(c, out, c->protos + pick_proto(c->n_protos, &c->rng) *
                            c->record_bytes, 2, &c->rng);
}

void synth_codes_free(synth_codes *c)
{
    for (int l = 0; l < SYNTH_LAYERS; l++)
        free(c->value_pool[l]);
    for (int lv = 0; lv < SYNTH_RATE_LEVELS; lv++)
        for (int k = 0; k < 2; k++)
            free(c->mask_pool[k][lv]);
    free(c->protos);
    memset(c, 0, sizeof *c);
}
