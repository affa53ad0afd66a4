/* consumer.c -- a program outside the maso tree, built against the
 * installed libmaso (pkg-config or find_package) by tests/programs/
 * install.sh: it decodes a photo, runs the network and prints the top
 * ImageNet class, and checks SHA-256 against the NIST "abc" vector.
 * usage: consumer MODEL_DIR IMAGE */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <maso.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fputs("usage: consumer MODEL_DIR IMAGE\n", stderr);
        return 2;
    }
    unsigned char digest[32];
    maso_sha256 h;
    maso_sha256_init(&h);
    maso_sha256_update(&h, "abc", 3);
    maso_sha256_final(&h, digest);
    static const unsigned char nist[4] = { 0xba, 0x78, 0x16, 0xbf };
    if (memcmp(digest, nist, 4) != 0) {
        fputs("consumer: sha256 differs from the NIST vector\n", stderr);
        return 1;
    }
    char param[4096], bin[4096];
    snprintf(param, sizeof param, "%s/squeezenet_v1.1.param", argv[1]);
    snprintf(bin, sizeof bin, "%s/squeezenet_v1.1.bin", argv[1]);
    maso_model *model = NULL;
    maso_decoder *dec = NULL;
    maso_forward *fwd = NULL;
    maso_image img = { 0, 0, NULL };
    maso_decode_params dp;
    maso_decode_params_init(&dp);
    int rc = maso_model_create(&model);
    if (!rc && (rc = maso_model_load(model, param, bin)) != 0)
        fprintf(stderr, "consumer: %s\n", maso_model_errmsg(model));
    if (!rc)
        rc = maso_decoder_create(&dec);
    if (!rc && (rc = maso_decoder_load_file(dec, argv[2], &dp, &img)) != 0)
        fprintf(stderr, "consumer: %s\n", maso_decoder_errmsg(dec));
    if (!rc)
        rc = maso_forward_create(model, &fwd);
    size_t n = model ? maso_model_output_size(model) : 0;
    float *prob = calloc(n ? n : 1, sizeof *prob);
    if (!rc && (rc = maso_forward_run_image(fwd, &img, NULL, prob)) != 0)
        fprintf(stderr, "consumer: %s\n", maso_forward_errmsg(fwd));
    if (!rc) {
        size_t best = 0;
        for (size_t i = 1; i < n; i++)
            if (prob[i] > prob[best])
                best = i;
        printf("%dx%d class %zu p=%.4f\n", img.width, img.height, best,
               prob[best]);
    } else {
        fprintf(stderr, "consumer: %s\n", maso_strerror(rc));
    }
    free(prob);
    maso_image_free(&img);
    maso_forward_destroy(fwd);
    maso_decoder_destroy(dec);
    maso_model_destroy(model);
    return rc ? 1 : 0;
}
