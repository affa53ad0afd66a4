/* args.c -- parsing the values of maso-query's search options. */
#include "search.h"
#include "query.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int args_size(const char *opt, const char *text, size_t min, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || end == text || *end || text[0] == '-' || v < min ||
        v > SIZE_MAX / 64) {
        fprintf(stderr, "maso-query: %s %s: expected a whole number >= %zu\n",
                opt, text, min);
        return -1;
    }
    *out = (size_t)v;
    return 0;
}

int args_distance(const char *opt, const char *text, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end || !isfinite(v) || v < 0 || v > 1) {
        fprintf(stderr, "maso-query: %s %s: expected a distance in [0, 1]\n",
                opt, text);
        return -1;
    }
    *out = v;
    return 0;
}

/* 1 when @p db names a store already in o->dbs (the same directory,
 * however it is spelled): searching it twice would list every match twice
 * and every file as its own duplicate. */
static int db_listed(const search_options *o, const char *db)
{
    char *real = realpath(db, NULL);
    int found = 0;
    for (size_t i = 0; i < o->n_dbs && !found; i++) {
        char *other = real ? realpath(o->dbs[i], NULL) : NULL;
        found = other ? strcmp(real, other) == 0 : strcmp(db, o->dbs[i]) == 0;
        free(other);
    }
    free(real);
    return found;
}

int args_db_add(search_options *o, const char *db)
{
    if (db_listed(o, db))
        return 0;
    const char **d = realloc(o->dbs, (o->n_dbs + 1) * sizeof *d);
    char *copy = strdup(db);
    if (!d || !copy) {
        free(copy);
        if (d)
            o->dbs = d;
        fprintf(stderr, "maso-query: out of memory\n");
        return -1;
    }
    o->dbs = d;
    o->dbs[o->n_dbs++] = copy;
    return 0;
}

int args_db_list(search_options *o, const char *file)
{
    FILE *in = fopen(file, "r");
    if (!in) {
        fprintf(stderr, "maso-query: --db-list %s: %s\n", file,
                strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int rc = 0;
    while (!rc && (len = getline(&line, &cap, in)) != -1) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0 || line[0] == '#')
            continue;
        rc = args_db_add(o, line);
    }
    if (!rc && ferror(in)) {
        fprintf(stderr, "maso-query: --db-list %s: %s\n", file,
                strerror(errno));
        rc = -1;
    }
    free(line);
    fclose(in);
    return rc;
}

int args_files_from(const char *file, int nul, char ***list, size_t *n)
{
    int use_stdin = strcmp(file, "-") == 0;
    FILE *in = use_stdin ? stdin : fopen(file, "r");
    if (!in) {
        fprintf(stderr, "maso-query: --files-from ");
        maso_cli_text_escaped(stderr, file);
        fprintf(stderr, ": %s\n", strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int rc = 0;
    while (!rc && (len = getdelim(&line, &cap, nul ? '\0' : '\n', in)) != -1) {
        if (!nul)
            while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
                line[--len] = '\0';
        if (len == 0 || (len == 1 && line[0] == '\0'))
            continue;
        char **grown = realloc(*list, (*n + 1) * sizeof *grown);
        char *copy = strdup(line);
        if (grown)
            *list = grown;
        if (!grown || !copy) {
            free(copy);
            fprintf(stderr, "maso-query: out of memory\n");
            rc = -1;
            break;
        }
        (*list)[(*n)++] = copy;
    }
    if (!rc && ferror(in)) {
        fprintf(stderr, "maso-query: --files-from: %s\n", strerror(errno));
        rc = -1;
    }
    free(line);
    if (!use_stdin)
        fclose(in);
    return rc;
}
