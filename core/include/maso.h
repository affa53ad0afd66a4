/*
 * maso.h -- the public interface of libmaso, the spline-code engine.
 *
 * A deep network built from convolutions, ReLUs and max-pooling is a
 * composition of max-affine spline operators (MASOs): for every input it
 * selects one region of a partition of input space, and on that region the
 * whole network is one affine map.  The region is named by a *code*: one bit
 * per ReLU unit (pre-activation > 0) and, per max-pool window, the index of
 * the input that won.  libmaso decodes images, runs a pretrained ncnn network
 * over them while recording that code, and compares codes.
 *
 * Conventions (they hold for every function below):
 *  - Names are maso_<object>_<verb>.  Objects are opaque handles created by
 *    maso_<object>_create() and released by maso_<object>_destroy(), which
 *    accepts NULL.
 *  - Functions that can fail return an int: MASO_SUCCESS (0), one of the
 *    negative MASO_* codes below, or a positive errno value.  maso_strerror()
 *    turns any of them into a static string.  The handle involved also keeps
 *    a detailed message (naming the file, line or layer and the cause),
 *    available from maso_<object>_errmsg() until the next call on it.
 *  - The library never prints, never calls exit() or abort(), and has no
 *    global mutable state: two threads may use two handles at the same time.
 *    A handle itself is not thread-safe unless its section says so.
 *  - Every returned pointer states who owns it and how long it lives.
 *  - Out-pointers come last, constructors' included
 *    (maso_sketch_create(layers, n, params, &sketch)).  An accessor that
 *    returns a value is maso_<object>_<value>() (maso_sketch_bytes()); one
 *    that hands out a struct is maso_<object>_get_<struct>()
 *    (maso_sketch_get_params(), maso_model_get_preprocess()), since the
 *    struct's type already has the name maso_<object>_<struct>.
 *  - The maso_ / MASO_ prefix belongs to the public headers alone (this one
 *    and those of the other libraries, each in its library's include/
 *    folder, the only PUBLIC include path).  What the files of a library
 *    share is declared in headers named *_internal.h and carries the
 *    library's own prefix: core_ (core/), search_ (search/), store_ and
 *    engine_ (db/), act_ (act/).  Only maso_* symbols leave libmaso.so.
 */
#ifndef MASO_H
#define MASO_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Status codes                                                              */
/* ------------------------------------------------------------------------ */

#define MASO_SUCCESS 0
/** An argument is invalid (NULL where a value is needed, out of range). */
#define MASO_EINVAL_ARG (-30600)
/** The bytes are not an image format libmaso reads (see maso_format). */
#define MASO_EFORMAT (-30601)
/** The image data is corrupt or truncated. */
#define MASO_ECORRUPT (-30602)
/** The image is larger than the configured limit (dimensions, pixel count,
 *  or a decompression bomb). */
#define MASO_ETOOBIG (-30603)
/** The model files are malformed (.param syntax, .bin size, weight count). */
#define MASO_EMODEL (-30604)
/** The model uses a layer type or parameter libmaso does not implement, or
 *  an image uses an encoding of its format that libmaso does not decode
 *  (a BMP holding a JPEG, a 16-bit CMYK TIFF...). */
#define MASO_EUNSUPPORTED (-30605)
/** A named item (layer, blob, record) does not exist. */
#define MASO_ENOTFOUND (-30606)
/** Stored data was written by another model or schema version. */
#define MASO_EMISMATCH (-30607)
/** A checksum did not match. */
#define MASO_ECHECKSUM (-30608)
/** A stored structure is inconsistent (a store record, a weights file). */
#define MASO_EDATA (-30609)

/**
 * Return a static, human-readable description of a status code: one of the
 * MASO_* codes above or a positive errno value.  Never NULL.
 */
const char *maso_strerror(int status);

/** Size of every handle's message (maso_<object>_errmsg()) in libmaso and
 *  the libraries built on it: room for a long path and a library's cause. */
#define MASO_ERRMSG_SIZE 1024

/**
 * Format a failure's message into @p msg (MASO_ERRMSG_SIZE bytes, always
 * NUL-terminated; a longer message is cut, never overflows) and return
 * @p status, so that `return maso_errmsg_format(h->errmsg, rc, ...)`
 * records and reports in one statement.  The one way every maso library
 * fills its handles' messages; maso_errmsg_vformat() takes a va_list.
 */
int maso_errmsg_format(char msg[MASO_ERRMSG_SIZE], int status,
                       const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int maso_errmsg_vformat(char msg[MASO_ERRMSG_SIZE], int status,
                        const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/**
 * Read all of the open file descriptor @p fd (a file, a pipe, standard
 * input) into *data: malloc'ed, owned by the caller (free()), with a NUL
 * one byte past *size so that text parsers may rely on it.  Reads
 * interrupted by a signal are retried; @p fd is not closed.  Returns 0,
 * MASO_ETOOBIG when there are more than @p max_size bytes (SIZE_MAX: no
 * bound), ENOMEM, or the errno of read(); *data is NULL and *size 0 on
 * every failure.
 */
int maso_file_read_fd(int fd, size_t max_size, char **data, size_t *size);

/** The same for the file at @p path; returns the errno of open() when it
 *  cannot be opened (ENOENT, EACCES...). */
int maso_file_read(const char *path, size_t max_size, char **data,
                   size_t *size);

/* ------------------------------------------------------------------------ */
/* Images                                                                    */
/* ------------------------------------------------------------------------ */

/**
 * An 8-bit RGB image, rows top to bottom, pixels interleaved R,G,B, no row
 * padding (stride is 3 * width).  The caller owns an image filled in by a
 * maso function and releases its pixels with maso_image_free().
 */
typedef struct maso_image {
    int width;
    int height;
    unsigned char *pixels;
} maso_image;

/** Release the pixels of @p image (NULL allowed) and zero the struct. */
void maso_image_free(maso_image *image);

/** Replace @p image by the upright image it depicts when stored with EXIF
 *  orientation @p orientation: 1 unchanged, 2 mirrored left-right, 3 turned
 *  180 degrees, 4 mirrored top-bottom, 5 transposed, 6 turned 90 degrees
 *  clockwise, 7 transversed, 8 turned 90 degrees counter-clockwise (5..8
 *  swap width and height).  The eight are every mirror and quarter turn of
 *  the image.  Returns 0, or ENOMEM with the image unchanged. */
int maso_image_orient(maso_image *image, int orientation);

/** Default tolerance of maso_image_trim_border(), per channel (JPEG
 *  ringing keeps a black bar within a few levels of black). */
#define MASO_TRIM_TOLERANCE 12
/** No side is trimmed by more than this share of the image's size. */
#define MASO_TRIM_MAX_SHARE 0.35

/** Cut uniform borders off @p image: from each side, the rows or columns
 *  whose every pixel is within @p tolerance (per channel) of that side's
 *  outermost first pixel, up to MASO_TRIM_MAX_SHARE of the size per side
 *  (letterbox bars, a window frame, a passe-partout).  *trimmed (when not
 *  NULL) is set to 1 when something was cut.  Images smaller than 8x8 are
 *  left alone.  Returns 0, MASO_EINVAL_ARG (no image), or ENOMEM with the
 *  image unchanged. */
int maso_image_trim_border(maso_image *image, int tolerance, int *trimmed);

/** The image formats libmaso decodes, as recognised by their bytes. */
typedef enum maso_format {
    MASO_FORMAT_UNKNOWN = 0,
    MASO_FORMAT_PNG,
    MASO_FORMAT_JPEG,
    MASO_FORMAT_WEBP,
    MASO_FORMAT_TIFF,
    MASO_FORMAT_GIF,
    MASO_FORMAT_HEIF, /* HEIF/HEIC (HEVC) */
    MASO_FORMAT_AVIF,
    MASO_FORMAT_JXL,  /* JPEG XL, bare codestream or container */
    MASO_FORMAT_BMP,
    MASO_FORMAT_PNM   /* PBM, PGM, PPM (plain and raw), PAM */
} maso_format;

/**
 * The format of a file whose first @p size bytes are @p data (NULL allowed
 * with size 0), from its signature; 32 bytes are enough for every format
 * (HEIF and AVIF are told apart by the brands of their 'ftyp' box, which
 * the first 32 bytes hold in practice).  MASO_FORMAT_UNKNOWN when none
 * matches.  Says nothing about whether the rest of the file is valid.
 */
maso_format maso_format_detect(const void *data, size_t size);

/** A static name for @p format ("PNG", "JPEG XL", ...; "unknown"). */
const char *maso_format_name(maso_format format);

/** Parameters of one decode.  Initialise with maso_decode_params_init(). */
typedef struct maso_decode_params {
    /** Smallest size the caller needs.  A JPEG is decoded with DCT-domain
     *  scaling to the smallest scale whose width >= min_width and height >=
     *  min_height (after EXIF orientation); 0,0 means full size. */
    int min_width;
    int min_height;
    /** Largest accepted width * height of the *stored* image, before any
     *  scaling; larger files fail with MASO_ETOOBIG. Default 178956970
     *  (the limit used by Pillow's decompression-bomb check, doubled). */
    uint64_t max_pixels;
    /** Colour that transparent pixels are composited onto (default white). */
    unsigned char background[3];
    /** Apply the orientation the file records (EXIF orientation of JPEG,
     *  PNG and WebP files, the TIFF Orientation tag; default 1).  HEIF/AVIF
     *  transformations and JPEG XL orientation are part of those formats'
     *  pixels and always applied. */
    int apply_orientation;
} maso_decode_params;

/** Fill @p params with the defaults documented in maso_decode_params. */
void maso_decode_params_init(maso_decode_params *params);

/**
 * A decoding context: holds scratch memory and the message of the last
 * failure.  One per thread.  No decoder state passes from one image to the
 * next: an image decodes the same (pixels, or the error) whatever the
 * decoder decoded before, good or bad.
 */
typedef struct maso_decoder maso_decoder;

int maso_decoder_create(maso_decoder **decoder);
void maso_decoder_destroy(maso_decoder *decoder);

/**
 * Decode the image file at @p path.  The type is recognised by its bytes
 * (maso_format_detect()), not by its name.  The result is the picture as
 * it is meant to be shown: upright, alpha composited onto
 * params->background, samples of more than 8 bits reduced to 8 bits (high
 * byte), and for a file of several pages or frames the first one.
 *  - PNG: every colour type and bit depth, interlaced or not; orientation
 *    from an eXIf chunk.
 *  - JPEG: greyscale, YCbCr, CMYK/YCCK, baseline and progressive, DCT
 *    scaling (see min_width); EXIF orientation.
 *  - WebP (libwebp): lossy, lossless, alpha; animated: the first frame;
 *    orientation from the EXIF chunk.
 *  - TIFF (libtiff): 1 to 16 bits per sample, grey, RGB, palette, CMYK,
 *    YCbCr, CIELab, every compression libtiff reads; the first page; the
 *    Orientation tag.
 *  - GIF (giflib): the first frame on the logical screen (transparent
 *    pixels and uncovered areas show the background).
 *  - HEIF/HEIC and AVIF (libheif): the primary image, its transformations
 *    (rotation, mirroring, crop) applied as the format prescribes (an EXIF
 *    orientation inside is not applied again); grid images.
 *  - JPEG XL (libjxl): the first frame, its orientation applied.
 *    libheif, libjxl and libtiff are not linked: each is loaded (dlopen of
 *    the SONAME libmaso was built against) at the first file that needs it
 *    and stays loaded; when it cannot be, that file fails with
 *    MASO_EUNSUPPORTED and "HEIF support needs libheif.so.1: <the loader's
 *    message>" (JPEG XL and TIFF alike), and every other format decodes.
 *  - BMP: 1, 4, 8 (also RLE4/RLE8), 16, 24 and 32 bits, bit fields and
 *    alpha, bottom-up or top-down; OS/2 and Windows headers.
 *  - PNM: PBM, PGM, PPM in plain (ASCII) and raw form, maxval up to 65535,
 *    and PAM (grey, RGB, with alpha, black and white).
 * Size is checked before pixels are allocated: a stored width * height over
 * params->max_pixels (a decompression bomb: a small file claiming a huge
 * image) fails with MASO_ETOOBIG.  Decoders keep nothing from one image to
 * the next.
 *
 * On success fills @p out (owned by the caller, see maso_image_free()).  On
 * failure @p out is left empty, and maso_decoder_errmsg() names @p path,
 * the format and the cause.  A path that is not a regular file (FIFO,
 * device, socket) is refused as MASO_EFORMAT without reading from it or
 * waiting on it, and a directory as EISDIR.  Errors: MASO_EFORMAT (not an
 * image format libmaso reads), MASO_ECORRUPT (corrupt or truncated),
 * MASO_EUNSUPPORTED (an encoding of the format that is not decoded, or
 * the format's library missing),
 * MASO_ETOOBIG, ENOMEM, or the errno of open()/read().
 */
int maso_decoder_load_file(maso_decoder *decoder, const char *path,
                           const maso_decode_params *params, maso_image *out);

/**
 * Decode an image held in memory; @p name is used in error messages only.
 * Same behaviour and errors as maso_decoder_load_file().
 */
int maso_decoder_load_memory(maso_decoder *decoder, const void *data,
                             size_t size, const char *name,
                             const maso_decode_params *params,
                             maso_image *out);

/** The detailed message of the last failure on @p decoder.  Owned by the
 *  decoder; valid until its next call.  "" when the last call succeeded. */
const char *maso_decoder_errmsg(const maso_decoder *decoder);

/**
 * Resize @p src to @p width x @p height (aspect ratio not kept) with an
 * antialiasing filter: a triangle (bilinear) filter whose support widens
 * with the reduction factor, so downscaling averages every source pixel
 * instead of skipping them.  Fills @p dst (owned by the caller).
 * Errors: MASO_EINVAL_ARG, ENOMEM.
 */
int maso_image_resize(const maso_image *src, int width, int height,
                      maso_image *dst);

/* ------------------------------------------------------------------------ */
/* Network                                                                   */
/* ------------------------------------------------------------------------ */

/** The kinds of piecewise-affine layer whose choices make up a code. */
typedef enum maso_layer_kind {
    /** One bit per unit: 1 when the pre-activation is > 0. */
    MASO_LAYER_RELU = 0,
    /** Per output element, the index dy*k+dx of the winning input inside its
     *  k x k window (first maximum in row-major order wins). */
    MASO_LAYER_MAXPOOL = 1
} maso_layer_kind;

/**
 * One entry of a code layout table: where a layer's part of a code lives and
 * how to read it.  Codes are byte strings; each layer's section starts at a
 * multiple of 64 bytes and is zero-padded to a multiple of 64 bytes, so that
 * distance kernels can read whole 512-bit words.
 *
 * Packing: RELU units are bits, unit i is bit i%8 of byte i/8 (CHW order).
 * MAXPOOL units are 4-bit fields when window <= 16 (unit i in byte i/2, low
 * nibble for even i) and bytes otherwise, as said by bits_per_unit.
 */
typedef struct maso_code_layer {
    const char *name;        /**< layer name in the .param, e.g. "conv1" */
    maso_layer_kind kind;
    int channels, height, width; /**< shape of the layer's output */
    int window;              /**< MAXPOOL: k*k inputs per window; RELU: 0 */
    int bits_per_unit;       /**< 1 (RELU), 4 or 8 (MAXPOOL) */
    size_t units;            /**< channels * height * width */
    size_t offset;           /**< byte offset of the section in the code */
    size_t bytes;            /**< section size, a multiple of 64 */
    /** The layer's output blob, as maso_forward_blob() accepts it: its
     *  activations after the layer (post-ReLU values for a RELU layer, also
     *  for a convolution with a fused ReLU, whose output blob it is; the
     *  pooled values for a MAXPOOL layer).  In a model's table owned by the
     *  model; NULL in tables that do not describe a network's blobs (a
     *  sketch's table keeps the source's name, see maso_sketch_layers()). */
    const char *blob;
} maso_code_layer;

/** Input preprocessing: resize to the model's input size, then reorder the
 *  channels (B,G,R when bgr is 1, else R,G,B), then for tensor channel c:
 *  (value - mean[c]) * scale[c].  mean and scale are indexed in tensor
 *  order: SqueezeNet's mean {104, 117, 123} is B, G, R. */
typedef struct maso_preprocess {
    float mean[3];
    float scale[3];
    int bgr;
} maso_preprocess;

/**
 * A loaded network.  Immutable once loaded: any number of threads may share
 * one model, each with its own maso_forward context.
 */
typedef struct maso_model maso_model;

int maso_model_create(maso_model **model);
void maso_model_destroy(maso_model *model);

/**
 * Load an ncnn network: the text @p param_path and the weights @p bin_path
 * (fp16 or fp32).  Supported layers: Input, Convolution (with fused ReLU or
 * leaky ReLU), ReLU, Pooling (max, average, global), Split, Concat,
 * InnerProduct, BatchNorm (folded into the preceding convolution), Dropout,
 * Softmax.  Anything else, a weight count that does not match, a truncated
 * or oversized .bin, or a malformed .param fails with MASO_EMODEL or
 * MASO_EUNSUPPORTED and a message naming the file, line and layer.
 * The preprocessing defaults to SqueezeNet's (mean 104,117,123, scale 1,
 * BGR); change it with maso_model_set_preprocess() before use.
 */
int maso_model_load(maso_model *model, const char *param_path,
                    const char *bin_path);

const char *maso_model_errmsg(const maso_model *model);

/** The compute paths a model may use.  Every path runs the same design:
 *  a GEMM over weights packed at load with bias, activation and code bits
 *  fused into its stores, Winograd F(2x2,3x3) on the 3x3 stride-1 layers;
 *  each choice falls back on the next one down where the CPU lacks its
 *  instructions.  No BLAS library is used. */
typedef enum maso_model_kernels {
    /** The fastest this CPU runs: AVX-512 kernels where the CPU has
     *  AVX-512F, else those of PORTABLE. */
    MASO_MODEL_KERNELS_BEST = 0,
    /** AVX2 + FMA kernels (the path of CPUs without AVX-512, most laptops)
     *  where the CPU has them, else those of SCALAR; selectable on any CPU
     *  for comparison and testing. */
    MASO_MODEL_KERNELS_PORTABLE = 1,
    /** Plain C without any vector code of our own (what the compiler
     *  vectorises for the build's baseline CPU): CPUs without AVX2 + FMA,
     *  other architectures, testing. */
    MASO_MODEL_KERNELS_SCALAR = 2
} maso_model_kernels;

/** Choose the compute paths; only before maso_model_load() (else
 *  MASO_EINVAL_ARG).  Default MASO_MODEL_KERNELS_BEST.  With fp32
 *  precision, BEST and PORTABLE give identical codes and outputs on a CPU
 *  with both (the same chains of fused multiply-adds); SCALAR rounds each
 *  product, so a code bit whose pre-activation is within rounding of 0
 *  may differ (1 bit of the 4.2 million of SqueezeNet's code on one of
 *  the four golden images).  With int8 precision, BEST uses AVX-512 VNNI
 *  where the CPU has it, else AVX-VNNI, else AVX2; PORTABLE AVX2; SCALAR
 *  plain C; all give identical codes. */
int maso_model_set_kernels(maso_model *model, maso_model_kernels kernels);

/** The arithmetic of the convolutions. */
typedef enum maso_model_precision {
    /** float32 throughout: the codes of the pretrained network. */
    MASO_PRECISION_FP32 = 0,
    /** int8 weights (rounded per output channel, scale max|w|/127) times
     *  uint8 activations (rounded per tensor, scale max/255 of each
     *  image's own input to the layer), summed exactly in int32, for every
     *  convolution whose input is >= 0; the first convolution reads the
     *  integer pixels themselves (input + mean, when the preprocessing
     *  scale is 1), others stay fp32.  The codes are those of this
     *  quantized network: close to fp32's, not identical (README,
     *  "Precision: fp32 and int8"). */
    MASO_PRECISION_INT8 = 1
} maso_model_precision;

/** Choose the precision; only before maso_model_load() (else
 *  MASO_EINVAL_ARG).  Default MASO_PRECISION_FP32.  Codes of different
 *  precisions must not be compared: stores record it in their identity.
 *  With int8, maso_model_set_preprocess() after loading keeps the scale
 *  at 1 or fails with MASO_EINVAL_ARG (the first layer reads pixels). */
int maso_model_set_precision(maso_model *model,
                             maso_model_precision precision);
/** The precision chosen (FP32 for NULL). */
maso_model_precision maso_model_get_precision(const maso_model *model);
/** "fp32" or "int8"; NULL for a value outside the enum.  Static storage. */
const char *maso_precision_name(maso_model_precision precision);
/** @p name "fp32" or "int8" into @p precision; MASO_EINVAL_ARG otherwise
 *  (and @p precision unchanged). */
int maso_precision_parse(const char *name, maso_model_precision *precision);

int maso_model_set_preprocess(maso_model *model, const maso_preprocess *pre);
/** The model's preprocessing (owned by the model); NULL for NULL. */
const maso_preprocess *maso_model_get_preprocess(const maso_model *model);

/** Input size expected by the network (from its Input layer). */
void maso_model_input_size(const maso_model *model, int *channels,
                           int *height, int *width);

/** Number of values in the network's final output blob (1000 for an
 *  ImageNet classifier). */
size_t maso_model_output_size(const maso_model *model);

/**
 * The code layout table: *layers receives a pointer to @p return-value
 * entries, in network order.  Owned by the model; lives as long as it.
 */
size_t maso_model_code_layers(const maso_model *model,
                              const maso_code_layer **layers);

/** Total size in bytes of one full code (sum of the sections). */
size_t maso_model_code_bytes(const maso_model *model);

/**
 * Identity of the loaded files: lowercase hex sha256 of the .param and the
 * .bin (65 bytes with the NUL).  Owned by the model.  "" before a
 * successful load and for NULL.
 */
const char *maso_model_param_sha256(const maso_model *model);
const char *maso_model_bin_sha256(const maso_model *model);

/**
 * An inference context: activation buffers (the input tensor among them),
 * one reusable im2col workspace, and the resize buffers of
 * maso_forward_run_image().  One per thread; many may share a model.  The
 * model must outlive the context.
 */
typedef struct maso_forward maso_forward;

int maso_forward_create(const maso_model *model, maso_forward **forward);
void maso_forward_destroy(maso_forward *forward);

/**
 * Run the network on a preprocessed input tensor (CHW float32, the size of
 * maso_model_input_size()).  When @p code is not NULL it receives the full
 * code (maso_model_code_bytes() bytes, padding zeroed).  When @p output is
 * not NULL it receives maso_model_output_size() floats.
 */
int maso_forward_run(maso_forward *forward, const float *input,
                     uint8_t *code, float *output);

/** The model @p forward runs (NULL for NULL). */
const maso_model *maso_forward_model(const maso_forward *forward);

/**
 * Preprocess @p image for @p model into @p tensor (CHW float32, the size of
 * maso_model_input_size()): resize to the input size with
 * maso_image_resize(), then per channel (value - mean) * scale in the
 * model's channel order.  Errors: MASO_EINVAL_ARG, ENOMEM.
 */
int maso_model_preprocess_image(const maso_model *model,
                                const maso_image *image, float *tensor);

/**
 * Preprocess @p image (resize to the input size with maso_image_resize()'s
 * filter, then the model's maso_preprocess) straight into the context's
 * input, and run it as maso_forward_run().  The context keeps the resize
 * weights and buffers, so a run allocates nothing once the image sizes
 * repeat.  Errors: MASO_EINVAL_ARG (no image), MASO_EUNSUPPORTED (the
 * network's input does not have 3 channels), ENOMEM; with a message.
 */
int maso_forward_run_image(maso_forward *forward, const maso_image *image,
                           uint8_t *code, float *output);

/**
 * Run the image of the last successful maso_forward_run_image() on
 * @p forward again, turned to EXIF orientation @p orientation (1..8, as
 * maso_image_orient() numbers them) after it was resized to the input
 * size: the code of maso_forward_run_image() on the turned image, up to
 * the resize's rounding (a resized pixel can differ by one level where the
 * filter's float sums round the other way), without resizing or copying
 * the full-size image again.  Orientations 5..8 swap width and height, so
 * they need a square input.  @p code and @p output as in
 * maso_forward_run().  Errors, with a message: MASO_EINVAL_ARG (no image
 * run since maso_forward_create(), the last maso_forward_run() or a failed
 * maso_forward_run_image(), or @p orientation outside 1..8),
 * MASO_EUNSUPPORTED (5..8 on a non-square input).
 */
int maso_forward_run_turned(maso_forward *forward, int orientation,
                            uint8_t *code, float *output);

/**
 * Code the image file at @p path: decode it with @p decoder (default
 * maso_decode_params, at no more than the network's input size needs, so
 * that JPEGs are scaled in the DCT domain), then maso_forward_run_image().
 * With MASO_CODE_TRIM_BORDER in @p flags, uniform borders are cut first
 * (maso_image_trim_border() at MASO_TRIM_TOLERANCE), as maso-index and
 * maso-query code photos: a letterbox or window frame would hide a copy.
 * @p code and @p output as in maso_forward_run().  On failure
 * maso_forward_errmsg() names @p path and the cause; the status is the
 * decoder's (see maso_decoder_load_file()) or the run's.
 */
int maso_forward_code_file(maso_forward *forward, maso_decoder *decoder,
                           const char *path, unsigned flags, uint8_t *code,
                           float *output);
/** maso_forward_code_file() flag: trim uniform borders before coding. */
#define MASO_CODE_TRIM_BORDER 1u

/**
 * Limit @p forward's runs that ask for the code and not the output
 * (maso_forward_run() and the functions above with @p output NULL) to what
 * @p sketch samples, where that saves work without changing it: a
 * convolution whose output no layer with a code reads (SqueezeNet's
 * conv10, about a fifth of the pass) computes only the units @p sketch
 * samples of it, and the layers after it that only it feeds are not run.
 * maso_sketch_apply() of a limited run's code gives the sketch of a whole
 * run bit for bit; the rest of that convolution's section is zero, and its
 * blob and those after it hold nothing (maso_forward_blob()).  Done with
 * every precision and kernel choice, whose sums can be repeated unit by
 * unit.  @p sketch must be of the
 * model's code layout (MASO_EINVAL_ARG otherwise) and outlive the limit;
 * NULL removes it.  With fp32 and the AVX-512 or AVX2 kernels the context
 * keeps a copy of the sampled units' weights, grouped for the run (for
 * SqueezeNet's conv10 and the default sketch 4.5 MB, or 2.2 MB with
 * AVX-512 when the weights are exact halves, as those of an fp16 .bin),
 * until the limit is removed or replaced.  ENOMEM (with a message): no limit is left set.
 */
struct maso_sketch;
int maso_forward_limit_to_sketch(maso_forward *forward,
                                 const struct maso_sketch *sketch);

/**
 * After a successful run: the activation blob named @p blob (a blob name of
 * the .param).  Returns a pointer to channels*height*width floats in CHW
 * order, owned by the context and valid until its next run, or NULL when no
 * such blob exists.
 */
const float *maso_forward_blob(const maso_forward *forward, const char *blob,
                               int *channels, int *height, int *width);

const char *maso_forward_errmsg(const maso_forward *forward);

/* ------------------------------------------------------------------------ */
/* Distance                                                                  */
/* ------------------------------------------------------------------------ */

/**
 * Number of units of @p layer whose choice differs between codes @p a and
 * @p b (whole codes, laid out by the same table): differing bits for RELU,
 * windows with a different winner for MAXPOOL.  Only the first
 * layer->units fields are read (padding is ignored, and never more than
 * layer->bytes); codes may sit at any address.  0 when an argument is NULL
 * or bits_per_unit is not 1, 4 or 8.
 */
uint64_t maso_layer_diff(const maso_code_layer *layer, const uint8_t *a,
                         const uint8_t *b);

/** maso_layer_diff() / layer->units: a distance in [0, 1]. */
double maso_layer_distance(const maso_code_layer *layer, const uint8_t *a,
                           const uint8_t *b);

/**
 * The spline-code distance: the weighted mean over @p n_layers layers of
 * maso_layer_distance().  @p weights holds n_layers non-negative weights
 * (a zero leaves the layer out; so do negative and NaN weights) or is NULL
 * for equal weights.  When
 * @p per_layer is not NULL it receives the n_layers layer distances.
 * Returns a value in [0, 1]; 0 when every weight is zero or @p layers is
 * NULL (then @p per_layer is not written).
 */
double maso_code_distance(const maso_code_layer *layers, size_t n_layers,
                          const double *weights, const uint8_t *a,
                          const uint8_t *b, double *per_layer);

/**
 * Popcount kernels, chosen at run time from what the CPU has.  All of them
 * give identical results; tests compare them.  Arrays hold @p words 64-bit
 * words, 64-byte aligned when @p words is a multiple of 8.
 */
typedef struct maso_kernels {
    const char *name; /**< "avx512-vpopcntdq", "avx512bw", "avx2" or "scalar" */
    /** popcount(a XOR b) over the words. */
    uint64_t (*xor_popcount)(const uint64_t *a, const uint64_t *b,
                             size_t words);
    /** Number of 4-bit fields that differ between a and b. */
    uint64_t (*nibble_diff)(const uint64_t *a, const uint64_t *b,
                            size_t words);
    /** Number of 8-bit fields that differ between a and b. */
    uint64_t (*byte_diff)(const uint64_t *a, const uint64_t *b,
                          size_t words);
} maso_kernels;

/** The fastest kernels this CPU runs.  Static storage; never NULL. */
const maso_kernels *maso_kernels_best(void);

/** The kernels called @p name, or NULL when unknown or when this CPU cannot
 *  run them.  Static storage. */
const maso_kernels *maso_kernels_get(const char *name);

/* ------------------------------------------------------------------------ */
/* Checksums                                                                 */
/* ------------------------------------------------------------------------ */

/** Incremental SHA-256 (FIPS 180-4).  A plain struct: no allocation. */
typedef struct maso_sha256 {
    uint32_t state[8];
    uint64_t length;
    unsigned char buffer[64];
    size_t used;
} maso_sha256;

void maso_sha256_init(maso_sha256 *ctx);
void maso_sha256_update(maso_sha256 *ctx, const void *data, size_t size);
/** Write the 32-byte digest to @p digest. */
void maso_sha256_final(maso_sha256 *ctx, unsigned char digest[32]);
/** Hash the file at @p path into @p hex (64 lowercase hex digits + NUL).
 *  Returns 0 or an errno value. */
int maso_sha256_file(const char *path, char hex[65]);

/* ------------------------------------------------------------------------ */
/* Sketches                                                                  */
/* ------------------------------------------------------------------------ */

/*
 * A sketch is a compact, fixed-size summary of a code from which every
 * layer's distance can be estimated without bias.  For each layer it keeps
 * the choices of m units (bits of a RELU layer, windows of a MAXPOOL layer)
 * drawn uniformly *without replacement* from a seeded generator; the same
 * units for every image.  The normalised Hamming distance of two sketches'
 * sections is then an unbiased estimate of the layer's distance, with
 * standard deviation sqrt(p(1-p)/m * (N-m)/(N-1)) <= 0.5/sqrt(m) (p the true
 * distance, N the layer's units).  When a layer has N <= m units all of them
 * are kept and its sketch distance is exact.
 *
 * A sketch is itself laid out by a maso_code_layer table (maso_sketch_layers)
 * with the same packing and 64-byte aligned sections as a full code, so
 * maso_layer_distance() and maso_code_distance() apply unchanged.
 *
 * Default sizes: SqueezeNet v1.1 has 26 RELU and 3 MAXPOOL (3x3, nibble)
 * layers.  With 2048 samples per RELU layer (256 bytes) and 640 per MAXPOOL
 * layer (320 bytes) a sketch is 26*256 + 3*320 = 7616 bytes: with its search
 * summary, record and path index about 8.0 KB per image in a store, the
 * issue's budget of 8 KiB.  It is the largest sketch within that budget,
 * and the smallest measured to keep the rank correlation of sketch and full
 * distances >= 0.99 on the Kodak set with distorted copies (0.9925;
 * 1024/384 samples, 3904 bytes, give 0.9845: tests/test_sketch_fidelity.c,
 * bench/sketch_fidelity.c).  Max-pool samples buy more correlation per byte
 * than ReLU samples.
 */
#define MASO_SKETCH_RELU_SAMPLES 2048
#define MASO_SKETCH_MAXPOOL_SAMPLES 640

/**
 * The generator of the stored formats: splitmix64 (Steele, Lea, Flood
 * 2014), one 64-bit state, full period.  It draws a sketch's positions
 * (maso_sketch_create) and the units of libmaso_search's summaries, so it
 * is part of both formats and must never change; inline, since a sketch
 * draws once per unit of every layer.  Advances @p state, returns the draw.
 */
static inline uint64_t maso_splitmix64_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/** How a sketch samples.  Initialise with maso_sketch_params_init(). */
typedef struct maso_sketch_params {
    uint64_t seed;          /**< generator seed (default 0) */
    size_t relu_samples;    /**< m of RELU layers (default 2048) */
    size_t maxpool_samples; /**< m of MAXPOOL layers (default 640) */
} maso_sketch_params;

void maso_sketch_params_init(maso_sketch_params *params);

/**
 * The sampled positions of every layer.  Immutable after creation: any
 * number of threads may share one sketch.  A layer's positions are drawn
 * at their first use (maso_sketch_positions() of it, maso_sketch_apply():
 * 5 ms for all of SqueezeNet's, once, whichever thread comes first), so a
 * program that only reads stored sketches never draws them.
 */
typedef struct maso_sketch maso_sketch;

/**
 * Draw the positions for the code layout @p layers (@p n_layers entries,
 * e.g. from maso_model_code_layers()); the table is copied, names included.
 * The same table and params always give the same sketch, on every
 * platform (own generator: splitmix64, Knuth's selection sampling).
 * Errors: MASO_EINVAL_ARG (NULL, zero samples, a layer with no units,
 * bits_per_unit not 1 for RELU or 4/8 for MAXPOOL, a section too small
 * for its units), ENOMEM.
 */
int maso_sketch_create(const maso_code_layer *layers, size_t n_layers,
                       const maso_sketch_params *params,
                       maso_sketch **sketch);
void maso_sketch_destroy(maso_sketch *sketch);

/* The accessors below return NULL or 0 for a NULL sketch (apply does
 * nothing when an argument is NULL). */

/** The parameters the sketch was created with (defaults filled in). */
const maso_sketch_params *maso_sketch_get_params(const maso_sketch *sketch);

/**
 * The layout of a sketch: *layers receives the table (one entry per layer
 * of the code, same order, names, blob, kind, window and bits_per_unit;
 * units = the layer's m; channels = m, height = width = 1; offset and bytes
 * within the sketch).  The blob names the source layer's activations (a
 * sketch holds no activations of its own; NULL when the source table had
 * none).  Owned by the sketch; lives as long as it.
 */
size_t maso_sketch_layers(const maso_sketch *sketch,
                          const maso_code_layer **layers);

/** Size in bytes of one sketch (sum of its 64-byte sections). */
size_t maso_sketch_bytes(const maso_sketch *sketch);

/** Size in bytes of the full code the sketch reads (end of the last
 *  section of the source table). */
size_t maso_sketch_code_bytes(const maso_sketch *sketch);

/**
 * The sampled unit indices of layer @p layer, strictly increasing, in
 * [0, units of that layer); *count receives m.  Owned by the sketch.
 * NULL (and *count 0) when @p layer is out of range.
 */
const uint32_t *maso_sketch_positions(const maso_sketch *sketch, size_t layer,
                                      size_t *count);

/**
 * Gather the sampled units of the full code @p code (maso_sketch_code_bytes()
 * bytes) into @p out (maso_sketch_bytes() bytes; padding zeroed).  Sample j
 * of a layer is unit j of that layer's sketch section.
 */
void maso_sketch_apply(const maso_sketch *sketch, const uint8_t *code,
                       uint8_t *out);

#ifdef __cplusplus
}
#endif
#endif /* MASO_H */
