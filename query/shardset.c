/* shardset.c -- maso-query over sharded indexes: each sharded DB among the
 * stores to search is replaced by its shard stores, so that the search
 * runs over them exactly as over a --db list of the same stores.  A shard
 * that cannot be opened is an error naming it, or with --allow-partial is
 * left out and listed as missing (the output says the answer is partial). */
#include "search.h"
#include "query.h"
#include "maso_shards.h"
#include "maso_store.h"

#include <stdlib.h>
#include <string.h>

/* 0 when the store at @p path opens read-only; else why, into @p why. */
static int probe(const char *path, char why[MASO_CLI_ERRLEN])
{
    maso_store *s = NULL;
    int rc = maso_store_create(&s);
    if (!rc)
        rc = maso_store_open(s, path, MASO_STORE_RDONLY, NULL);
    if (rc)
        snprintf(why, MASO_CLI_ERRLEN, "%s", s ? maso_store_errmsg(s)
                                               : maso_strerror(rc));
    maso_store_destroy(s);
    return rc;
}

static int push(char ***list, size_t *n, const char *text)
{
    char **grown = realloc(*list, (*n + 1) * sizeof *grown);
    char *copy = strdup(text);
    if (!grown || !copy) {
        free(copy);
        if (grown)
            *list = grown;
        return ENOMEM;
    }
    *list = grown;
    (*list)[(*n)++] = copy;
    return 0;
}

/* Append the shards of @p db to @p dbs and their hosts to @p hosts (and
 * the missing ones to o when @p check). */
static int expand_one(search_options *o, const char *db, int check,
                      char ***dbs, char ***hosts, size_t *n,
                      char err[MASO_CLI_ERRLEN])
{
    maso_shards *m = NULL;
    int rc = maso_shards_create(&m);
    if (!rc)
        rc = maso_shards_open(m, db);
    if (rc) {
        snprintf(err, MASO_CLI_ERRLEN, "%s", m ? maso_shards_errmsg(m)
                                               : maso_strerror(rc));
        maso_shards_destroy(m);
        return rc;
    }
    for (size_t i = 0; !rc && i < maso_shards_count(m); i++) {
        const char *where = maso_shards_location(m, i);
        char why[MASO_CLI_ERRLEN];
        if (!check || probe(where, why) == 0) {
            size_t at = *n;
            rc = push(dbs, n, where);
            if (!rc && (rc = push(hosts, &at, maso_shards_host(m, i))) != 0)
                free((*dbs)[--*n]);
        } else if (o->allow_partial) {
            fprintf(stderr, "maso-query: warning: %s: shard %zu is missing "
                    "(%s); answering from the others\n", db, i, why);
            rc = push(&o->missing, &o->n_missing, where);
        } else {
            snprintf(err, MASO_CLI_ERRLEN, "%s: shard %zu is missing: %s "
                     "(--allow-partial answers from the other shards)", db,
                     i, why);
            rc = MASO_ENOTFOUND;
        }
        if (rc == ENOMEM)
            snprintf(err, MASO_CLI_ERRLEN, "out of memory");
    }
    maso_shards_destroy(m);
    return rc;
}

int shardset_expand(search_options *o, int check)
{
    int any = 0;
    for (size_t i = 0; i < o->n_dbs; i++)
        any |= maso_shards_is_sharded(o->dbs[i]);
    if (!any)
        return 0;
    char **dbs = NULL, **hosts = NULL;
    size_t n = 0;
    int rc = 0;
    char err[MASO_CLI_ERRLEN] = "out of memory";
    for (size_t i = 0; !rc && i < o->n_dbs; i++) {
        if (maso_shards_is_sharded(o->dbs[i])) {
            rc = expand_one(o, o->dbs[i], check, &dbs, &hosts, &n, err);
        } else {
            size_t at = n;
            rc = push(&dbs, &n, o->dbs[i]);
            if (!rc && (rc = push(&hosts, &at, MASO_SHARDS_ANY_HOST)) != 0)
                free(dbs[--n]);
        }
    }
    if (!rc && n == 0) {
        snprintf(err, MASO_CLI_ERRLEN, "no shard of %s could be opened",
                 o->dbs[0]);
        rc = MASO_ENOTFOUND;
    }
    if (rc) {
        fprintf(stderr, "maso-query: %s\n", err);
        for (size_t i = 0; i < n; i++) {
            free(dbs[i]);
            free(hosts[i]);
        }
        free(dbs);
        free(hosts);
        return -1;
    }
    for (size_t i = 0; i < o->n_dbs; i++)
        free((char *)o->dbs[i]);
    free(o->dbs);
    o->dbs = (const char **)dbs;
    o->hosts = hosts;
    o->n_dbs = n;
    return 0;
}
