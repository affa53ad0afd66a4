/* info.c -- maso-query --info: what a store holds (counts, the files that
 * could not be read and why, the model, sizes).  Opens the store
 * read-only, so it may run while maso-index writes: it sees the last
 * committed batch. */
#include "query.h"
#include "maso_shards.h"
#include "maso_store.h"
#include "output.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* The damaged records --check found, kept to print after the header. */
typedef struct damage_list {
    maso_store_damage *item; /* paths owned */
    size_t n, cap;
} damage_list;

static int keep_damage(void *arg, const maso_store_damage *d)
{
    damage_list *l = arg;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        maso_store_damage *grown = realloc(l->item, cap * sizeof *grown);
        if (!grown)
            return ENOMEM;
        l->item = grown;
        l->cap = cap;
    }
    maso_store_damage *k = &l->item[l->n];
    *k = *d;
    k->path = d->path ? strdup(d->path) : NULL;
    if (d->path && !k->path)
        return ENOMEM;
    l->n++;
    return 0;
}

static void damage_list_free(damage_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free((char *)l->item[i].path);
    free(l->item);
}

/* The check's verdict: "ok", "unverified" (a schema-2 store: no checksums
 * to verify, its structure is fine), or the store's message. */
static const char *verdict(maso_store *s, int check_rc)
{
    if (check_rc)
        return maso_store_errmsg(s);
    return maso_store_checksums(s) ? "ok" : "unverified";
}

/* The damaged records of @p l as JSON objects, each with "shard": @p shard
 * first unless it is negative (one store); @p first: none written yet. */
static void print_damage_items(const damage_list *l, long shard, int first)
{
    for (size_t i = 0; i < l->n; i++) {
        fputs(first && i == 0 ? "{" : ", {", stdout);
        if (shard >= 0)
            printf("\"shard\": %ld, ", shard);
        printf("\"id\": %" PRIu64 ", ", l->item[i].id);
        if (l->item[i].path)
            output_json_path(stdout, "path", l->item[i].path);
        else
            fputs("\"path\": null", stdout);
        fputs(", \"what\": ", stdout);
        maso_cli_json_string(stdout, l->item[i].what);
        fputc('}', stdout);
    }
}

static void print_damage_json(const damage_list *l)
{
    fputs(", \"damaged\": [", stdout);
    print_damage_items(l, -1, 1);
    fputc(']', stdout);
}

/* The damaged records as lines, under a header naming what to repair
 * (@p store: NULL for the store itself). */
static void print_damage_text(const damage_list *l, const char *store)
{
    if (l->n && store) {
        printf("damaged records of ");
        maso_cli_text_escaped(stdout, store);
        printf(" (run maso-index --repair ");
        maso_cli_text_escaped(stdout, store);
        printf("):\n");
    } else if (l->n) {
        printf("damaged records (run maso-index --repair):\n");
    }
    for (size_t i = 0; i < l->n; i++) {
        printf("  %" PRIu64 " ", l->item[i].id);
        maso_cli_text_escaped(stdout, l->item[i].path ? l->item[i].path
                                                      : "(path unknown)");
        printf(" (%s)\n", l->item[i].what);
    }
}

typedef struct failure_list {
    int json;
    size_t n;
} failure_list;

static int print_failure(const maso_store_record *r, void *arg)
{
    failure_list *f = arg;
    if (r->status != MASO_RECORD_FAILED)
        return 0;
    if (f->json) {
        fputs(f->n ? ", {" : "{", stdout);
        output_json_path(stdout, "path", r->path);
        fputs(", \"reason\": ", stdout);
        maso_cli_json_string(stdout, r->reason ? r->reason : "");
        fputc('}', stdout);
    } else {
        fputs("  ", stdout);
        maso_cli_text_escaped(stdout, r->path);
        fputs(": ", stdout);
        maso_cli_text_escaped(stdout, r->reason ? r->reason : "");
        fputc('\n', stdout);
    }
    f->n++;
    return 0;
}

static void print_json(maso_store *s, const char *db,
                       const maso_store_stats *st, int check_rc,
                       const damage_list *damaged)
{
    const maso_store_identity *id = maso_store_get_identity(s);
    const maso_sketch *sk = maso_store_sketch(s);
    const maso_sketch_params *sp = maso_sketch_get_params(sk);
    fputc('{', stdout);
    output_json_path(stdout, "db", db);
    printf(", \"records\": %" PRIu64 ", \"indexed\": %" PRIu64
           ", \"failed\": %" PRIu64 ", \"codes\": %" PRIu64
           ", \"orients\": %" PRIu64,
           st->records, st->ok, st->failed, st->codes, st->orients);
    fputs(", \"model\": {\"param_sha256\": ", stdout);
    maso_cli_json_string(stdout, id->param_sha256);
    fputs(", \"bin_sha256\": ", stdout);
    maso_cli_json_string(stdout, id->bin_sha256);
    printf(", \"input\": [%d, %d, %d], \"preprocess\": ", id->input_channels,
           id->input_height, id->input_width);
    maso_cli_json_string(stdout, id->preprocess);
    printf(", \"layers\": %zu, \"code_bytes\": %zu, \"precision\": \"%s\"}",
           id->n_layers, maso_sketch_code_bytes(sk),
           maso_precision_name(id->precision));
    printf(", \"sketch\": {\"bytes\": %zu, \"relu_samples\": %zu, "
           "\"maxpool_samples\": %zu, \"seed\": %" PRIu64 "}",
           maso_sketch_bytes(sk), sp->relu_samples, sp->maxpool_samples,
           sp->seed);
    printf(", \"full_codes\": %s, \"bytes_per_image\": %.1f, "
           "\"file_bytes\": %" PRIu64 ", \"map_size\": %" PRIu64
           ", \"page_size\": %" PRIu64, id->full_codes ? "true" : "false",
           st->bytes_per_record, st->file_bytes, st->map_size, st->page_size);
    if (check_rc != 1) {
        fputs(", \"check\": ", stdout);
        maso_cli_json_string(stdout, verdict(s, check_rc));
        print_damage_json(damaged);
    }
}

static void print_text(maso_store *s, const char *db,
                       const maso_store_stats *st, int check_rc,
                       const damage_list *damaged)
{
    const maso_store_identity *id = maso_store_get_identity(s);
    const maso_sketch *sk = maso_store_sketch(s);
    printf("store:      %s\n", db);
    printf("images:     %" PRIu64 " indexed, %" PRIu64 " failed (%" PRIu64
           " records)\n", st->ok, st->failed, st->records);
    printf("model:      param sha256 %s\n", id->param_sha256);
    printf("            bin sha256   %s\n", id->bin_sha256);
    printf("            input %dx%dx%d, %s\n", id->input_channels,
           id->input_height, id->input_width, id->preprocess);
    printf("codes:      %zu layers, %zu bytes per full code, %zu per sketch;"
           " full codes %s; %s precision\n", id->n_layers,
           maso_sketch_code_bytes(sk), maso_sketch_bytes(sk),
           id->full_codes ? "kept" : "not kept",
           maso_precision_name(id->precision));
    printf("orients:    %" PRIu64 " of %" PRIu64 " images with their mirrored "
           "and turned sketches (orientation-invariant --duplicates)%s\n",
           st->orients, st->ok,
           st->orients < st->ok ? "; maso-index --rescan adds the others"
                                : "");
    printf("size:       %.1f MB in use (map %.0f MB), %.0f bytes per image\n",
           (double)st->file_bytes / 1e6, (double)st->map_size / 1e6,
           st->bytes_per_record);
    if (check_rc == 0 && !maso_store_checksums(s))
        printf("check:      unverified: a schema-2 store has no checksums "
               "(its structure is fine; index into a new store to get "
               "them)\n");
    else if (check_rc != 1)
        printf("check:      %s\n", verdict(s, check_rc));
    print_damage_text(damaged, NULL);
}


/* One shard of a sharded index, opened or missing. */
typedef struct shard_info {
    maso_store *store;     /* NULL: missing */
    maso_store_stats st;
    int check_rc;          /* 1: not asked for */
    damage_list damaged;   /* what --check found in it */
    char why[MASO_CLI_ERRLEN];
} shard_info;

static void add_stats(maso_store_stats *t, const maso_store_stats *s)
{
    double bytes = t->bytes_per_record * (double)t->records +
                   s->bytes_per_record * (double)s->records;
    t->records += s->records;
    t->ok += s->ok;
    t->failed += s->failed;
    t->codes += s->codes;
    t->orients += s->orients;
    t->file_bytes += s->file_bytes;
    t->map_size += s->map_size;
    t->page_size = s->page_size;
    t->bytes_per_record = t->records ? bytes / (double)t->records : 0;
}

static void print_shards(const query_options *opt, const maso_shards *m,
                         const shard_info *sh, size_t n_missing)
{
    size_t n = maso_shards_count(m);
    if (opt->json) {
        printf(", \"partial\": %s, \"shards\": [",
               n_missing ? "true" : "false");
        for (size_t i = 0; i < n; i++) {
            fputs(i ? ", {\"shard\": " : "{\"shard\": ", stdout);
            printf("%zu, \"path\": ", i);
            maso_cli_json_string(stdout, maso_shards_location(m, i));
            fputs(", \"host\": ", stdout);
            maso_cli_json_string(stdout, maso_shards_host(m, i));
            if (!sh[i].store) {
                fputs(", \"missing\": ", stdout);
                maso_cli_json_string(stdout, sh[i].why);
            } else {
                printf(", \"records\": %" PRIu64 ", \"indexed\": %" PRIu64
                       ", \"failed\": %" PRIu64 ", \"file_bytes\": %"
                       PRIu64, sh[i].st.records, sh[i].st.ok,
                       sh[i].st.failed, sh[i].st.file_bytes);
                if (sh[i].check_rc != 1) {
                    fputs(", \"check\": ", stdout);
                    maso_cli_json_string(stdout, verdict(sh[i].store,
                                                         sh[i].check_rc));
                    print_damage_json(&sh[i].damaged);
                }
            }
            fputc('}', stdout);
        }
        fputc(']', stdout);
        return;
    }
    printf("shards:     %zu%s\n", n, n_missing ? " (PARTIAL: some are "
           "missing, the totals count the others)" : "");
    for (size_t i = 0; i < n; i++) {
        if (!sh[i].store)
            printf("  %3zu  MISSING  %s\n", i, sh[i].why);
        else
            printf("  %3zu  %s  host %s: %" PRIu64 " indexed, %" PRIu64
                   " failed, %.1f MB%s%s\n", i, maso_shards_location(m, i),
                   maso_shards_host(m, i), sh[i].st.ok, sh[i].st.failed,
                   (double)sh[i].st.file_bytes / 1e6,
                   sh[i].check_rc == 1 ? "" : ", check ",
                   sh[i].check_rc == 1 ? ""
                   : verdict(sh[i].store, sh[i].check_rc));
    }
    for (size_t i = 0; i < n; i++)
        if (sh[i].store)
            print_damage_text(&sh[i].damaged, maso_shards_location(m, i));
}


/* --info of a sharded index: the totals of its shards, then each shard.
 * A shard that cannot be opened is an error naming it, unless
 * --allow-partial. */
static int info_sharded(const query_options *opt, const char *db)
{
    maso_shards *m = NULL;
    int rc = maso_shards_create(&m);
    if (!rc)
        rc = maso_shards_open(m, db);
    if (rc) {
        fprintf(stderr, "maso-query: %s\n", m ? maso_shards_errmsg(m)
                                              : maso_strerror(rc));
        maso_shards_destroy(m);
        return QUERY_EXIT_ERROR;
    }
    size_t n = maso_shards_count(m), n_missing = 0, first = n;
    shard_info *sh = calloc(n, sizeof *sh);
    maso_store_stats total;
    memset(&total, 0, sizeof total);
    int status = sh ? QUERY_EXIT_FOUND : QUERY_EXIT_ERROR, check_rc = 1;
    const char *check = opt->check ? "ok" : NULL;
    for (size_t i = 0; sh && i < n; i++) {
        const char *where = maso_shards_location(m, i);
        sh[i].check_rc = 1;
        if ((rc = maso_store_create(&sh[i].store)) == 0 &&
            (rc = maso_store_open(sh[i].store, where, MASO_STORE_RDONLY,
                                  NULL)) == 0)
            rc = maso_store_get_stats(sh[i].store, &sh[i].st);
        if (rc) {
            snprintf(sh[i].why, sizeof sh[i].why, "%s",
                     sh[i].store ? maso_store_errmsg(sh[i].store)
                                 : maso_strerror(rc));
            maso_store_destroy(sh[i].store);
            sh[i].store = NULL;
            n_missing++;
            fprintf(stderr, "maso-query: %s shard %zu: %s\n",
                    opt->allow_partial ? "warning: missing" : "missing", i,
                    sh[i].why);
            continue;
        }
        if (first == n)
            first = i;
        add_stats(&total, &sh[i].st);
        if (opt->check) {
            sh[i].check_rc = maso_store_check_damage(
                sh[i].store, keep_damage, &sh[i].damaged, NULL);
            if (check_rc == 1 || check_rc == 0) {
                check_rc = sh[i].check_rc;
                if (check_rc)
                    check = maso_store_errmsg(sh[i].store);
            }
        }
    }
    if (!sh)
        fprintf(stderr, "maso-query: out of memory\n");
    else if (first == n || (n_missing && !opt->allow_partial))
        status = QUERY_EXIT_ERROR;
    if (status != QUERY_EXIT_ERROR) {
        maso_store *s0 = sh[first].store;
        damage_list none = { NULL, 0, 0 }; /* the shards' checks follow */
        if (opt->json) {
            print_json(s0, db, &total, 1, &none);
            if (check) {
                /* the verdict and the damaged records of all shards, as
                 * one store gives them, each naming its shard */
                fputs(", \"check\": ", stdout);
                maso_cli_json_string(stdout, check);
                fputs(", \"damaged\": [", stdout);
                int first_item = 1;
                for (size_t i = 0; i < n; i++) {
                    print_damage_items(&sh[i].damaged, (long)i, first_item);
                    first_item &= sh[i].damaged.n == 0;
                }
                fputc(']', stdout);
            }
            print_shards(opt, m, sh, n_missing);
            fputs(", \"failures\": [", stdout);
        } else {
            print_text(s0, db, &total, 1, &none);
            if (check)
                printf("check:      %s\n", check);
            print_shards(opt, m, sh, n_missing);
            if (total.failed)
                printf("failed files:\n");
        }
        failure_list f = { opt->json, 0 };
        for (size_t i = 0; i < n && !rc; i++)
            if (sh[i].store &&
                (rc = maso_store_foreach(sh[i].store, 0, print_failure, &f)))
                fprintf(stderr, "maso-query: %s\n",
                        maso_store_errmsg(sh[i].store));
        if (opt->json)
            fputs("]}\n", stdout);
        if (rc || (check_rc != 1 && check_rc != 0))
            status = QUERY_EXIT_ERROR;
    }
    for (size_t i = 0; sh && i < n; i++) {
        damage_list_free(&sh[i].damaged);
        maso_store_destroy(sh[i].store);
    }
    free(sh);
    maso_shards_destroy(m);
    return status;
}

static int info(const query_options *opt, const char *db)
{
    if (maso_shards_is_sharded(db))
        return info_sharded(opt, db);
    maso_store *s = NULL;
    int rc = maso_store_create(&s);
    if (rc) {
        maso_cli_print_error("maso-query", maso_strerror(rc));
        return QUERY_EXIT_ERROR;
    }
    /* No expected identity: --info describes whatever model built it. */
    rc = maso_store_open(s, db, MASO_STORE_RDONLY, NULL);
    maso_store_stats st;
    if (!rc)
        rc = maso_store_get_stats(s, &st);
    damage_list damaged = { NULL, 0, 0 };
    if (rc) {
        maso_cli_print_error("maso-query", maso_store_errmsg(s));
        /* Damaged counters: --check can still say which records are. */
        if (opt->check && maso_store_get_stats(s, &st) == MASO_EDATA &&
            maso_store_check_damage(s, keep_damage, &damaged, NULL) != 0) {
            char msg[2048];
            snprintf(msg, sizeof msg, "check: %s", maso_store_errmsg(s));
            maso_cli_print_error("maso-query", msg);
            for (size_t i = 0; i < damaged.n; i++) {
                snprintf(msg, sizeof msg, "damaged: %" PRIu64 " %s (%s)",
                         damaged.item[i].id, damaged.item[i].path ?
                         damaged.item[i].path : "(path unknown)",
                         damaged.item[i].what);
                maso_cli_print_error("maso-query", msg);
            }
        }
        damage_list_free(&damaged);
        maso_store_destroy(s);
        return QUERY_EXIT_ERROR;
    }
    /* 1: not asked for. */
    int check_rc = opt->check ?
                   maso_store_check_damage(s, keep_damage, &damaged, NULL) : 1;
    if (opt->json) {
        print_json(s, db, &st, check_rc, &damaged);
        fputs(", \"failures\": [", stdout);
    } else {
        print_text(s, db, &st, check_rc, &damaged);
        if (st.failed)
            printf("failed files:\n");
    }
    damage_list_free(&damaged);
    failure_list f = { opt->json, 0 };
    rc = maso_store_foreach(s, 0, print_failure, &f);
    if (opt->json)
        fputs("]}\n", stdout);
    if (rc)
        maso_cli_print_error("maso-query", maso_store_errmsg(s));
    maso_store_destroy(s);
    return rc || (check_rc != 1 && check_rc != 0) ? QUERY_EXIT_ERROR
                                                 : QUERY_EXIT_FOUND;
}

/* --check walks every page of the store through liblmdb, which trusts its
 * own page structure (it has no checksums): a damaged branch page can make
 * it crash.  The walk then runs in a child process, so that such damage is
 * reported as damage instead of killing maso-query. */
int query_info(const query_options *opt, const char *db)
{
    if (!opt->check)
        return info(opt, db);
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return info(opt, db);
    if (pid == 0) {
        int status = info(opt, db);
        fflush(stdout);
        _exit(status);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return QUERY_EXIT_ERROR;
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    fprintf(stderr, "maso-query: %s: the check stopped with signal %d while "
            "liblmdb read the store: its page structure is damaged (LMDB "
            "keeps no checksums of its own); index into a new store\n", db,
            WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    return QUERY_EXIT_ERROR;
}
