/* model_locate.c -- find the model directory, or provision it into the
 * user cache from the pinned upstream files. */
#include "maso_cli.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Pinned upstream (../shared/models/squeezenet_v1.1/SOURCE.md). */
#define UPSTREAM_BASE "https://github.com/nihui/ncnn-assets/raw/" \
    "9489f876aebdaa846af3786f70ea5da6be198243/models"

static const struct model_file {
    const char *name;
    const char *sha256;
} model_files[] = {
    { MASO_CLI_MODEL_NAME ".param",
      "6a38784ab51f056e5ecdf208120f8a9174b74831255e66b74c4dd6bf755a4324" },
    { MASO_CLI_MODEL_NAME ".bin",
      "928c82c485a16064df88794d83c333025055e60c08f73217222244ab0ed2dbc6" },
};

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int copy_path(char *dst, size_t len, const char *src,
                     char err[MASO_CLI_ERRLEN])
{
    if (snprintf(dst, len, "%s", src) >= (int)len) {
        snprintf(err, MASO_CLI_ERRLEN, "model directory path too long: %s", src);
        return ENAMETOOLONG;
    }
    return 0;
}

/* mkdir -p, for the cache directory. */
static int make_dirs(const char *path)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return ENAMETOOLONG;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return errno;
        *p = '/';
    }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST)
        return errno;
    return 0;
}

static int cache_dir(char *dir, size_t len, char err[MASO_CLI_ERRLEN])
{
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    int n;
    if (xdg && xdg[0] == '/')
        n = snprintf(dir, len, "%s/maso/models/%s", xdg, MASO_CLI_MODEL_NAME);
    else if (home && home[0])
        n = snprintf(dir, len, "%s/.cache/maso/models/%s", home,
                     MASO_CLI_MODEL_NAME);
    else {
        snprintf(err, MASO_CLI_ERRLEN,
                 "no model found and no cache directory: set HOME or "
                 "XDG_CACHE_HOME, or give --model DIR / MASO_MODEL");
        return MASO_ENOTFOUND;
    }
    if (n < 0 || (size_t)n >= len) {
        snprintf(err, MASO_CLI_ERRLEN, "cache directory path too long");
        return ENAMETOOLONG;
    }
    return 0;
}

/* Make sure the cache holds both files with their pinned checksums. A file
 * already there is checked too: a partial or tampered copy is replaced. */
int maso_cli_model_provision(const char *dir, const char *base,
                             char err[MASO_CLI_ERRLEN])
{
    int rc = make_dirs(dir);
    if (rc) {
        snprintf(err, MASO_CLI_ERRLEN, "cannot create model cache %s: %s", dir,
                 strerror(rc));
        return rc;
    }
    for (size_t i = 0; i < sizeof model_files / sizeof model_files[0]; i++) {
        char path[PATH_MAX], url[PATH_MAX + 64], hex[65];
        snprintf(path, sizeof path, "%s/%s", dir, model_files[i].name);
        if (is_file(path) && maso_sha256_file(path, hex) == 0 &&
            strcmp(hex, model_files[i].sha256) == 0)
            continue;
        snprintf(url, sizeof url, "%s/%s", base, model_files[i].name);
        rc = maso_cli_download(url, path, model_files[i].sha256, err);
        if (rc)
            return rc;
    }
    return 0;
}

/* A program run from its build tree finds the model of ../shared beside
 * the source tree through the file maso-build-tree.txt that CMake writes
 * at the top of the build folder (it names the source folder): nothing of
 * the build tree is compiled into the binaries, so an installed program
 * (never beside that file) does not look there. */
static int build_tree_shared(char *out, size_t len)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return -1;
    exe[n] = '\0';
    for (int up = 0; up < 2; up++) {
        char *slash = strrchr(exe, '/');
        if (!slash || slash == exe)
            return -1;
        *slash = '\0';
        char marker[PATH_MAX + 32], source[PATH_MAX];
        snprintf(marker, sizeof marker, "%s/maso-build-tree.txt", exe);
        FILE *f = fopen(marker, "r");
        if (!f)
            continue;
        int ok = fgets(source, sizeof source, f) != NULL;
        fclose(f);
        if (!ok)
            return -1;
        source[strcspn(source, "\r\n")] = '\0';
        return snprintf(out, len, "%s/../shared/models/%s", source,
                        MASO_CLI_MODEL_NAME) < (int)len ? 0 : -1;
    }
    return -1;
}

static int has_model(const char *dir)
{
    char param[PATH_MAX + 64];
    snprintf(param, sizeof param, "%s/%s.param", dir, MASO_CLI_MODEL_NAME);
    return is_file(param);
}

int maso_cli_model_locate(const char *option_dir, char *dir, size_t dirlen,
                          char err[MASO_CLI_ERRLEN])
{
    const char *env = getenv("MASO_MODEL");
    const char *named = option_dir ? option_dir : (env && env[0] ? env : NULL);
    err[0] = '\0';
    if (named) {
        if (!is_dir(named)) {
            snprintf(err, MASO_CLI_ERRLEN, "model directory %s (from %s): %s",
                     named, option_dir ? "--model" : "MASO_MODEL",
                     strerror(ENOENT));
            return ENOENT;
        }
        return copy_path(dir, dirlen, named, err);
    }
    /* Development trees and CI keep the model in ../shared; a packager
     * may install it in the data folder. */
    char tree[PATH_MAX];
    const char *places[] = {
        build_tree_shared(tree, sizeof tree) == 0 ? tree : NULL,
        "../shared/models/" MASO_CLI_MODEL_NAME,
#ifdef MASO_DATADIR
        MASO_DATADIR "/models/" MASO_CLI_MODEL_NAME,
#endif
    };
    for (size_t i = 0; i < sizeof places / sizeof places[0]; i++)
        if (places[i] && has_model(places[i]))
            return copy_path(dir, dirlen, places[i], err);
    int rc = cache_dir(dir, dirlen, err);
    if (rc)
        return rc;
    const char *base = getenv("MASO_MODEL_URL");
    return maso_cli_model_provision(dir, base && base[0] ? base : UPSTREAM_BASE,
                                    err);
}

int maso_cli_model_open(const char *option_dir, maso_model **model,
                        char *dir, char err[MASO_CLI_ERRLEN])
{
    return maso_cli_model_open_precision(option_dir, MASO_PRECISION_FP32,
                                         model, dir, err);
}

int maso_cli_model_open_precision(const char *option_dir,
                                  maso_model_precision precision,
                                  maso_model **model, char *dir,
                                  char err[MASO_CLI_ERRLEN])
{
    char local[PATH_MAX], param[PATH_MAX + 64], bin[PATH_MAX + 64];
    char *where = dir ? dir : local;
    *model = NULL;
    int rc = maso_cli_model_locate(option_dir, where, PATH_MAX, err);
    if (rc)
        return rc;
    snprintf(param, sizeof param, "%s/%s.param", where, MASO_CLI_MODEL_NAME);
    snprintf(bin, sizeof bin, "%s/%s.bin", where, MASO_CLI_MODEL_NAME);
    maso_model *m = NULL;
    rc = maso_model_create(&m);
    if (rc) {
        snprintf(err, MASO_CLI_ERRLEN, "%s", maso_strerror(rc));
        return rc;
    }
    rc = maso_model_set_precision(m, precision);
    if (rc == 0)
        rc = maso_model_load(m, param, bin);
    if (rc) {
        snprintf(err, MASO_CLI_ERRLEN, "%s", maso_model_errmsg(m));
        maso_model_destroy(m);
        return rc;
    }
    *model = m;
    return 0;
}
