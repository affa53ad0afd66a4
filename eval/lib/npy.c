/* npy.c -- a strict reader for 1-D float vectors in NumPy's .npy format.
 *
 * Layout (numpy.lib.format): the magic "\x93NUMPY", a major and a minor
 * version byte, the header length (uint16 little-endian in 1.0, uint32 in
 * 2.0 and 3.0), then the header: a Python dict literal such as
 *   {'descr': '<f8', 'fortran_order': False, 'shape': (20,), }
 * padded with spaces and ended by '\n'; the raw array data follows. */
#include "maso_eval.h"
#include "errmsg_internal.h"

#include "maso.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct maso_eval_npy {
    double *values;
    size_t count;
    char errmsg[512];
};

int maso_eval_npy_create(maso_eval_npy **npy)
{
    if (npy == NULL)
        return MASO_EINVAL_ARG;
    *npy = calloc(1, sizeof **npy);
    return *npy ? MASO_SUCCESS : ENOMEM;
}

void maso_eval_npy_destroy(maso_eval_npy *npy)
{
    if (npy != NULL) {
        free(npy->values);
        free(npy);
    }
}

const double *maso_eval_npy_values(const maso_eval_npy *npy, size_t *count)
{
    if (count != NULL)
        *count = npy ? npy->count : 0;
    return npy ? npy->values : NULL;
}

const char *maso_eval_npy_errmsg(const maso_eval_npy *npy)
{
    return npy ? npy->errmsg : "no reader";
}

/* Record "<name>: <message>" and return rc. */
static int fail(maso_eval_npy *npy, int rc, const char *name, const char *fmt,
                ...)
{
    va_list ap;
    va_start(ap, fmt);
    meval_format_error(npy->errmsg, sizeof npy->errmsg, name, fmt, ap);
    va_end(ap);
    return rc;
}

/* ---- the header dict ------------------------------------------------- */

/* A cursor over the header text. */
typedef struct cursor {
    const char *p, *end;
} cursor;

static void skip_space(cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
        c->p++;
}

/* Consume character ch (after blanks); 1 when it was there. */
static int accept(cursor *c, char ch)
{
    skip_space(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return 1;
    }
    return 0;
}

/* A quoted string ('...' or "...", no escapes needed for our keys). */
static int parse_string(cursor *c, char *out, size_t cap)
{
    skip_space(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"'))
        return -1;
    char quote = *c->p++;
    size_t len = 0;
    while (c->p < c->end && *c->p != quote) {
        if (len + 1 >= cap)
            return -1;
        out[len++] = *c->p++;
    }
    if (c->p >= c->end)
        return -1;
    c->p++;
    out[len] = '\0';
    return 0;
}

/* A non-negative decimal integer (Python may append 'L' in old files). */
static int parse_uint(cursor *c, uint64_t *v)
{
    skip_space(c);
    if (c->p >= c->end || *c->p < '0' || *c->p > '9')
        return -1;
    uint64_t x = 0;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        if (x > (UINT64_MAX - 9) / 10)
            return -1;
        x = x * 10 + (uint64_t)(*c->p++ - '0');
    }
    if (c->p < c->end && *c->p == 'L')
        c->p++;
    *v = x;
    return 0;
}

/* What the header says. */
typedef struct npy_header {
    char descr[32];
    int fortran;
    uint64_t shape[8];
    int ndim;
    int have_descr, have_fortran, have_shape;
} npy_header;

/* The shape tuple: "()", "(N,)", "(N, M)", ... */
static int parse_shape(cursor *c, npy_header *h)
{
    if (!accept(c, '('))
        return -1;
    h->ndim = 0;
    if (accept(c, ')'))
        return 0;
    for (;;) {
        if (h->ndim == 8 || parse_uint(c, &h->shape[h->ndim]) != 0)
            return -1;
        h->ndim++;
        if (accept(c, ')'))
            return 0;
        if (!accept(c, ','))
            return -1;
        if (accept(c, ')'))
            return 0;
    }
}

/* Parse the whole dict; on failure *why says what went wrong. */
static int parse_header(cursor *c, npy_header *h, const char **why)
{
    memset(h, 0, sizeof *h);
    *why = "the header is not a dict literal";
    if (!accept(c, '{'))
        return -1;
    while (!accept(c, '}')) {
        char key[32];
        *why = "malformed key in the header dict";
        if (parse_string(c, key, sizeof key) != 0 || !accept(c, ':'))
            return -1;
        if (strcmp(key, "descr") == 0) {
            *why = "'descr' is not a string (structured dtypes are not "
                   "supported)";
            if (parse_string(c, h->descr, sizeof h->descr) != 0)
                return -1;
            h->have_descr = 1;
        } else if (strcmp(key, "fortran_order") == 0) {
            skip_space(c);
            size_t left = (size_t)(c->end - c->p);
            if (left >= 4 && memcmp(c->p, "True", 4) == 0) {
                h->fortran = 1;
                c->p += 4;
            } else if (left >= 5 && memcmp(c->p, "False", 5) == 0) {
                c->p += 5;
            } else {
                *why = "'fortran_order' is neither True nor False";
                return -1;
            }
            h->have_fortran = 1;
        } else if (strcmp(key, "shape") == 0) {
            *why = "'shape' is not a tuple of non-negative integers";
            if (parse_shape(c, h) != 0)
                return -1;
            h->have_shape = 1;
        } else {
            *why = "unknown key in the header dict";
            return -1;
        }
        if (!accept(c, ',')) {
            *why = "expected ',' or '}' in the header dict";
            if (!accept(c, '}'))
                return -1;
            break;
        }
    }
    *why = "the header dict lacks 'descr', 'fortran_order' or 'shape'";
    if (!h->have_descr || !h->have_fortran || !h->have_shape)
        return -1;
    return 0;
}

/* ---- the file -------------------------------------------------------- */

static uint32_t read_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static uint64_t read_le64(const unsigned char *p)
{
    return (uint64_t)read_le32(p) | (uint64_t)read_le32(p + 4) << 32;
}

/* Human-readable shape for messages, e.g. "(3, 4)". */
static void format_shape(const npy_header *h, char *out, size_t cap)
{
    size_t len = (size_t)snprintf(out, cap, "(");
    for (int i = 0; i < h->ndim && len < cap; i++)
        len += (size_t)snprintf(out + len, cap - len, "%s%llu",
                                i ? ", " : "",
                                (unsigned long long)h->shape[i]);
    if (len < cap)
        snprintf(out + len, cap - len, h->ndim == 1 ? ",)" : ")");
}

int maso_eval_npy_load_memory(maso_eval_npy *npy, const void *data, size_t size,
                              const char *name)
{
    if (npy == NULL)
        return MASO_EINVAL_ARG;
    npy->errmsg[0] = '\0';
    if (name == NULL)
        name = "<memory>";
    if (data == NULL && size > 0)
        return fail(npy, MASO_EINVAL_ARG, name, "no data");
    const unsigned char *b = data;
    static const unsigned char magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
    if (size < 10 || memcmp(b, magic, 6) != 0)
        return fail(npy, MASO_EDATA, name,
                    "not a NumPy .npy file (no \\x93NUMPY magic)");
    unsigned major = b[6], minor = b[7];
    size_t prefix, hlen;
    if (major == 1) {
        prefix = 10;
        hlen = (size_t)b[8] | (size_t)b[9] << 8;
    } else if (major == 2 || major == 3) {
        if (size < 12)
            return fail(npy, MASO_EDATA, name, "truncated header length");
        prefix = 12;
        hlen = read_le32(b + 8);
    } else {
        return fail(npy, MASO_EDATA, name,
                    "unsupported .npy format version %u.%u (1.0, 2.0 and "
                    "3.0 are read)", major, minor);
    }
    if (minor != 0)
        return fail(npy, MASO_EDATA, name,
                    "unsupported .npy format version %u.%u", major, minor);
    if (hlen > size - prefix)
        return fail(npy, MASO_EDATA, name,
                    "truncated: the header says %zu bytes, %zu remain",
                    hlen, size - prefix);
    const char *htext = (const char *)b + prefix;
    if (hlen == 0 || htext[hlen - 1] != '\n')
        return fail(npy, MASO_EDATA, name,
                    "malformed header: it does not end with a newline");

    npy_header h;
    cursor c = { htext, htext + hlen - 1 };
    const char *why;
    if (parse_header(&c, &h, &why) != 0)
        return fail(npy, MASO_EDATA, name, "malformed header: %s", why);
    skip_space(&c);
    if (c.p != c.end)
        return fail(npy, MASO_EDATA, name,
                    "malformed header: text after the dict");

    size_t item;
    if (strcmp(h.descr, "<f8") == 0) {
        item = 8;
    } else if (strcmp(h.descr, "<f4") == 0) {
        item = 4;
    } else if (h.descr[0] == '>' && (strcmp(h.descr + 1, "f4") == 0 ||
                                     strcmp(h.descr + 1, "f8") == 0)) {
        return fail(npy, MASO_EDATA, name,
                    "dtype '%s' is big-endian; only little-endian '<f4' "
                    "and '<f8' are read", h.descr);
    } else {
        return fail(npy, MASO_EDATA, name,
                    "dtype '%s' is not supported; only '<f4' (float32) "
                    "and '<f8' (float64) are read", h.descr);
    }

    char shape[96];
    format_shape(&h, shape, sizeof shape);
    if (!(h.ndim == 1 || (h.ndim == 2 && h.shape[1] == 1)))
        return fail(npy, MASO_EDATA, name,
                    "shape %s is not a vector; expected (N,) or (N, 1)",
                    shape);
    uint64_t n = h.shape[0];
    size_t body = size - prefix - hlen;
    if (n > SIZE_MAX / item || body != n * item)
        return fail(npy, MASO_EDATA, name,
                    "%s: shape %s needs %llu data bytes, the file has %zu",
                    body < n * item ? "truncated" : "trailing bytes", shape,
                    (unsigned long long)(n * item), body);

    double *values = malloc((size_t)(n ? n : 1) * sizeof *values);
    if (values == NULL)
        return fail(npy, ENOMEM, name, "out of memory for %llu values",
                    (unsigned long long)n);
    const unsigned char *p = b + prefix + hlen;
    for (size_t i = 0; i < n; i++) {
        double v;
        if (item == 8) {
            uint64_t bits = read_le64(p + 8 * i);
            memcpy(&v, &bits, sizeof v);
        } else {
            uint32_t bits = read_le32(p + 4 * i);
            float f;
            memcpy(&f, &bits, sizeof f);
            v = f;
        }
        if (!isfinite(v)) {
            free(values);
            return fail(npy, MASO_EDATA, name, "element %zu is %s", i,
                        isnan(v) ? "NaN" : "infinite");
        }
        values[i] = v;
    }
    free(npy->values);
    npy->values = values;
    npy->count = (size_t)n;
    return MASO_SUCCESS;
}

int maso_eval_npy_load_file(maso_eval_npy *npy, const char *path)
{
    if (npy == NULL || path == NULL)
        return MASO_EINVAL_ARG;
    char *data;
    size_t size;
    int rc = maso_file_read(path, SIZE_MAX, &data, &size);
    if (rc != 0)
        return fail(npy, rc, path, "cannot read: %s", maso_strerror(rc));
    rc = maso_eval_npy_load_memory(npy, data, size, path);
    free(data);
    return rc;
}
