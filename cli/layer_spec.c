/* layer_spec.c -- "--layers SPEC": which coded layers a distance uses and
 * with what weight (names, FIRST..LAST ranges, ":WEIGHT" suffixes). */
#include "maso_cli.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Index of the layer whose name is the len bytes at s, or n. */
static size_t find_layer(const maso_code_layer *layers, size_t n,
                         const char *s, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(layers[i].name) == len &&
            memcmp(layers[i].name, s, len) == 0)
            return i;
    return n;
}

/* Parse a weight "W" (the text after ':') of len bytes. */
static int parse_weight(const char *s, size_t len, double *w)
{
    char buf[64];
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end;
    double v = strtod(buf, &end);
    if (*end != '\0' || !isfinite(v) || v < 0.0)
        return -1;
    *w = v;
    return 0;
}

/* Resolve the layer name [s, s+len) or report it. */
static int resolve(const maso_code_layer *layers, size_t n, const char *s,
                   size_t len, size_t *index, char err[MASO_CLI_ERRLEN])
{
    *index = find_layer(layers, n, s, len);
    if (*index == n) {
        snprintf(err, MASO_CLI_ERRLEN,
                 "--layers: no coded layer named \"%.*s\" (the model has "
                 "%zu, from \"%s\" to \"%s\")", (int)len, s, n,
                 n ? layers[0].name : "", n ? layers[n - 1].name : "");
        return MASO_ENOTFOUND;
    }
    return 0;
}

/* One item [s, s+len): NAME, FIRST..LAST or all, then optional :W. */
static int parse_item(const char *s, size_t len,
                      const maso_code_layer *layers, size_t n,
                      double *weights, unsigned char *seen,
                      char err[MASO_CLI_ERRLEN])
{
    double w = 1.0;
    const char *colon = memchr(s, ':', len);
    size_t name_len = colon ? (size_t)(colon - s) : len;
    if (colon && parse_weight(colon + 1, len - name_len - 1, &w) != 0) {
        snprintf(err, MASO_CLI_ERRLEN,
                 "--layers: \"%.*s\": the weight must be a number >= 0",
                 (int)len, s);
        return MASO_EDATA;
    }
    if (name_len == 0) {
        snprintf(err, MASO_CLI_ERRLEN, "--layers: an item has no layer name");
        return MASO_EDATA;
    }
    size_t first = 0, last = n ? n - 1 : 0;
    int rc;
    const char *dots = NULL;
    for (size_t i = 0; i + 1 < name_len; i++)
        if (s[i] == '.' && s[i + 1] == '.') {
            dots = s + i;
            break;
        }
    if (name_len == 3 && memcmp(s, "all", 3) == 0 &&
        find_layer(layers, n, s, 3) == n) {
        /* every layer */
    } else if (dots) {
        size_t a_len = (size_t)(dots - s), b_len = name_len - a_len - 2;
        if ((rc = resolve(layers, n, s, a_len, &first, err)) != 0 ||
            (rc = resolve(layers, n, dots + 2, b_len, &last, err)) != 0)
            return rc;
        if (last < first) {
            snprintf(err, MASO_CLI_ERRLEN,
                     "--layers: \"%.*s\": the range ends before it starts "
                     "(layers are in network order)", (int)name_len, s);
            return MASO_EDATA;
        }
    } else {
        if ((rc = resolve(layers, n, s, name_len, &first, err)) != 0)
            return rc;
        last = first;
    }
    for (size_t i = first; i <= last && i < n; i++) {
        if (seen[i]) {
            snprintf(err, MASO_CLI_ERRLEN,
                     "--layers: layer \"%s\" is selected twice",
                     layers[i].name);
            return MASO_EDATA;
        }
        seen[i] = 1;
        weights[i] = w;
    }
    return 0;
}

int maso_cli_layer_spec_parse(const char *spec, const maso_code_layer *layers,
                              size_t n, double *weights,
                              char err[MASO_CLI_ERRLEN])
{
    if (!spec || !layers || !weights || !err || n == 0) {
        if (err)
            snprintf(err, MASO_CLI_ERRLEN, "--layers: invalid argument");
        return MASO_EINVAL_ARG;
    }
    unsigned char *seen = calloc(n, 1);
    if (!seen) {
        snprintf(err, MASO_CLI_ERRLEN, "--layers: out of memory");
        return ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        weights[i] = 0.0;
    int rc = 0;
    const char *p = spec;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == 0) {
            snprintf(err, MASO_CLI_ERRLEN, "--layers \"%s\": empty item", spec);
            rc = MASO_EDATA;
            break;
        }
        if ((rc = parse_item(p, len, layers, n, weights, seen, err)) != 0)
            break;
        if (!comma)
            break;
        p = comma + 1;
    }
    free(seen);
    if (rc == 0) {
        double total = 0.0;
        for (size_t i = 0; i < n; i++)
            total += weights[i];
        if (!(total > 0.0)) {
            snprintf(err, MASO_CLI_ERRLEN,
                     "--layers \"%s\": every selected weight is 0", spec);
            rc = MASO_EDATA;
        }
    }
    if (rc == 0)
        err[0] = '\0';
    return rc;
}
