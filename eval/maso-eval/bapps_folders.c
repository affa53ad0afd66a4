/* bapps_folders.c -- the folders of the BAPPS benchmark (Zhang et al. 2018) in
 * their published layout:
 *   2afc/{train,val}/<subset>/{ref,p0,p1}/NNNNNN.png + judge/NNNNNN.npy
 *   jnd/val/<subset>/{p0,p1}/NNNNNN.png + same/NNNNNN.npy
 * where each .npy holds one value: the fraction of people who found p1
 * closer to ref (judge), or who found p0 and p1 the same (same). */
#include "program.h"

#include <stdlib.h>
#include <string.h>

#define IMAGE_SUFFIXES ".png,.jpg,.jpeg"

static const char *const afc_dirs[] = { "ref", "p0", "p1", "judge" };
static const char *const jnd_dirs[] = { "p0", "p1", "same" };

static size_t stem_len(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot ? (size_t)(dot - name) : strlen(name);
}

static void set_free(eval_bapps_set *s)
{
    for (size_t i = 0; i < s->n; i++) {
        if (s->ref)
            free(s->ref[i]);
        if (s->p0)
            free(s->p0[i]);
        if (s->p1)
            free(s->p1[i]);
    }
    free(s->ref);
    free(s->p0);
    free(s->p1);
    free(s->human);
    memset(s, 0, sizeof *s);
}

void eval_bapps_close(eval_bapps *b)
{
    for (size_t i = 0; i < b->n_sets; i++)
        set_free(&b->set[i]);
    free(b->set);
    b->set = NULL;
    b->n_sets = 0;
}

/* Check that every folder's listing pairs up with the first one's, item
 * by item, by file stem ("000123.png" with "000123.npy"). */
static int match_listings(const char *dir, const char *const *sub,
                          const eval_names *lists, size_t n_lists,
                          char err[MASO_CLI_ERRLEN])
{
    for (size_t k = 1; k < n_lists; k++) {
        if (lists[k].count != lists[0].count) {
            snprintf(err, MASO_CLI_ERRLEN, "%s/%s holds %zu files but %s/%s "
                     "holds %zu: every item needs one file in each folder",
                     dir, sub[k], lists[k].count, dir, sub[0], lists[0].count);
            return MASO_EDATA;
        }
        for (size_t i = 0; i < lists[0].count; i++) {
            const char *a = lists[0].name[i], *b = lists[k].name[i];
            size_t la = stem_len(a);
            if (stem_len(b) != la || strncmp(a, b, la) != 0) {
                snprintf(err, MASO_CLI_ERRLEN, "%s/%s/%.*s.*: missing (for "
                         "%s/%s/%s)", dir, sub[k], (int)la, a, dir, sub[0], a);
                return MASO_EDATA;
            }
        }
    }
    return 0;
}

static char *join3(const char *a, const char *b, const char *c)
{
    size_t n = strlen(a) + strlen(b) + strlen(c) + 3;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s/%s/%s", a, b, c);
    return s;
}

/* Read the one-value .npy files of the human folder into s->human. */
static int read_human(const char *dir, const char *sub, const eval_names *l,
                      eval_bapps_set *s, char err[MASO_CLI_ERRLEN])
{
    maso_eval_npy *npy = NULL;
    int rc = maso_eval_npy_create(&npy);
    char path[EVAL_PATH_MAX];
    for (size_t i = 0; rc == 0 && i < l->count; i++) {
        snprintf(path, sizeof path, "%s/%s/%s", dir, sub, l->name[i]);
        size_t count;
        if ((rc = maso_eval_npy_load_file(npy, path)) != 0) {
            snprintf(err, MASO_CLI_ERRLEN, "%s", maso_eval_npy_errmsg(npy));
            break;
        }
        const double *v = maso_eval_npy_values(npy, &count);
        if (count != 1 || !(v[0] >= 0.0 && v[0] <= 1.0)) {
            snprintf(err, MASO_CLI_ERRLEN, "%s: expected one fraction in "
                     "[0, 1], found %zu value%s%s", path, count,
                     count == 1 ? "" : "s", count == 1 ? " out of range" : "");
            rc = MASO_EDATA;
            break;
        }
        s->human[i] = v[0];
    }
    if (rc == ENOMEM && !err[0])
        snprintf(err, MASO_CLI_ERRLEN, "out of memory");
    maso_eval_npy_destroy(npy);
    return rc;
}

static int open_set(const char *dir, int jnd, eval_bapps_set *s,
                    char err[MASO_CLI_ERRLEN])
{
    const char *const *sub = jnd ? jnd_dirs : afc_dirs;
    size_t n_sub = jnd ? 3 : 4, n_img = n_sub - 1;
    eval_names lists[4];
    memset(lists, 0, sizeof lists);
    memset(s, 0, sizeof *s);
    const char *base = strrchr(dir, '/');
    snprintf(s->name, sizeof s->name, "%s", base && base[1] ? base + 1 : dir);
    char path[EVAL_PATH_MAX];
    int rc = 0;
    for (size_t k = 0; k < n_sub; k++) {
        snprintf(path, sizeof path, "%s/%s", dir, sub[k]);
        if (!eval_is_dir(path)) {
            snprintf(err, MASO_CLI_ERRLEN, "%s: missing folder (a BAPPS %s "
                     "folder holds %s)", path, jnd ? "JND" : "2AFC",
                     jnd ? "p0/, p1/ and same/" : "ref/, p0/, p1/ and judge/");
            rc = MASO_EDATA;
            goto out;
        }
        if ((rc = eval_names_list(path, k < n_img ? IMAGE_SUFFIXES : ".npy",
                                  &lists[k], err)) != 0)
            goto out;
        if (lists[k].count == 0) {
            snprintf(err, MASO_CLI_ERRLEN, "%s: no %s files", path,
                     k < n_img ? "image (.png, .jpg)" : ".npy");
            rc = MASO_EDATA;
            goto out;
        }
    }
    if ((rc = match_listings(dir, sub, lists, n_sub, err)) != 0)
        goto out;
    s->n = lists[0].count;
    char **col[3];
    s->human = calloc(s->n, sizeof *s->human);
    for (size_t k = 0; k < n_img; k++)
        col[k] = calloc(s->n, sizeof(char *));
    if (jnd) {
        s->p0 = col[0];
        s->p1 = col[1];
    } else {
        s->ref = col[0];
        s->p0 = col[1];
        s->p1 = col[2];
    }
    for (size_t k = 0; k < n_img; k++)
        if (!col[k])
            rc = ENOMEM;
    for (size_t i = 0; rc == 0 && i < s->n; i++)
        for (size_t k = 0; k < n_img; k++)
            if (!(col[k][i] = join3(dir, sub[k], lists[k].name[i])))
                rc = ENOMEM;
    if (rc == 0 && !s->human)
        rc = ENOMEM;
    if (rc == ENOMEM)
        snprintf(err, MASO_CLI_ERRLEN, "out of memory");
    if (rc == 0)
        rc = read_human(dir, sub[n_sub - 1], &lists[n_sub - 1], s, err);
out:
    for (size_t k = 0; k < n_sub; k++)
        eval_names_free(&lists[k]);
    if (rc)
        set_free(s);
    return rc;
}

static int add_set(eval_bapps *b, const char *root, const char *dir,
                   int jnd, char err[MASO_CLI_ERRLEN])
{
    eval_bapps_set *grown = realloc(b->set, (b->n_sets + 1) * sizeof *grown);
    if (!grown) {
        snprintf(err, MASO_CLI_ERRLEN, "out of memory");
        return ENOMEM;
    }
    b->set = grown;
    int rc = open_set(dir, jnd, &b->set[b->n_sets], err);
    /* Name subsets by their path under root ("val/cnn"): train and val
     * have subsets of the same name. */
    size_t lr = strlen(root);
    if (rc == 0 && strlen(dir) > lr + 1)
        snprintf(b->set[b->n_sets].name, sizeof b->set[b->n_sets].name,
                 "%s", dir + lr + 1);
    if (rc == 0)
        b->n_sets++;
    return rc;
}

/* dir is a set when it holds the first image folder (p0 for both). */
static int is_set(const char *dir)
{
    char path[EVAL_PATH_MAX];
    snprintf(path, sizeof path, "%s/p0", dir);
    return eval_is_dir(path);
}

static int scan(eval_bapps *b, const char *root, const char *dir, int jnd,
                int depth, char err[MASO_CLI_ERRLEN])
{
    if (is_set(dir))
        return add_set(b, root, dir, jnd, err);
    if (depth == 0)
        return 0;
    eval_names subs;
    int rc = eval_names_list(dir, NULL, &subs, err);
    char path[EVAL_PATH_MAX];
    for (size_t i = 0; rc == 0 && i < subs.count; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, subs.name[i]);
        rc = scan(b, root, path, jnd, depth - 1, err);
    }
    eval_names_free(&subs);
    return rc;
}

int eval_bapps_open(const char *dir, int jnd, eval_bapps *b,
                    char err[MASO_CLI_ERRLEN])
{
    memset(b, 0, sizeof *b);
    err[0] = '\0';
    if (!eval_is_dir(dir)) {
        snprintf(err, MASO_CLI_ERRLEN, "%s: %s", dir,
                 eval_is_file(dir) ? "not a folder" : "no such folder");
        return ENOENT;
    }
    /* A subset folder itself, or up to two levels above subsets
     * (2afc/val/cnn, jnd/val/traditional). */
    int rc = scan(b, dir, dir, jnd, 2, err);
    if (rc == 0 && b->n_sets == 0) {
        snprintf(err, MASO_CLI_ERRLEN, "%s: not a BAPPS %s folder: no %s "
                 "here or in its subfolders", dir, jnd ? "JND" : "2AFC",
                 jnd ? "p0/, p1/, same/" : "ref/, p0/, p1/, judge/");
        rc = MASO_EDATA;
    }
    if (rc)
        eval_bapps_close(b);
    return rc;
}
