/* pairs_csv.c -- read `reference,distorted,score` pair lists (RFC 4180 CSV). */
#include "maso_eval.h"
#include "errmsg_internal.h"

#include "maso.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct maso_eval_pairs {
    maso_eval_pair *items;
    size_t count;
    char errmsg[1024];
};

int maso_eval_pairs_create(maso_eval_pairs **pairs)
{
    if (pairs == NULL)
        return MASO_EINVAL_ARG;
    *pairs = calloc(1, sizeof **pairs);
    return *pairs ? MASO_SUCCESS : ENOMEM;
}

/* Free the strings of items[0..count) and the array. */
static void free_items(maso_eval_pair *items, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free((char *)items[i].reference);
        free((char *)items[i].distorted);
    }
    free(items);
}

void maso_eval_pairs_destroy(maso_eval_pairs *pairs)
{
    if (pairs != NULL) {
        free_items(pairs->items, pairs->count);
        free(pairs);
    }
}

size_t maso_eval_pairs_count(const maso_eval_pairs *pairs)
{
    return pairs ? pairs->count : 0;
}

const maso_eval_pair *maso_eval_pairs_get(const maso_eval_pairs *pairs,
                                          size_t i)
{
    return (pairs && i < pairs->count) ? &pairs->items[i] : NULL;
}

const char *maso_eval_pairs_errmsg(const maso_eval_pairs *pairs)
{
    return pairs ? pairs->errmsg : "no list";
}

/* Record "<path>:<line>: <message>" and return rc. */
static int fail(maso_eval_pairs *pairs, int rc, const char *path, size_t line,
                const char *fmt, ...)
{
    char where[1024];
    snprintf(where, sizeof where, "%s:%zu", path, line);
    va_list ap;
    va_start(ap, fmt);
    meval_format_error(pairs->errmsg, sizeof pairs->errmsg, where, fmt,
                       ap);
    va_end(ap);
    return rc;
}

/* ---- records --------------------------------------------------------- */

/* One decoded record: its fields, NUL-separated in text, starting at
 * offsets start[0..n). */
typedef struct record {
    char *text;
    size_t used, cap;
    size_t *start;
    size_t n, ncap;
    size_t line; /* where the record begins */
} record;

static int record_putc(record *r, char ch)
{
    if (r->used == r->cap) {
        size_t ncap = r->cap ? 2 * r->cap : 256;
        char *t = realloc(r->text, ncap);
        if (t == NULL)
            return ENOMEM;
        r->text = t;
        r->cap = ncap;
    }
    r->text[r->used++] = ch;
    return 0;
}

static int record_new_field(record *r)
{
    if (r->n == r->ncap) {
        size_t ncap = r->ncap ? 2 * r->ncap : 8;
        size_t *s = realloc(r->start, ncap * sizeof *s);
        if (s == NULL)
            return ENOMEM;
        r->start = s;
        r->ncap = ncap;
    }
    r->start[r->n++] = r->used;
    return 0;
}

/* The parser's position in the file. */
typedef struct scanner {
    const char *p, *end;
    size_t line;
    const char *error; /* set when a record is malformed */
} scanner;

/* Remove trailing blanks of the field being built (unquoted fields). */
static void trim_field_end(record *r)
{
    size_t begin = r->start[r->n - 1];
    while (r->used > begin &&
           (r->text[r->used - 1] == ' ' || r->text[r->used - 1] == '\t'))
        r->used--;
}

/*
 * Read the next record into r, skipping blank lines.  Returns 1 when a
 * record was read, 0 at the end of the input, -1 on a syntax error
 * (s->error says which) or ENOMEM.
 */
static int next_record(scanner *s, record *r)
{
    /* skip blank lines */
    while (s->p < s->end && (*s->p == '\n' || *s->p == '\r')) {
        if (*s->p == '\n')
            s->line++;
        s->p++;
    }
    if (s->p >= s->end)
        return 0;
    r->used = 0;
    r->n = 0;
    r->line = s->line;
    if (record_new_field(r) != 0)
        return ENOMEM;
    int at_field_start = 1, quoted = 0;
    for (;;) {
        if (s->p >= s->end)
            break;
        char ch = *s->p;
        if (at_field_start && (ch == ' ' || ch == '\t')) {
            s->p++;
            continue;
        }
        if (at_field_start && ch == '"') {
            /* a quoted field: up to the closing quote, "" is a quote */
            quoted = 1;
            at_field_start = 0;
            s->p++;
            for (;;) {
                if (s->p >= s->end) {
                    s->error = "unterminated quoted field";
                    return -1;
                }
                ch = *s->p++;
                if (ch == '"') {
                    if (s->p < s->end && *s->p == '"') {
                        s->p++;
                    } else {
                        break;
                    }
                } else if (ch == '\n') {
                    s->line++;
                }
                if (record_putc(r, ch) != 0)
                    return ENOMEM;
            }
            /* only blanks may follow the closing quote */
            while (s->p < s->end && (*s->p == ' ' || *s->p == '\t'))
                s->p++;
            if (s->p < s->end && *s->p != ',' && *s->p != '\n' &&
                *s->p != '\r') {
                s->error = "unexpected character after a closing quote";
                return -1;
            }
            continue;
        }
        at_field_start = 0;
        if (ch == ',' || ch == '\n' || ch == '\r') {
            if (!quoted)
                trim_field_end(r);
            if (record_putc(r, '\0') != 0)
                return ENOMEM;
            if (ch != ',')
                break;
            s->p++;
            if (record_new_field(r) != 0)
                return ENOMEM;
            at_field_start = 1;
            quoted = 0;
            continue;
        }
        if (ch == '"') {
            s->error = "quote inside an unquoted field";
            return -1;
        }
        if (record_putc(r, ch) != 0)
            return ENOMEM;
        s->p++;
    }
    if (s->p >= s->end) {
        /* the last line has no newline: close its field */
        if (!quoted)
            trim_field_end(r);
        if (record_putc(r, '\0') != 0)
            return ENOMEM;
    } else {
        /* eat the line end: \n, \r\n or a lone \r */
        if (*s->p == '\r')
            s->p++;
        if (s->p < s->end && *s->p == '\n')
            s->p++;
        s->line++;
    }
    return 1;
}

/* ---- the table ------------------------------------------------------- */

/* dir (with its trailing '/', possibly "") + rel, or rel when absolute. */
static char *resolve(const char *dir, size_t dirlen, const char *rel)
{
    if (rel[0] == '/')
        dirlen = 0;
    size_t rlen = strlen(rel);
    char *out = malloc(dirlen + rlen + 1);
    if (out != NULL) {
        memcpy(out, dir, dirlen);
        memcpy(out + dirlen, rel, rlen + 1);
    }
    return out;
}

static int load_text(maso_eval_pairs *pairs, const char *path, const char *text,
                     size_t size)
{
    const char *slash = strrchr(path, '/');
    size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
    scanner s = { text, text + size, 1, NULL };
    /* a UTF-8 byte-order mark, as spreadsheets write */
    if (size >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        s.p += 3;
    record r = {0};
    maso_eval_pair *items = NULL;
    size_t count = 0, cap = 0;
    int rc, got;
    size_t col[3];
    static const char *const names[3] = {"reference", "distorted", "score"};

    got = next_record(&s, &r);
    if (got != 1) {
        rc = got == 0 ? fail(pairs, MASO_EDATA, path, s.line,
                             "empty file: expected a header row naming "
                             "reference, distorted, score")
           : got < 0 ? fail(pairs, MASO_EDATA, path, r.line, "%s", s.error)
                     : fail(pairs, got, path, r.line, "out of memory");
        goto out;
    }
    for (int k = 0; k < 3; k++) {
        col[k] = r.n;
        for (size_t f = 0; f < r.n; f++) {
            if (strcasecmp(r.text + r.start[f], names[k]) == 0) {
                col[k] = f;
                break;
            }
        }
        if (col[k] == r.n) {
            rc = fail(pairs, MASO_EDATA, path, r.line,
                      "the header row has no '%s' column (it needs "
                      "reference, distorted, score)", names[k]);
            goto out;
        }
    }
    size_t width = r.n;

    while ((got = next_record(&s, &r)) == 1) {
        if (r.n != width) {
            rc = fail(pairs, MASO_EDATA, path, r.line,
                      "%zu fields, the header has %zu", r.n, width);
            goto out;
        }
        const char *ref = r.text + r.start[col[0]];
        const char *dis = r.text + r.start[col[1]];
        const char *sc = r.text + r.start[col[2]];
        if (*ref == '\0' || *dis == '\0') {
            rc = fail(pairs, MASO_EDATA, path, r.line, "empty %s path",
                      *ref == '\0' ? "reference" : "distorted");
            goto out;
        }
        char *endp;
        errno = 0;
        double score = strtod(sc, &endp);
        if (*sc == '\0' || *endp != '\0' || !isfinite(score)) {
            rc = fail(pairs, MASO_EDATA, path, r.line,
                      "score '%s' is not a finite number", sc);
            goto out;
        }
        if (count == cap) {
            size_t ncap = cap ? 2 * cap : 64;
            maso_eval_pair *t = realloc(items, ncap * sizeof *t);
            if (t == NULL) {
                rc = fail(pairs, ENOMEM, path, r.line, "out of memory");
                goto out;
            }
            items = t;
            cap = ncap;
        }
        maso_eval_pair *it = &items[count];
        it->reference = resolve(path, dirlen, ref);
        it->distorted = resolve(path, dirlen, dis);
        it->score = score;
        it->line = r.line;
        count++;
        if (it->reference == NULL || it->distorted == NULL) {
            rc = fail(pairs, ENOMEM, path, r.line, "out of memory");
            goto out;
        }
    }
    if (got != 0) {
        rc = got < 0 ? fail(pairs, MASO_EDATA, path, r.line, "%s", s.error)
                     : fail(pairs, got, path, r.line, "out of memory");
        goto out;
    }
    if (count == 0) {
        rc = fail(pairs, MASO_EDATA, path, s.line,
                  "no pairs after the header row");
        goto out;
    }
    free_items(pairs->items, pairs->count);
    pairs->items = items;
    pairs->count = count;
    items = NULL;
    count = 0;
    rc = MASO_SUCCESS;
out:
    free_items(items, count);
    free(r.text);
    free(r.start);
    return rc;
}

int maso_eval_pairs_load_csv(maso_eval_pairs *pairs, const char *path)
{
    if (pairs == NULL || path == NULL)
        return MASO_EINVAL_ARG;
    pairs->errmsg[0] = '\0';
    char *text;
    size_t size;
    int rc = maso_file_read(path, SIZE_MAX, &text, &size);
    if (rc != 0)
        return fail(pairs, rc, path, 0, "cannot read: %s",
                    maso_strerror(rc));
    rc = load_text(pairs, path, text, size);
    free(text);
    return rc;
}
