/* network.h -- internal representation of a loaded network, shared by the
 * files of the network module (model.c, layer_params.c, weights.c,
 * code_layout.c, forward.c and the layer kernels).  Not installed. */
#ifndef MASO_NETWORK_H
#define MASO_NETWORK_H

#include "maso.h"
#include "resize_internal.h"

#include <stddef.h>
#include <stdint.h>

/* What a layer does at run time.  ALIAS layers (Split, a BatchNorm folded
 * into its convolution, Dropout with scale 1) do nothing: their outputs
 * share the memory of their input. */
typedef enum maso_op {
    MASO_OP_INPUT,
    MASO_OP_CONV,
    MASO_OP_INNERPRODUCT,
    MASO_OP_RELU,
    MASO_OP_POOL,
    MASO_OP_CONCAT,
    MASO_OP_SOFTMAX,
    MASO_OP_SCALE,  /* Dropout with a scale other than 1 */
    MASO_OP_ALIAS,
    MASO_OP_BATCHNORM /* only between parsing and folding */
} maso_op;

typedef enum maso_act {
    MASO_ACT_NONE = 0,
    MASO_ACT_RELU = 1,
    MASO_ACT_LEAKY = 2
} maso_act;

/* Vector instruction sets a kernel may use, each level implying the ones
 * below it.  MASO_MODEL_KERNELS_PORTABLE stops at AVX2 (no packed AVX-512
 * GEMM); every level gives results identical to the scalar code. */
typedef enum maso_simd {
    MASO_SIMD_NONE = 0,   /* plain C: any x86-64 or other CPU */
    MASO_SIMD_AVX2 = 1,   /* the CPU reports AVX2 */
    MASO_SIMD_AVX512 = 2  /* kernels BEST and the CPU reports AVX-512F */
} maso_simd;

typedef struct maso_shape {
    int c, h, w;
} maso_shape;

/* Convolution and InnerProduct (an InnerProduct is a convolution whose
 * kernel covers the whole input).  weight is [out][in][kh][kw] fp32, i.e.
 * the row-major M x K matrix of the GEMM; bias has num_output entries
 * (zeros when the layer has none). */
typedef struct maso_conv_desc {
    int num_output;
    int kw, kh, dw, dh, sw, sh;
    int pad_l, pad_r, pad_t, pad_b;
    maso_act act;
    float slope;          /* leaky ReLU slope */
    int weight_count;     /* from the .param, checked against the shape */
    int bias_term;        /* the .bin holds biases */
    float *weight;        /* owned by the model */
    float *bias;          /* owned by the model */
    float *packed;        /* weight packed for gemm.h, or NULL (no AVX-512);
                           * owned by the model */
    int winograd;         /* packed holds winograd.h's transformed weights */
    int8_t *qweight;      /* int8 weights packed for gemm_int8.h, or NULL
                           * (fp32 layer); owned by the model */
    float *qscale;        /* their per-output-channel scales; owned */
    int qisa;             /* maso_gemm8_isa of the int8 kernel set */
    /* The network's first convolution in int8 reads integer pixels: the
     * input plus qoffset[ch] (the preprocessing mean, scale 1), with the
     * offset's product folded into qbias; qsums[o*channels + ch] are the
     * int8 weights' sums per input channel, to fold again when the
     * preprocessing changes.  All NULL elsewhere; owned by the model. */
    float *qoffset;
    float *qbias;
    int32_t *qsums;
    maso_simd simd;       /* vector paths allowed (maso_model.simd) */
} maso_conv_desc;

typedef struct maso_pool_desc {
    int max;              /* 1 max, 0 average */
    int global;
    int k, s;
    int pad_l, pad_r, pad_t, pad_b;
    int ceil_mode;        /* ncnn pad_mode 0 (full) */
    int include_pad;      /* average: divide by k*k instead of the count */
    maso_simd simd;       /* vector paths allowed (maso_model.simd) */
} maso_pool_desc;

typedef struct maso_layer {
    maso_op op;
    char *name;
    int line;             /* line in the .param, for messages */
    int n_in, n_out;
    int *in, *out;        /* blob indices */
    maso_conv_desc conv;  /* MASO_OP_CONV, MASO_OP_INNERPRODUCT */
    maso_pool_desc pool;  /* MASO_OP_POOL */
    float slope;          /* MASO_OP_RELU: leaky slope (0 = ReLU) */
    float scale;          /* MASO_OP_SCALE */
    int bn_channels;      /* MASO_OP_BATCHNORM */
    float bn_eps;
    float *bn;            /* 4*channels: slope, mean, var, bias */
    int code;             /* index in the code layout, or -1 */
} maso_layer;

typedef struct maso_blob {
    char *name;
    maso_shape shape;
    int producer;         /* layer index */
    int parent;           /* blob whose memory this one lives in, or -1 */
    size_t offset;        /* in floats, inside the parent */
} maso_blob;

struct maso_model {
    char errmsg[512];
    char *param_path;     /* for messages */
    char *bin_path;
    int loaded;
    maso_layer *layers;
    int n_layers;
    maso_blob *blobs;
    int n_blobs;
    int input_blob, output_blob;
    maso_code_layer *code_layers;
    size_t n_code_layers;
    size_t code_bytes;
    maso_preprocess pre;
    char param_sha256[65];
    char bin_sha256[65];
    maso_model_kernels kernels; /* as asked with maso_model_set_kernels() */
    maso_simd simd;       /* the best the kernels choice and CPU allow */
    maso_model_precision precision; /* maso_model_set_precision() */
};

/* An inference context (forward.c).  Blob memory is one arena planned at
 * creation; the input blob is where maso_forward_run() copies its tensor
 * and where preprocess.c writes an image directly. */
#define MASO_FORWARD_MSG_SIZE 1024 /* a long path plus a decoder's message */
struct maso_forward {
    const maso_model *model;
    float *arena;
    float **blob;         /* per blob: its first float */
    float *workspace;     /* im2col, shared by all convolutions */
    maso_resizer resizer; /* filter taps and rows kept from image to image */
    maso_image resized;   /* the input-size RGB image, owned */
    char errmsg[MASO_FORWARD_MSG_SIZE];
};

struct maso_ncnn_line;

/* layer_params.c: fill @p layer from its .param line (type, parameters);
 * MASO_EUNSUPPORTED or MASO_EMODEL with a message in model->errmsg. */
int maso_layer_configure(maso_model *model, maso_layer *layer,
                         const struct maso_ncnn_line *line);

/* layer_params.c: the output shape of @p layer from its inputs' shapes. */
int maso_layer_infer_shape(maso_model *model, maso_layer *layer);

/* weights.c: read every layer's weights from the .bin file. */
int maso_weights_load(maso_model *model, const char *bin_path);

/* weights.c: fold each BatchNorm into the convolution feeding it. */
int maso_weights_fold_batchnorm(maso_model *model);

/* fp16.c: IEEE half (binary16) to float, every value incl. subnormals. */
float maso_fp16_to_fp32(uint16_t h);

/* conv.c: pack every convolution's weights for the AVX-512 GEMM when the
 * CPU has it, and for the int8 GEMM when the precision is int8 (the
 * convolutions whose input is >= 0); ENOMEM with a message. */
int maso_conv_prepare_all(maso_model *model);

/* conv.c: fold the model's preprocessing into the int8 first
 * convolution again after maso_model_set_preprocess(); MASO_EINVAL_ARG
 * with a message when its scale is no longer 1. */
int maso_conv_preprocess_changed(maso_model *model);

/* code_layout.c: build model->code_layers from the layers. */
int maso_code_layout_build(maso_model *model);

/* model.c: printf-style message into model->errmsg; returns @p status. */
int maso_model_fail(maso_model *model, int status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* forward.c: printf-style message into forward->errmsg; returns @p status. */
int maso_forward_fail(maso_forward *forward, int status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* forward.c: maso_forward_run() on the input blob as it is (filled in
 * place by the caller). */
void maso_forward_run_input(maso_forward *forward, uint8_t *code,
                            float *output);

/* forward.c: maso_forward_run_input() calling @p conv_input before every
 * convolution (and inner product) with its layer index, input blob index
 * and input (@p n floats); the convolution reads what it returns (@p src,
 * or a transformed copy that lives until the next call).  For simulations
 * of other arithmetic (bench/int8_agreement.c). */
typedef const float *(*maso_conv_input_fn)(void *ctx, int layer, int blob,
                                           const float *src, size_t n);
void maso_forward_run_hooked(maso_forward *forward, uint8_t *code,
                             float *output, maso_conv_input_fn conv_input,
                             void *ctx);

#endif
