/* weights_file.c -- per-layer weights files: the output of `maso-eval
 * fit`, the input of --weights (format in maso_cli.h). */
#include "maso_cli.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static int fail(char err[MASO_CLI_ERRLEN], int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, MASO_CLI_ERRLEN, fmt, ap);
    va_end(ap);
    return status;
}

int maso_cli_weights_save(const char *path, const maso_code_layer *layers,
                          size_t n, const double *weights,
                          const char *param_sha256, const char *bin_sha256,
                          const char *fitted_on, const char *comment,
                          char err[MASO_CLI_ERRLEN])
{
    if (!path || !layers || !weights || !param_sha256 || !bin_sha256)
        return fail(err, MASO_EINVAL_ARG, "weights file: invalid argument");
    if (fitted_on && strpbrk(fitted_on, "\r\n"))
        return fail(err, MASO_EINVAL_ARG,
                    "%s: the fitted-on text holds a line break", path);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(weights[i]) || weights[i] < 0.0)
            return fail(err, MASO_EINVAL_ARG,
                        "%s: weight of layer %s is not a number >= 0", path,
                        layers[i].name);
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return fail(err, ENAMETOOLONG, "%s: path too long", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return fail(err, errno, "%s: %s", tmp, strerror(errno));
    for (const char *c = comment; c && *c;) {
        size_t len = strcspn(c, "\n");
        fprintf(f, "# %.*s\n", (int)len, c);
        c += len + (c[len] == '\n');
    }
    fprintf(f, "%s\nmodel %s %s\n", MASO_CLI_WEIGHTS_MAGIC, param_sha256,
            bin_sha256);
    if (fitted_on)
        fprintf(f, "fitted-on %s\n", fitted_on);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s %.17g\n", layers[i].name, weights[i]);
    int e = ferror(f) ? EIO : 0;
    if (fclose(f) != 0 && !e)
        e = errno;
    if (!e && rename(tmp, path) != 0)
        e = errno;
    if (e) {
        remove(tmp);
        return fail(err, e, "%s: %s", path, strerror(e));
    }
    return 0;
}

/* Strip the line break and surrounding blanks in place; return the start. */
static char *trim(char *s)
{
    size_t len = strlen(s);
    while (len && strchr(" \t\r\n", s[len - 1]))
        s[--len] = '\0';
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

/* Parse one "name weight" line into weights[]; seen[] catches repeats. */
static int parse_layer_line(const char *path, size_t lineno, char *line,
                            const maso_code_layer *layers, size_t n,
                            double *weights, unsigned char *seen,
                            char err[MASO_CLI_ERRLEN])
{
    char *sep = line + strcspn(line, " \t");
    if (*sep == '\0')
        return fail(err, MASO_EDATA, "%s:%zu: \"%s\": expected a layer name "
                    "and a weight", path, lineno, line);
    *sep++ = '\0';
    char *end;
    double w = strtod(sep, &end);
    if (end == sep || *trim(end) != '\0' || !isfinite(w) || w < 0.0)
        return fail(err, MASO_EDATA, "%s:%zu: layer %s: the weight must be "
                    "a number >= 0", path, lineno, line);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(layers[i].name, line) != 0)
            continue;
        if (seen[i])
            return fail(err, MASO_EDATA, "%s:%zu: layer %s is listed twice",
                        path, lineno, line);
        seen[i] = 1;
        weights[i] = w;
        return 0;
    }
    return fail(err, MASO_ENOTFOUND, "%s:%zu: the model has no coded layer "
                "named %s", path, lineno, line);
}

/* The header state machine: 0 wants the magic, 1 the model line, 2 done. */
static int parse_header_line(const char *path, size_t lineno, char *line,
                             int *state, const char *param_sha256,
                             const char *bin_sha256,
                             char err[MASO_CLI_ERRLEN])
{
    if (*state == 0) {
        if (strcmp(line, MASO_CLI_WEIGHTS_MAGIC) != 0)
            return fail(err, MASO_EDATA, "%s:%zu: not a maso weights file "
                        "(the first line must be \"%s\")", path, lineno,
                        MASO_CLI_WEIGHTS_MAGIC);
        *state = 1;
        return 0;
    }
    char p[80], b[80], extra[2];
    if (sscanf(line, "model %79s %79s %1s", p, b, extra) != 2)
        return fail(err, MASO_EDATA, "%s:%zu: expected \"model <param "
                    "sha256> <bin sha256>\"", path, lineno);
    if (strcmp(p, param_sha256) != 0 || strcmp(b, bin_sha256) != 0)
        return fail(err, MASO_EMISMATCH, "%s:%zu: fitted for another model "
                    "(param %.12s..., bin %.12s...; this model has %.12s..., "
                    "%.12s...)", path, lineno, p, b, param_sha256, bin_sha256);
    *state = 2;
    return 0;
}

int maso_cli_weights_load(const char *path, const maso_code_layer *layers,
                          size_t n, const char *param_sha256,
                          const char *bin_sha256, double *weights,
                          char *fitted_on, size_t fitted_on_len,
                          char err[MASO_CLI_ERRLEN])
{
    if (!path || !layers || !weights || !param_sha256 || !bin_sha256 || !n)
        return fail(err, MASO_EINVAL_ARG, "weights file: invalid argument");
    if (fitted_on && fitted_on_len)
        fitted_on[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return fail(err, errno, "%s: %s", path, strerror(errno));
    unsigned char *seen = calloc(n, 1);
    if (!seen) {
        fclose(f);
        return fail(err, ENOMEM, "%s: out of memory", path);
    }
    for (size_t i = 0; i < n; i++)
        weights[i] = 0.0;
    char *buf = NULL;
    size_t cap = 0, lineno = 0;
    int state = 0, rc = 0;
    errno = 0;
    while (rc == 0 && getline(&buf, &cap, f) >= 0) {
        lineno++;
        char *line = trim(buf);
        if (*line == '\0' || *line == '#')
            continue;
        if (state < 2)
            rc = parse_header_line(path, lineno, line, &state, param_sha256,
                                   bin_sha256, err);
        else if (strncmp(line, "fitted-on ", 10) == 0) {
            if (fitted_on && fitted_on_len)
                snprintf(fitted_on, fitted_on_len, "%s", trim(line + 10));
        } else
            rc = parse_layer_line(path, lineno, line, layers, n, weights,
                                  seen, err);
    }
    /* getline() returns -1 at end of file and on errors alike; a failed
     * growth of its buffer (ENOMEM) need not set the stream's error flag,
     * so stopping before the end is an error: the layers not read yet
     * would silently get weight 0. */
    if (rc == 0 && (ferror(f) || !feof(f))) {
        int e = errno ? errno : EIO;
        rc = fail(err, e, "%s: %s", path, strerror(e));
    }
    if (rc == 0 && state < 2)
        rc = fail(err, MASO_EDATA, "%s: no \"%s\" header and model line",
                  path, MASO_CLI_WEIGHTS_MAGIC);
    if (rc == 0) {
        double total = 0.0;
        for (size_t i = 0; i < n; i++)
            total += weights[i];
        if (!(total > 0.0))
            rc = fail(err, MASO_EDATA, "%s: every layer weight is 0", path);
    }
    free(buf);
    free(seen);
    fclose(f);
    return rc;
}
