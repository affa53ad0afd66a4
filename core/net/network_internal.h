/* network_internal.h -- internal representation of a loaded network, shared by the
 * files of the network module (model.c, layer_params.c, weights.c,
 * code_layout.c, forward.c and the layer kernels).  Not installed. */
#ifndef CORE_NETWORK_INTERNAL_H
#define CORE_NETWORK_INTERNAL_H

#include "maso.h"
#include "image/resize_internal.h"

#include <stddef.h>
#include <stdint.h>

/* What a layer does at run time.  ALIAS layers (Split, a BatchNorm folded
 * into its convolution, Dropout with scale 1) do nothing: their outputs
 * share the memory of their input. */
typedef enum core_op {
    CORE_OP_INPUT,
    CORE_OP_CONV,
    CORE_OP_INNERPRODUCT,
    CORE_OP_RELU,
    CORE_OP_POOL,
    CORE_OP_CONCAT,
    CORE_OP_SOFTMAX,
    CORE_OP_SCALE,  /* Dropout with a scale other than 1 */
    CORE_OP_ALIAS,
    CORE_OP_BATCHNORM /* only between parsing and folding */
} core_op;

typedef enum core_act {
    CORE_ACT_NONE = 0,
    CORE_ACT_RELU = 1,
    CORE_ACT_LEAKY = 2
} core_act;

/* Vector instruction sets the pooling and activation kernels may use,
 * each level implying the ones below it.  MASO_MODEL_KERNELS_PORTABLE
 * stops at AVX2; every level gives results identical to the scalar code.
 * (The fp32 GEMM's set is core_conv_desc.gemm, kernels/gemm_internal.h.) */
typedef enum core_simd {
    CORE_SIMD_NONE = 0,   /* plain C: any x86-64 or other CPU */
    CORE_SIMD_AVX2 = 1,   /* the CPU reports AVX2 */
    CORE_SIMD_AVX512 = 2  /* kernels BEST and the CPU reports AVX-512F */
} core_simd;

typedef struct core_shape {
    int c, h, w;
} core_shape;

/* Convolution and InnerProduct (an InnerProduct is a convolution whose
 * kernel covers the whole input).  weight is [out][in][kh][kw] fp32, i.e.
 * the row-major M x K matrix of the GEMM; bias has num_output entries
 * (zeros when the layer has none). */
typedef struct core_conv_desc {
    int num_output;
    int kw, kh, dw, dh, sw, sh;
    int pad_l, pad_r, pad_t, pad_b;
    core_act act;
    float slope;          /* leaky ReLU slope */
    int weight_count;     /* from the .param, checked against the shape */
    int bias_term;        /* the .bin holds biases */
    float *weight;        /* owned by the model */
    float *bias;          /* owned by the model */
    float *packed;        /* weight packed for gemm_internal.h (every fp32
                           * layer once loaded), or NULL (int8 layer);
                           * owned by the model */
    int winograd;         /* packed holds winograd.h's transformed weights */
    int gemm;             /* core_gemm_isa of the fp32 kernel set */
    int8_t *qweight;      /* int8 weights packed for gemm_int8.h, or NULL
                           * (fp32 layer); owned by the model */
    float *qscale;        /* their per-output-channel scales; owned */
    int qisa;             /* core_gemm8_isa of the int8 kernel set */
    /* The network's first convolution in int8 reads integer pixels: the
     * input plus qoffset[ch] (the preprocessing mean, scale 1), with the
     * offset's product folded into qbias; qsums[o*channels + ch] are the
     * int8 weights' sums per input channel, to fold again when the
     * preprocessing changes.  All NULL elsewhere; owned by the model. */
    float *qoffset;
    float *qbias;
    int32_t *qsums;
    core_simd simd;       /* vector paths allowed (maso_model.simd) */
} core_conv_desc;

typedef struct core_pool_desc {
    int max;              /* 1 max, 0 average */
    int global;
    int k, s;
    int pad_l, pad_r, pad_t, pad_b;
    int ceil_mode;        /* ncnn pad_mode 0 (full) */
    int include_pad;      /* average: divide by k*k instead of the count */
    core_simd simd;       /* vector paths allowed (maso_model.simd) */
} core_pool_desc;

typedef struct core_layer {
    core_op op;
    char *name;
    int line;             /* line in the .param, for messages */
    int n_in, n_out;
    int *in, *out;        /* blob indices */
    core_conv_desc conv;  /* CORE_OP_CONV, CORE_OP_INNERPRODUCT */
    core_pool_desc pool;  /* CORE_OP_POOL */
    float slope;          /* CORE_OP_RELU: leaky slope (0 = ReLU) */
    float scale;          /* CORE_OP_SCALE */
    int bn_channels;      /* CORE_OP_BATCHNORM */
    float bn_eps;
    float *bn;            /* 4*channels: slope, mean, var, bias */
    int code;             /* index in the code layout, or -1 */
} core_layer;

typedef struct core_blob {
    char *name;
    core_shape shape;
    int producer;         /* layer index */
    int parent;           /* blob whose memory this one lives in, or -1 */
    size_t offset;        /* in floats, inside the parent */
} core_blob;

struct maso_model {
    char errmsg[MASO_ERRMSG_SIZE];
    char *param_path;     /* for messages */
    char *bin_path;
    int loaded;
    core_layer *layers;
    int n_layers;
    core_blob *blobs;
    int n_blobs;
    int input_blob, output_blob;
    maso_code_layer *code_layers;
    size_t n_code_layers;
    size_t code_bytes;
    maso_preprocess pre;
    char param_sha256[65];
    char bin_sha256[65];
    maso_model_kernels kernels; /* as asked with maso_model_set_kernels() */
    core_simd simd;       /* the best the kernels choice and CPU allow */
    maso_model_precision precision; /* maso_model_set_precision() */
};

/* An inference context (forward.c).  Blob memory is one arena planned at
 * creation; the input blob is where maso_forward_run() copies its tensor
 * and where preprocess.c writes an image directly. */
/* What a run limited to a sketch does with a layer
 * (maso_forward_limit_to_sketch()). */
typedef enum core_limit_mode {
    CORE_LIMIT_RUN = 0,   /* run it whole */
    CORE_LIMIT_SAMPLE,    /* a last convolution: only the sampled units */
    CORE_LIMIT_SKIP       /* after one: feeds no code, not run */
} core_limit_mode;

typedef struct core_layer_limit {
    core_limit_mode mode;
    const uint32_t *units; /* CORE_LIMIT_SAMPLE: the sketch's positions */
    size_t n;
    struct core_sample_plan *plan; /* CORE_LIMIT_SAMPLE: owned, or NULL */
} core_layer_limit;

struct maso_forward {
    const maso_model *model;
    float *arena;
    float **blob;         /* per blob: its first float */
    float *workspace;     /* im2col, shared by all convolutions */
    size_t workspace_bytes;
    core_resizer resizer; /* filter taps and rows kept from image to image */
    maso_image resized;   /* the input-size RGB image, owned */
    core_layer_limit *limit; /* per layer; all RUN without a limit */
    int limited;          /* some layer is not RUN */
    unsigned char *derived; /* per blob, maso_forward_limit_to_sketch()'s
                             * scratch */
    int resized_valid;    /* resized holds the last maso_forward_run_image()'s
                           * image (maso_forward_run_turned() reads it) */
    char errmsg[MASO_ERRMSG_SIZE];
};

struct core_ncnn_line;

/* layer_params.c: fill @p layer from its .param line (type, parameters);
 * MASO_EUNSUPPORTED or MASO_EMODEL with a message in model->errmsg. */
int core_layer_configure(maso_model *model, core_layer *layer,
                         const struct core_ncnn_line *line);

/* layer_params.c: the output shape of @p layer from its inputs' shapes. */
int core_layer_infer_shape(maso_model *model, core_layer *layer);

/* weights.c: read every layer's weights from the .bin file, and the
 * file's sha256 into model->bin_sha256. */
int core_weights_load(maso_model *model, const char *bin_path);

/* weights.c: fold each BatchNorm into the convolution feeding it. */
int core_weights_fold_batchnorm(maso_model *model);

/* fp16.c: IEEE half (binary16) to float, every value incl. subnormals. */
float core_fp16_to_fp32(uint16_t h);
/* The same for @p n little-endian halves at @p src into @p dst: with F16C
 * when @p vector and the CPU has it (the same bits for every value but
 * NaN payloads, which it leaves to core_fp16_to_fp32()), else one by one. */
void core_fp16_to_fp32_array(const unsigned char *src, size_t n, float *dst,
                             int vector);

/* conv.c: pack every convolution's weights for the fp32 GEMM of the kernel
 * set chosen (AVX-512, AVX2 + FMA or plain C), and for the int8 GEMM when the precision is int8 (the
 * convolutions whose input is >= 0); ENOMEM with a message. */
int core_conv_prepare_all(maso_model *model);

/* conv.c: fold the model's preprocessing into the int8 first
 * convolution again after maso_model_set_preprocess(); MASO_EINVAL_ARG
 * with a message when its scale is no longer 1. */
int core_conv_preprocess_changed(maso_model *model);

/* code_layout.c: build model->code_layers from the layers. */
int core_code_layout_build(maso_model *model);

/* Record a failure in the handle's message (maso_errmsg_format) and
 * return @p status. */
#define core_model_fail(model, status, ...) \
    maso_errmsg_format((model)->errmsg, (status), __VA_ARGS__)
#define core_forward_fail(forward, status, ...) \
    maso_errmsg_format((forward)->errmsg, (status), __VA_ARGS__)

/* forward.c: maso_forward_run() on the input blob as it is (filled in
 * place by the caller). */
void core_forward_run_input(maso_forward *forward, uint8_t *code,
                            float *output);

/* forward.c: core_forward_run_input() calling @p conv_input before every
 * convolution (and inner product) with its layer index, input blob index
 * and input (@p n floats); the convolution reads what it returns (@p src,
 * or a transformed copy that lives until the next call).  For simulations
 * of other arithmetic (bench/int8_agreement.c). */
typedef const float *(*core_conv_input_fn)(void *ctx, int layer, int blob,
                                           const float *src, size_t n);
void core_forward_run_hooked(maso_forward *forward, uint8_t *code,
                             float *output, core_conv_input_fn conv_input,
                             void *ctx);

#endif
