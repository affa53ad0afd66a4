/*
 * image_fixtures.h -- test images made with independent encoders (libpng's
 * write API, TurboJPEG's compressor), kept in memory.
 */
#ifndef MASO_IMAGE_FIXTURES_H
#define MASO_IMAGE_FIXTURES_H

#include <stddef.h>
#include <stdint.h>

#include <png.h>

/* A growable byte buffer; release with free(buf.data). */
typedef struct fx_buf {
    unsigned char *data;
    size_t size, cap;
} fx_buf;

/* Optional PNG extras: a palette, tRNS entries (palette alphas or a colour
 * key), interlacing. */
typedef struct fx_png_opts {
    const png_color *palette;
    int n_palette;
    const unsigned char *trans_alpha; /* per palette entry */
    int n_trans;
    const png_color_16 *trans_color;  /* colour key for grey / RGB */
    int interlace;
} fx_png_opts;

/* Encode a PNG whose rows are given already packed in libpng's format
 * (rowbytes each, samples MSB-first, 16-bit big-endian).  Aborts the test
 * process on encoder failure (a broken fixture is not a result). */
fx_buf fx_png_encode(int w, int h, int color_type, int bit_depth,
                     const unsigned char *packed, size_t rowbytes,
                     const fx_png_opts *opts);

/* Write only the signature and IHDR of a PNG (w x h, 8-bit RGB). */
fx_buf fx_png_header_only(unsigned w, unsigned h);

/* Pack one row of samples (each < 2^depth) into @p dst, MSB first for
 * depths below 8, big-endian for 16. */
void fx_pack_samples(const unsigned *samples, size_t n, int depth,
                     unsigned char *dst);

/* tjCompress2 of packed pixels in pixel format @p pf; aborts on failure. */
fx_buf fx_jpeg_encode(const unsigned char *pixels, int w, int h, int pf,
                      int subsamp, int quality, int flags);

/* A copy of @p jpeg with an APP1 segment holding @p exif (the TIFF bytes,
 * without the "Exif\0\0" id) inserted right after SOI. */
fx_buf fx_jpeg_with_exif(const fx_buf *jpeg, const unsigned char *tiff,
                         size_t tiff_len);

/* Minimal TIFF block: one IFD0 entry, the orientation tag, in the byte
 * order given (little != 0 for "II").  Writes 26 bytes into @p out. */
size_t fx_exif_orientation_block(unsigned char out[26], int little,
                                 unsigned orientation);

/* Deterministic pseudo-random numbers (xorshift32; *state must not be 0),
 * so that fixtures do not depend on the libc generator. */
uint32_t fx_rand(uint32_t *state);

/* Mean absolute difference between two byte arrays. */
double fx_mean_abs_diff(const unsigned char *a, const unsigned char *b,
                        size_t n);

/* Write @p size bytes to the file @p path; aborts on failure. */
void fx_write_file(const char *path, const void *data, size_t size);

#endif
