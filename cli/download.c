/* download.c -- fetch one file with libcurl, verify its sha256, and only
 * then move it into place, so that a failed or tampered download never
 * leaves a file that looks usable.
 *
 * libcurl (with TLS, HTTP/2, SSH, LDAP and Kerberos behind it: 7 ms of
 * dynamic linking per process) is not linked: the first download loads it
 * by the SONAME of the library the build found (cmake/soname.cmake), as
 * the image decoders load libheif and libjxl (core's
 * base/library_internal.h).  A process that finds its model never maps
 * it. */
#include "maso_cli.h"

/* curl_easy_setopt stays the plain call (not typecheck-gcc.h's checking
 * macro), so that it can be called through the table below. */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The functions called, looked up in MASO_LIBCURL_SONAME once per process
 * and never written again; the library stays loaded. */
#define CURL_FUNCTIONS(X)                                                  \
    X(curl_easy_init) X(curl_easy_setopt) X(curl_easy_perform)             \
    X(curl_easy_cleanup) X(curl_easy_strerror)

static struct curl_api {
    int ready;
    char error[512];
#define MEMBER(f) __typeof__(f) *f;
    CURL_FUNCTIONS(MEMBER)
#undef MEMBER
} curl_table;
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_table_fill(void)
{
    void *lib = dlopen(MASO_LIBCURL_SONAME, RTLD_NOW | RTLD_LOCAL);
    const char *why;

    if (lib != NULL) {
#define LOOKUP(f)                                                          \
        if ((curl_table.f = (__typeof__(f) *)dlsym(lib, #f)) == NULL)      \
            goto fail;
        CURL_FUNCTIONS(LOOKUP)
#undef LOOKUP
        curl_table.ready = 1;
        return;
    }
fail:
    why = dlerror();
    snprintf(curl_table.error, sizeof curl_table.error, "%s",
             why != NULL ? why : "cannot be loaded");
    if (lib != NULL) /* not the library expected: not kept */
        (void)dlclose(lib);
}

struct sink {
    FILE *file;
    maso_sha256 hash;
};

static size_t sink_write(char *data, size_t size, size_t n, void *opaque)
{
    struct sink *s = opaque;
    size_t bytes = size * n;
    maso_sha256_update(&s->hash, data, bytes);
    return fwrite(data, 1, bytes, s->file) == bytes ? bytes : 0;
}

int maso_cli_download(const char *url, const char *path,
                      const char *sha256_hex, char err[MASO_CLI_ERRLEN])
{
    const struct curl_api *lib = &curl_table;
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.part", path) >= (int)sizeof tmp) {
        snprintf(err, MASO_CLI_ERRLEN, "path too long: %s", path);
        return ENAMETOOLONG;
    }
    if (pthread_once(&curl_once, curl_table_fill) != 0 || !lib->ready) {
        snprintf(err, MASO_CLI_ERRLEN, "download of %s needs %s: %s", url,
                 MASO_LIBCURL_SONAME,
                 lib->error[0] ? lib->error : "not loaded");
        return MASO_EUNSUPPORTED;
    }
    struct sink s;
    s.file = fopen(tmp, "wb");
    if (!s.file) {
        int e = errno;
        snprintf(err, MASO_CLI_ERRLEN, "cannot write %s: %s", tmp, strerror(e));
        return e;
    }
    maso_sha256_init(&s.hash);

    CURL *curl = lib->curl_easy_init();
    if (!curl) {
        fclose(s.file);
        unlink(tmp);
        snprintf(err, MASO_CLI_ERRLEN, "cannot start a download of %s", url);
        return ENOMEM;
    }
    char curl_err[CURL_ERROR_SIZE] = "";
    lib->curl_easy_setopt(curl, CURLOPT_URL, url);
    lib->curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    lib->curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
    lib->curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    lib->curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 30L);
    lib->curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, sink_write);
    lib->curl_easy_setopt(curl, CURLOPT_WRITEDATA, &s);
    lib->curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_err);
    CURLcode cc = lib->curl_easy_perform(curl);
    lib->curl_easy_cleanup(curl);
    int close_failed = fclose(s.file) != 0;

    if (cc != CURLE_OK || close_failed) {
        unlink(tmp);
        snprintf(err, MASO_CLI_ERRLEN, "download of %s failed: %s", url,
                 cc != CURLE_OK ? (curl_err[0] ? curl_err : lib->curl_easy_strerror(cc))
                                : "cannot write the file");
        return EIO;
    }
    unsigned char digest[32];
    char hex[65];
    maso_sha256_final(&s.hash, digest);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    if (strcmp(hex, sha256_hex) != 0) {
        unlink(tmp);
        snprintf(err, MASO_CLI_ERRLEN,
                 "download of %s: sha256 %s, expected %s", url, hex, sha256_hex);
        return MASO_ECHECKSUM;
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        snprintf(err, MASO_CLI_ERRLEN, "cannot move %s to %s: %s", tmp, path,
                 strerror(e));
        return e;
    }
    return 0;
}
