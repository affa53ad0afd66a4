/* ncnn_param.c -- parser for ncnn's text .param format.
 *
 *   7767517
 *   <layer count> <blob count>
 *   Type name n_in n_out in_blob... out_blob... id=value ...
 *
 * Values are ints or floats; `-23300-id=n,v1,...,vn` is an array for id.
 * The whole file is read at once (they are small) and split into lines so
 * every error can name its line. */
#include "net/ncnn_param_internal.h"
#include "maso.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PARAM_MAX_FILE (64u << 20) /* refuse absurd files before reading */
#define PARAM_MAX_LAYERS 100000
#define PARAM_MAX_IO 1024

static int fail(char *err, size_t errsize, const char *path, int line,
                const char *fmt, ...)
{
    char msg[MASO_ERRMSG_SIZE];
    va_list ap;
    va_start(ap, fmt);
    maso_errmsg_vformat(msg, 0, fmt, ap);
    va_end(ap);
    snprintf(err, errsize, "%s:%d: %s", path, line, msg);
    return MASO_EMODEL;
}

static int read_all(const char *path, char **data, size_t *size, char *err,
                    size_t errsize)
{
    char *buf;
    size_t len;
    int rc = maso_file_read(path, PARAM_MAX_FILE, &buf, &len);
    if (rc == MASO_ETOOBIG)
        return fail(err, errsize, path, 0, "file larger than %u bytes",
                    PARAM_MAX_FILE);
    if (rc == ENOMEM) {
        snprintf(err, errsize, "%s: out of memory", path);
        return ENOMEM;
    }
    if (rc) {
        snprintf(err, errsize, "%s: cannot read: %s", path, strerror(rc));
        return rc;
    }
    const char *nul = memchr(buf, '\0', len);
    if (nul) {
        int line = 1; /* name the line the NUL byte is on */
        for (const char *c = buf; c < nul; c++)
            line += *c == '\n';
        free(buf);
        return fail(err, errsize, path, line,
                    "a NUL byte (binary data in a text file)");
    }
    *data = buf;
    *size = len;
    return 0;
}

/* Split @p s in place into whitespace-separated tokens. */
static int tokenize(char *s, char **tok, int max)
{
    int n = 0;
    char *save = NULL;
    for (char *t = strtok_r(s, " \t\r\v\f", &save); t;
         t = strtok_r(NULL, " \t\r\v\f", &save)) {
        if (n == max)
            return -1;
        tok[n++] = t;
    }
    return n;
}

/* A whole-token number: int or float, finite. */
static int parse_number(const char *s, double *v)
{
    if (!*s)
        return -1;
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (*end || errno == ERANGE || !isfinite(d))
        return -1;
    *v = d;
    return 0;
}

static int parse_int(const char *s, long lo, long hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!*s || *end || errno || v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

static int parse_value(const char *path, int lineno, const char *name,
                       char *tok, core_ncnn_value *val, char *err,
                       size_t errsize)
{
    char *eq = strchr(tok, '=');
    if (!eq)
        return fail(err, errsize, path, lineno,
                    "layer '%s': '%s' is not id=value", name, tok);
    *eq = '\0';
    int key;
    if (parse_int(tok, -23300 - CORE_NCNN_MAX_PARAM_ID, CORE_NCNN_MAX_PARAM_ID,
                  &key) ||
        (key < 0 && key > -23300))
        return fail(err, errsize, path, lineno,
                    "layer '%s': bad parameter id '%s'", name, tok);
    const char *vs = eq + 1;
    if (key >= 0) {
        val->id = key;
        val->is_array = 0;
        val->count = 1;
        val->v = malloc(sizeof(double));
        if (!val->v)
            return ENOMEM;
        if (parse_number(vs, val->v))
            return fail(err, errsize, path, lineno,
                        "layer '%s': parameter %d: bad number '%s'", name,
                        key, vs);
        return 0;
    }
    val->id = -23300 - key;
    val->is_array = 1;
    /* n,v1,...,vn */
    char *copy = strdup(vs);
    if (!copy)
        return ENOMEM;
    char *save = NULL;
    char *t = strtok_r(copy, ",", &save);
    int n = -1;
    if (!t || parse_int(t, 0, 1 << 24, &n)) {
        free(copy);
        return fail(err, errsize, path, lineno,
                    "layer '%s': array parameter %d: bad length", name,
                    val->id);
    }
    val->count = n;
    val->v = malloc(sizeof(double) * (size_t)(n > 0 ? n : 1));
    if (!val->v) {
        free(copy);
        return ENOMEM;
    }
    int i = 0;
    for (t = strtok_r(NULL, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (i == n || parse_number(t, &val->v[i])) {
            free(copy);
            return fail(err, errsize, path, lineno,
                        "layer '%s': array parameter %d: bad element '%s'",
                        name, val->id, t);
        }
        i++;
    }
    free(copy);
    if (i != n)
        return fail(err, errsize, path, lineno,
                    "layer '%s': array parameter %d: %d elements, expected %d",
                    name, val->id, i, n);
    return 0;
}

static int parse_layer(const char *path, int lineno, char *text,
                       core_ncnn_line *l, char *err, size_t errsize)
{
    enum { MAX_TOK = 2 * PARAM_MAX_IO + 4 + 2 * (CORE_NCNN_MAX_PARAM_ID + 1) };
    char **tok = malloc(sizeof(char *) * MAX_TOK);
    int rc = 0;
    if (!tok) {
        rc = ENOMEM;
        goto out;
    }
    int n = tokenize(text, tok, MAX_TOK);
    l->line = lineno;
    if (n < 0) {
        rc = fail(err, errsize, path, lineno, "too many fields");
        goto out;
    }
    if (n < 4) {
        rc = fail(err, errsize, path, lineno,
                  "expected 'Type name n_in n_out ...'");
        goto out;
    }
    l->type = strdup(tok[0]);
    l->name = strdup(tok[1]);
    if (!l->type || !l->name) {
        rc = ENOMEM;
        goto out;
    }
    if (parse_int(tok[2], 0, PARAM_MAX_IO, &l->n_in) ||
        parse_int(tok[3], 0, PARAM_MAX_IO, &l->n_out)) {
        rc = fail(err, errsize, path, lineno,
                  "layer '%s': bad input/output count", l->name);
        goto out;
    }
    if (n < 4 + l->n_in + l->n_out) {
        rc = fail(err, errsize, path, lineno,
                  "layer '%s': missing blob names", l->name);
        goto out;
    }
    l->in = calloc((size_t)l->n_in + 1, sizeof(char *));
    l->out = calloc((size_t)l->n_out + 1, sizeof(char *));
    if (!l->in || !l->out) {
        rc = ENOMEM;
        goto out;
    }
    for (int i = 0; i < l->n_in; i++)
        if (!(l->in[i] = strdup(tok[4 + i]))) {
            rc = ENOMEM;
            goto out;
        }
    for (int i = 0; i < l->n_out; i++)
        if (!(l->out[i] = strdup(tok[4 + l->n_in + i]))) {
            rc = ENOMEM;
            goto out;
        }
    int first = 4 + l->n_in + l->n_out;
    l->values = calloc((size_t)(n - first) + 1, sizeof(core_ncnn_value));
    if (!l->values) {
        rc = ENOMEM;
        goto out;
    }
    for (int i = first; i < n; i++) {
        rc = parse_value(path, lineno, l->name, tok[i], &l->values[l->n_values],
                         err, errsize);
        if (l->values[l->n_values].v)
            l->n_values++;
        if (rc)
            goto out;
        for (int j = 0; j < l->n_values - 1; j++)
            if (l->values[j].id == l->values[l->n_values - 1].id) {
                rc = fail(err, errsize, path, lineno,
                          "layer '%s': parameter %d given twice", l->name,
                          l->values[j].id);
                goto out;
            }
    }
out:
    if (rc == ENOMEM)
        snprintf(err, errsize, "%s:%d: out of memory", path, lineno);
    free(tok);
    return rc;
}

int core_ncnn_param_read(const char *path, core_ncnn_param *out, char *err,
                         size_t errsize)
{
    char *data = NULL;
    size_t size = 0;
    int rc = read_all(path, &data, &size, err, errsize);
    if (rc)
        return rc;
    int lineno = 0, seen = 0;
    char *p = data;
    while (p && rc == 0) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        lineno++;
        char *line = p;
        p = nl ? nl + 1 : NULL;
        char *tok[3];
        if (lineno == 1 || lineno == 2) {
            char copy[128];
            snprintf(copy, sizeof copy, "%s", line);
            int n = tokenize(copy, tok, 3);
            if (lineno == 1) {
                if (n != 1 || strcmp(tok[0], "7767517") != 0)
                    rc = fail(err, errsize, path, lineno,
                              "bad magic (expected 7767517)");
            } else if (n != 2 ||
                       parse_int(tok[0], 1, PARAM_MAX_LAYERS, &out->layer_count) ||
                       parse_int(tok[1], 1, PARAM_MAX_LAYERS * PARAM_MAX_IO,
                                 &out->blob_count)) {
                rc = fail(err, errsize, path, lineno,
                          "expected '<layer count> <blob count>'");
            } else {
                out->lines = calloc((size_t)out->layer_count, sizeof *out->lines);
                if (!out->lines) {
                    rc = ENOMEM;
                    snprintf(err, errsize, "%s: out of memory", path);
                }
            }
            continue;
        }
        if (strspn(line, " \t\r\v\f") == strlen(line))
            continue; /* blank line */
        if (seen == out->layer_count) {
            rc = fail(err, errsize, path, lineno,
                      "more layer lines than the %d declared", out->layer_count);
            break;
        }
        rc = parse_layer(path, lineno, line, &out->lines[seen], err, errsize);
        seen++;
    }
    if (rc == 0 && lineno < 2)
        rc = fail(err, errsize, path, lineno, "missing header");
    if (rc == 0 && seen != out->layer_count)
        rc = fail(err, errsize, path, lineno,
                  "%d layer lines, but the header declares %d", seen,
                  out->layer_count);
    if (rc && out->lines && seen < out->layer_count)
        out->layer_count = seen; /* free only what was parsed */
    free(data);
    return rc;
}

void core_ncnn_param_free(core_ncnn_param *p)
{
    if (!p || !p->lines)
        return;
    for (int i = 0; i < p->layer_count; i++) {
        core_ncnn_line *l = &p->lines[i];
        free(l->type);
        free(l->name);
        for (int j = 0; l->in && j < l->n_in; j++)
            free(l->in[j]);
        for (int j = 0; l->out && j < l->n_out; j++)
            free(l->out[j]);
        free(l->in);
        free(l->out);
        for (int j = 0; j < l->n_values; j++)
            free(l->values[j].v);
        free(l->values);
    }
    free(p->lines);
    p->lines = NULL;
}

const core_ncnn_value *core_ncnn_find(const core_ncnn_line *l, int id)
{
    for (int i = 0; i < l->n_values; i++)
        if (l->values[i].id == id)
            return &l->values[i];
    return NULL;
}

int core_ncnn_int(const core_ncnn_line *l, int id, int def, int *out)
{
    const core_ncnn_value *v = core_ncnn_find(l, id);
    if (!v) {
        *out = def;
        return 0;
    }
    if (v->is_array || v->v[0] != floor(v->v[0]))
        return -1;
    if (fabs(v->v[0]) > 1e9)
        return -2;
    *out = (int)v->v[0];
    return 0;
}

int core_ncnn_float(const core_ncnn_line *l, int id, float def, float *out)
{
    const core_ncnn_value *v = core_ncnn_find(l, id);
    if (!v) {
        *out = def;
        return 0;
    }
    if (v->is_array)
        return -1;
    *out = (float)v->v[0];
    return 0;
}
