/* info.c -- maso-query --info: what a store holds (counts, the files that
 * could not be read and why, the model, sizes).  Opens the store
 * read-only, so it may run while maso-index writes: it sees the last
 * committed batch. */
#include "query.h"
#include "maso_store.h"
#include "output.h"

#include <inttypes.h>
#include <string.h>

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
                       const maso_store_stats *st, int check_rc)
{
    const maso_store_identity *id = maso_store_identity_get(s);
    const maso_sketch *sk = maso_store_sketch(s);
    const maso_sketch_params *sp = maso_sketch_get_params(sk);
    fputc('{', stdout);
    output_json_path(stdout, "db", db);
    printf(", \"records\": %" PRIu64 ", \"indexed\": %" PRIu64
           ", \"failed\": %" PRIu64 ", \"codes\": %" PRIu64,
           st->records, st->ok, st->failed, st->codes);
    fputs(", \"model\": {\"param_sha256\": ", stdout);
    maso_cli_json_string(stdout, id->param_sha256);
    fputs(", \"bin_sha256\": ", stdout);
    maso_cli_json_string(stdout, id->bin_sha256);
    printf(", \"input\": [%d, %d, %d], \"preprocess\": ", id->input_channels,
           id->input_height, id->input_width);
    maso_cli_json_string(stdout, id->preprocess);
    printf(", \"layers\": %zu, \"code_bytes\": %zu}", id->n_layers,
           maso_sketch_code_bytes(sk));
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
        maso_cli_json_string(stdout, check_rc ? maso_store_errmsg(s) : "ok");
    }
    fputs(", \"failures\": [", stdout);
}

static void print_text(maso_store *s, const char *db,
                       const maso_store_stats *st, int check_rc)
{
    const maso_store_identity *id = maso_store_identity_get(s);
    const maso_sketch *sk = maso_store_sketch(s);
    printf("store:      %s\n", db);
    printf("images:     %" PRIu64 " indexed, %" PRIu64 " failed (%" PRIu64
           " records)\n", st->ok, st->failed, st->records);
    printf("model:      param sha256 %s\n", id->param_sha256);
    printf("            bin sha256   %s\n", id->bin_sha256);
    printf("            input %dx%dx%d, %s\n", id->input_channels,
           id->input_height, id->input_width, id->preprocess);
    printf("codes:      %zu layers, %zu bytes per full code, %zu per sketch;"
           " full codes %s\n", id->n_layers, maso_sketch_code_bytes(sk),
           maso_sketch_bytes(sk), id->full_codes ? "kept" : "not kept");
    printf("size:       %.1f MB in use (map %.0f MB), %.0f bytes per image\n",
           (double)st->file_bytes / 1e6, (double)st->map_size / 1e6,
           st->bytes_per_record);
    if (check_rc != 1)
        printf("check:      %s\n", check_rc ? maso_store_errmsg(s) : "ok");
    if (st->failed)
        printf("failed files:\n");
}

int query_info(const query_options *opt, const char *db)
{
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
        rc = maso_store_stats_get(s, &st);
    if (rc) {
        maso_cli_print_error("maso-query", maso_store_errmsg(s));
        maso_store_destroy(s);
        return QUERY_EXIT_ERROR;
    }
    /* 1: not asked for. */
    int check_rc = opt->check ? maso_store_check(s) : 1;
    if (opt->json)
        print_json(s, db, &st, check_rc);
    else
        print_text(s, db, &st, check_rc);
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
