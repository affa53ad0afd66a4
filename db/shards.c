/*
 * shards.c -- the manifest of a sharded index (see maso_shards.h): making
 * one, writing it atomically, reading and checking it, and the hash that
 * sends a path to its shard.
 */
#include "maso_shards.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FORMAT_VERSION 1
#define HOST_MAX 255
#define LINE_MAX_BYTES 8192

typedef struct shard_entry {
    char *path;      /* as recorded */
    char *location;  /* as opened */
    char *host;
} shard_entry;

struct maso_shards {
    char *db;
    size_t count;
    shard_entry *shard;
    /* The recorded identity; strings owned here. */
    char param_sha256[65], bin_sha256[65];
    int input_channels, input_height, input_width;
    char *preprocess;
    maso_sketch_params sketch;
    int full_codes;
    int has_precision; /* manifests before issue 14 do not record it */
    maso_model_precision precision;
    char errmsg[MASO_ERRMSG_SIZE];
};

/* Record a failure in the manifest's message; returns rc. */
#define fail(m, rc, ...) maso_errmsg_format((m)->errmsg, (rc), __VA_ARGS__)

static void clear(maso_shards *m)
{
    for (size_t i = 0; m->shard && i < m->count; i++) {
        free(m->shard[i].path);
        free(m->shard[i].location);
        free(m->shard[i].host);
    }
    free(m->shard);
    free(m->db);
    free(m->preprocess);
    /* The message survives: it says why a failed call cleared the rest. */
    char msg[sizeof m->errmsg];
    memcpy(msg, m->errmsg, sizeof msg);
    memset(m, 0, sizeof *m);
    memcpy(m->errmsg, msg, sizeof msg);
}

int maso_shards_create(maso_shards **shards)
{
    if (!shards)
        return MASO_EINVAL_ARG;
    *shards = calloc(1, sizeof **shards);
    return *shards ? 0 : ENOMEM;
}

void maso_shards_destroy(maso_shards *shards)
{
    if (!shards)
        return;
    clear(shards);
    free(shards);
}

const char *maso_shards_errmsg(const maso_shards *shards)
{
    return shards ? shards->errmsg : "";
}

static char *manifest_file(const char *db)
{
    size_t n = strlen(db) + sizeof "/" MASO_SHARDS_MANIFEST + 8;
    char *f = malloc(n);
    if (f)
        snprintf(f, n, "%s/%s", db, MASO_SHARDS_MANIFEST);
    return f;
}

int maso_shards_is_sharded(const char *db)
{
    char *f = manifest_file(db);
    struct stat st;
    int yes = f && stat(f, &st) == 0 && S_ISREG(st.st_mode);
    free(f);
    return yes;
}

size_t maso_shards_count(const maso_shards *m) { return m->count; }

const char *maso_shards_path(const maso_shards *m, size_t i)
{
    return i < m->count ? m->shard[i].path : NULL;
}

const char *maso_shards_location(const maso_shards *m, size_t i)
{
    return i < m->count ? m->shard[i].location : NULL;
}

const char *maso_shards_host(const maso_shards *m, size_t i)
{
    return i < m->count ? m->shard[i].host : NULL;
}

size_t maso_shards_of_path(const maso_shards *m, const char *path)
{
    uint64_t h = UINT64_C(14695981039346656037);
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        h ^= *p;
        h *= UINT64_C(1099511628211);
    }
    return m->count ? (size_t)(h % m->count) : 0;
}

/* Shard @p i's location: its path, joined to DB when relative. */
static int set_location(maso_shards *m, size_t i)
{
    shard_entry *e = &m->shard[i];
    if (e->path[0] == '/') {
        e->location = strdup(e->path);
    } else {
        size_t n = strlen(m->db) + strlen(e->path) + 2;
        e->location = malloc(n);
        if (e->location)
            snprintf(e->location, n, "%s/%s", m->db, e->path);
    }
    return e->location ? 0 : fail(m, ENOMEM, "out of memory");
}

/* The template with its placeholders replaced, malloc'ed, or NULL. */
static char *expand(const char *tmpl, size_t shard, size_t count,
                    const char *host)
{
    int digits = 3;
    for (size_t c = count - 1; c >= 1000; c /= 10)
        digits++;
    size_t cap = strlen(tmpl) + 1, n = 0;
    for (const char *p = tmpl; *p; p++)
        if (*p == '%')
            cap += strlen(host) + 24;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    for (const char *p = tmpl; *p; p++) {
        if (p[0] == '%' && p[1] == 'n') {
            n += (size_t)snprintf(out + n, cap - n, "%0*zu", digits, shard);
            p++;
        } else if (p[0] == '%' && p[1] == 'h') {
            n += (size_t)snprintf(out + n, cap - n, "%s", host);
            p++;
        } else if (p[0] == '%' && p[1] == '%') {
            out[n++] = '%';
            p++;
        } else {
            out[n++] = *p;
        }
    }
    out[n] = '\0';
    return out;
}

/* 0 when every '%' of @p tmpl starts %n, %h or %%; *names_n / *names_h. */
static int template_check(const char *tmpl, int *names_n, int *names_h)
{
    *names_n = *names_h = 0;
    for (const char *p = tmpl; *p; p++) {
        if (*p != '%')
            continue;
        if (p[1] == 'n')
            *names_n = 1;
        else if (p[1] == 'h')
            *names_h = 1;
        else if (p[1] != '%')
            return -1;
        p++;
    }
    return 0;
}

static int valid_host(const char *h)
{
    size_t n = strlen(h);
    if (n == 0 || n > HOST_MAX)
        return 0;
    for (; *h; h++)
        if (*h <= ' ' || *h == 0x7f || *h == '/' || *h == '%')
            return 0;
    return 1;
}

int maso_shards_init(maso_shards *m, const char *db, size_t count,
                     const char *tmpl, const char *const *hosts,
                     size_t n_hosts, const maso_store_identity *id)
{
    if (!m || !db || !*db || !id || !id->preprocess)
        return MASO_EINVAL_ARG;
    clear(m);
    m->errmsg[0] = '\0';
    if (count < 1 || count > MASO_SHARDS_MAX)
        return fail(m, MASO_EINVAL_ARG, "%s: the number of shards must be "
                    "1 to %d, not %zu", db, MASO_SHARDS_MAX, count);
    if (!tmpl)
        tmpl = "shard-%n";
    int names_n, names_h;
    if (!*tmpl || template_check(tmpl, &names_n, &names_h) != 0)
        return fail(m, MASO_EINVAL_ARG, "shard folder template '%s': only "
                    "%%n (shard number), %%h (host) and %%%% may follow %%",
                    tmpl);
    if (!names_n)
        return fail(m, MASO_EINVAL_ARG, "shard folder template '%s' must "
                    "name the shard number (%%n): every shard needs its own "
                    "store", tmpl);
    if (names_h && (!hosts || n_hosts == 0))
        return fail(m, MASO_EINVAL_ARG, "shard folder template '%s' names "
                    "the host (%%h) but no host was given", tmpl);
    for (size_t i = 0; names_h && i < n_hosts; i++)
        if (!valid_host(hosts[i]))
            return fail(m, MASO_EINVAL_ARG, "host name '%s' cannot be "
                        "recorded (empty, spaces, '/' or '%%')", hosts[i]);
    if (strlen(id->preprocess) >= LINE_MAX_BYTES / 2)
        return fail(m, MASO_EINVAL_ARG, "preprocessing text too long");
    m->db = strdup(db);
    m->preprocess = strdup(id->preprocess);
    m->shard = calloc(count, sizeof *m->shard);
    if (!m->db || !m->preprocess || !m->shard) {
        clear(m);
        return fail(m, ENOMEM, "out of memory");
    }
    m->count = count;
    memcpy(m->param_sha256, id->param_sha256, sizeof m->param_sha256);
    memcpy(m->bin_sha256, id->bin_sha256, sizeof m->bin_sha256);
    m->input_channels = id->input_channels;
    m->input_height = id->input_height;
    m->input_width = id->input_width;
    m->sketch = id->sketch;
    m->full_codes = id->full_codes ? 1 : 0;
    if (!maso_precision_name(id->precision)) {
        clear(m);
        return fail(m, MASO_EINVAL_ARG, "unknown precision %d",
                    (int)id->precision);
    }
    m->has_precision = 1;
    m->precision = id->precision;
    for (size_t i = 0; i < count; i++) {
        const char *host = names_h ? hosts[i % n_hosts] : MASO_SHARDS_ANY_HOST;
        shard_entry *e = &m->shard[i];
        e->host = strdup(host);
        e->path = expand(tmpl, i, count, host);
        int rc = e->host && e->path ? set_location(m, i)
                                    : fail(m, ENOMEM, "out of memory");
        if (rc) {
            clear(m);
            return rc;
        }
        if (strchr(e->path, '\n')) {
            clear(m);
            return fail(m, MASO_EINVAL_ARG, "shard folder template '%s': a "
                        "path may not hold a newline", tmpl);
        }
    }
    return 0;
}

/* Write @p f to the open stream; 0 or the stream's errno. */
static int print_manifest(const maso_shards *m, FILE *f)
{
    fprintf(f, "# maso sharded index: %zu shard stores, each an ordinary "
            "maso store.\n# To move a shard: stop maso-index, move its "
            "folder, edit its line\n# (shard NUMBER HOST PATH; host * = any "
            "machine can open the path;\n# relative paths are inside this "
            "folder).\n", m->count);
    fprintf(f, "maso-shards %d\nshards %zu\nhash fnv1a64\n", FORMAT_VERSION,
            m->count);
    fprintf(f, "param_sha256 %s\nbin_sha256 %s\ninput %d %d %d\n",
            m->param_sha256, m->bin_sha256, m->input_channels,
            m->input_height, m->input_width);
    fprintf(f, "preprocess %s\nsketch %llu %zu %zu\nfull_codes %d\n",
            m->preprocess, (unsigned long long)m->sketch.seed,
            m->sketch.relu_samples, m->sketch.maxpool_samples,
            m->full_codes);
    if (m->has_precision)
        fprintf(f, "precision %s\n", maso_precision_name(m->precision));
    for (size_t i = 0; i < m->count; i++)
        fprintf(f, "shard %zu %s %s\n", i, m->shard[i].host,
                m->shard[i].path);
    return ferror(f) ? (errno ? errno : EIO) : 0;
}

int maso_shards_write(maso_shards *m)
{
    if (!m || !m->db)
        return MASO_EINVAL_ARG;
    if (mkdir(m->db, 0777) != 0 && errno != EEXIST)
        return fail(m, errno, "%s: %s", m->db, strerror(errno));
    char *final = manifest_file(m->db);
    size_t n = final ? strlen(final) + 8 : 0;
    char *tmp = final ? malloc(n) : NULL;
    if (!tmp) {
        free(final);
        return fail(m, ENOMEM, "out of memory");
    }
    snprintf(tmp, n, "%s.tmp", final);
    int rc = 0;
    FILE *f = fopen(tmp, "w");
    if (!f) {
        rc = fail(m, errno, "%s: %s", tmp, strerror(errno));
    } else {
        rc = print_manifest(m, f);
        if (!rc && (fflush(f) != 0 || fsync(fileno(f)) != 0))
            rc = errno;
        if (fclose(f) != 0 && !rc)
            rc = errno;
        if (!rc && rename(tmp, final) != 0)
            rc = errno;
        if (rc) {
            fail(m, rc, "%s: %s", final, strerror(rc));
            unlink(tmp);
        }
    }
    if (!rc) {
        /* The rename is durable once the directory is synced. */
        int dir = open(m->db, O_RDONLY);
        if (dir >= 0) {
            fsync(dir);
            close(dir);
        }
    }
    free(tmp);
    free(final);
    return rc;
}

/* -- reading ------------------------------------------------------------ */

typedef struct parser {
    maso_shards *m;
    const char *file;
    unsigned line;
    unsigned seen;   /* bits: which header keys were read */
} parser;

enum { SEEN_VERSION = 1, SEEN_COUNT = 2, SEEN_HASH = 4, SEEN_PARAM = 8,
       SEEN_BIN = 16, SEEN_INPUT = 32, SEEN_PRE = 64, SEEN_SKETCH = 128,
       SEEN_FULL = 256, SEEN_ALL = 511 };

__attribute__((format(printf, 2, 3)))
static int bad(parser *p, const char *fmt, ...)
{
    char why[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    return fail(p->m, MASO_EDATA, "%s:%u: %s", p->file, p->line, why);
}

static int is_hex64(const char *s)
{
    for (int i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return s[64] == '\0';
}

/* A whole decimal number in [0, max]; 0 on success. */
static int number(const char *s, unsigned long long max,
                  unsigned long long *out)
{
    char *end;
    errno = 0;
    if (*s < '0' || *s > '9')
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > max)
        return -1;
    *out = v;
    return 0;
}

static int parse_shard(parser *p, char *rest)
{
    maso_shards *m = p->m;
    if (!(p->seen & SEEN_COUNT))
        return bad(p, "shard line before the 'shards' line");
    char *sp1 = strchr(rest, ' ');
    char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    if (!sp2 || !sp2[1])
        return bad(p, "expected 'shard NUMBER HOST PATH'");
    *sp1 = *sp2 = '\0';
    unsigned long long i;
    if (number(rest, m->count - 1, &i) != 0)
        return bad(p, "shard number '%s' is not in 0..%zu", rest,
                   m->count - 1);
    shard_entry *e = &m->shard[i];
    if (e->path)
        return bad(p, "shard %llu is listed twice", i);
    if (strcmp(sp1 + 1, MASO_SHARDS_ANY_HOST) != 0 && !valid_host(sp1 + 1))
        return bad(p, "bad host name '%s'", sp1 + 1);
    e->host = strdup(sp1 + 1);
    e->path = strdup(sp2 + 1);
    if (!e->host || !e->path)
        return fail(m, ENOMEM, "out of memory");
    return set_location(m, (size_t)i);
}

static int parse_line(parser *p, char *line)
{
    maso_shards *m = p->m;
    char *sp = strchr(line, ' ');
    if (!sp)
        return bad(p, "expected 'KEY VALUE'");
    *sp = '\0';
    char *v = sp + 1;
    unsigned long long n;
    if (strcmp(line, "maso-shards") == 0) {
        if (number(v, 1000, &n) != 0 || n != FORMAT_VERSION)
            return bad(p, "manifest format '%s', this program reads %d", v,
                       FORMAT_VERSION);
        p->seen |= SEEN_VERSION;
    } else if (strcmp(line, "shards") == 0) {
        if (p->seen & SEEN_COUNT)
            return bad(p, "'shards' given twice");
        if (number(v, MASO_SHARDS_MAX, &n) != 0 || n == 0)
            return bad(p, "the number of shards must be 1 to %d",
                       MASO_SHARDS_MAX);
        m->shard = calloc((size_t)n, sizeof *m->shard);
        if (!m->shard)
            return fail(m, ENOMEM, "out of memory");
        m->count = (size_t)n;
        p->seen |= SEEN_COUNT;
    } else if (strcmp(line, "hash") == 0) {
        if (strcmp(v, "fnv1a64") != 0)
            return bad(p, "unknown hash '%s' (this program knows fnv1a64)",
                       v);
        p->seen |= SEEN_HASH;
    } else if (strcmp(line, "param_sha256") == 0 ||
               strcmp(line, "bin_sha256") == 0) {
        if (!is_hex64(v))
            return bad(p, "%s: expected 64 lowercase hex digits", line);
        int param = line[0] == 'p';
        memcpy(param ? m->param_sha256 : m->bin_sha256, v, 65);
        p->seen |= param ? SEEN_PARAM : SEEN_BIN;
    } else if (strcmp(line, "input") == 0) {
        if (sscanf(v, "%d %d %d", &m->input_channels, &m->input_height,
                   &m->input_width) != 3)
            return bad(p, "expected 'input CHANNELS HEIGHT WIDTH'");
        p->seen |= SEEN_INPUT;
    } else if (strcmp(line, "preprocess") == 0) {
        free(m->preprocess);
        m->preprocess = strdup(v);
        if (!m->preprocess)
            return fail(m, ENOMEM, "out of memory");
        p->seen |= SEEN_PRE;
    } else if (strcmp(line, "sketch") == 0) {
        unsigned long long seed;
        size_t relu, pool;
        if (sscanf(v, "%llu %zu %zu", &seed, &relu, &pool) != 3)
            return bad(p, "expected 'sketch SEED RELU_SAMPLES "
                       "MAXPOOL_SAMPLES'");
        m->sketch.seed = seed;
        m->sketch.relu_samples = relu;
        m->sketch.maxpool_samples = pool;
        p->seen |= SEEN_SKETCH;
    } else if (strcmp(line, "full_codes") == 0) {
        if (number(v, 1, &n) != 0)
            return bad(p, "full_codes must be 0 or 1");
        m->full_codes = (int)n;
        p->seen |= SEEN_FULL;
    } else if (strcmp(line, "precision") == 0) {
        /* optional: manifests written before it was recorded lack it */
        if (m->has_precision)
            return bad(p, "'precision' given twice");
        if (maso_precision_parse(v, &m->precision) != 0)
            return bad(p, "unknown precision '%s' (this program knows fp32 "
                       "and int8)", v);
        m->has_precision = 1;
    } else if (strcmp(line, "shard") == 0) {
        return parse_shard(p, v);
    } else {
        return bad(p, "unknown key '%s'", line);
    }
    return 0;
}

static int parse_file(parser *p, FILE *f)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int rc = 0;
    errno = 0;
    while (!rc && (len = getline(&line, &cap, f)) != -1) {
        p->line++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0 || line[0] == '#')
            continue;
        if (len > LINE_MAX_BYTES)
            rc = bad(p, "line longer than %d bytes", LINE_MAX_BYTES);
        else
            rc = parse_line(p, line);
    }
    /* getline() returns -1 at the end and on errors (ENOMEM): tell them
     * apart, or a failure would read as a manifest cut short. */
    if (!rc && ferror(f))
        rc = fail(p->m, errno ? errno : EIO, "%s: %s", p->file,
                  strerror(errno ? errno : EIO));
    else if (!rc && errno == ENOMEM)
        rc = fail(p->m, ENOMEM, "out of memory");
    free(line);
    return rc;
}

int maso_shards_open(maso_shards *m, const char *db)
{
    if (!m || !db)
        return MASO_EINVAL_ARG;
    clear(m);
    m->errmsg[0] = '\0';
    m->db = strdup(db);
    char *file = manifest_file(db);
    if (!m->db || !file) {
        free(file);
        return fail(m, ENOMEM, "out of memory");
    }
    FILE *f = fopen(file, "r");
    if (!f) {
        int e = errno;
        fail(m, e, "%s: %s", file, strerror(e));
        free(file);
        return e;
    }
    parser p = { m, file, 0, 0 };
    int rc = parse_file(&p, f);
    fclose(f);
    if (!rc && p.seen != SEEN_ALL)
        rc = fail(m, MASO_EDATA, "%s: incomplete manifest (a header line "
                  "is missing)", file);
    for (size_t i = 0; !rc && i < m->count; i++)
        if (!m->shard[i].path)
            rc = fail(m, MASO_EDATA, "%s: shard %zu is not listed", file, i);
    free(file);
    if (rc)
        clear(m);
    return rc;
}

int maso_shards_identity(maso_shards *m, const maso_store_identity *model,
                         maso_store_identity *id)
{
    if (!m || !id || !m->db)
        return MASO_EINVAL_ARG;
    memset(id, 0, sizeof *id);
    memcpy(id->param_sha256, m->param_sha256, sizeof id->param_sha256);
    memcpy(id->bin_sha256, m->bin_sha256, sizeof id->bin_sha256);
    id->input_channels = m->input_channels;
    id->input_height = m->input_height;
    id->input_width = m->input_width;
    id->preprocess = m->preprocess;
    id->sketch = m->sketch;
    id->full_codes = m->full_codes;
    id->precision = m->has_precision ? m->precision : MASO_PRECISION_FP32;
    if (!model)
        return 0;
    id->layers = model->layers;
    id->n_layers = model->n_layers;
    /* a manifest that predates the record: every shard store records it
     * and refuses codes of another precision */
    id->precision = m->has_precision ? m->precision : model->precision;
    const char *field = NULL, *ours = "", *theirs = "";
    char a[64], b[64];
    if (strcmp(m->param_sha256, model->param_sha256) != 0) {
        field = "param sha256";
        ours = m->param_sha256;
        theirs = model->param_sha256;
    } else if (strcmp(m->bin_sha256, model->bin_sha256) != 0) {
        field = "bin sha256";
        ours = m->bin_sha256;
        theirs = model->bin_sha256;
    } else if (m->input_channels != model->input_channels ||
               m->input_height != model->input_height ||
               m->input_width != model->input_width) {
        field = "input size";
        snprintf(a, sizeof a, "%dx%dx%d", m->input_channels,
                 m->input_height, m->input_width);
        snprintf(b, sizeof b, "%dx%dx%d", model->input_channels,
                 model->input_height, model->input_width);
        ours = a;
        theirs = b;
    } else if (!model->preprocess ||
               strcmp(m->preprocess, model->preprocess) != 0) {
        field = "preprocessing";
        ours = m->preprocess;
        theirs = model->preprocess ? model->preprocess : "";
    }
    if (field)
        return fail(m, MASO_EMISMATCH, "%s/%s: %s %s, the model's %s",
                    m->db, MASO_SHARDS_MANIFEST, field, ours, theirs);
    if (m->has_precision && m->precision != model->precision)
        return fail(m, MASO_EMISMATCH, "%s/%s: precision differs: the index "
                    "holds %s codes, these are %s codes (an index keeps the "
                    "precision it was created with: maso-index --precision)",
                    m->db, MASO_SHARDS_MANIFEST,
                    maso_precision_name(m->precision),
                    maso_precision_name(model->precision));
    return 0;
}

int maso_shards_precision(const maso_shards *m,
                          maso_model_precision *precision)
{
    if (!m || !precision || !m->db)
        return MASO_EINVAL_ARG;
    if (!m->has_precision)
        return ENOENT;
    *precision = m->precision;
    return 0;
}
