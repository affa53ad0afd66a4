/* download.c -- fetch one file with libcurl, verify its sha256, and only
 * then move it into place, so that a failed or tampered download never
 * leaves a file that looks usable. */
#include "maso_cli.h"

#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.part", path) >= (int)sizeof tmp) {
        snprintf(err, MASO_CLI_ERRLEN, "path too long: %s", path);
        return ENAMETOOLONG;
    }
    struct sink s;
    s.file = fopen(tmp, "wb");
    if (!s.file) {
        int e = errno;
        snprintf(err, MASO_CLI_ERRLEN, "cannot write %s: %s", tmp, strerror(e));
        return e;
    }
    maso_sha256_init(&s.hash);

    CURL *curl = curl_easy_init();
    if (!curl) {
        fclose(s.file);
        unlink(tmp);
        snprintf(err, MASO_CLI_ERRLEN, "cannot start a download of %s", url);
        return ENOMEM;
    }
    char curl_err[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, sink_write);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_err);
    CURLcode cc = curl_easy_perform(curl);
    curl_easy_cleanup(curl);
    int close_failed = fclose(s.file) != 0;

    if (cc != CURLE_OK || close_failed) {
        unlink(tmp);
        snprintf(err, MASO_CLI_ERRLEN, "download of %s failed: %s", url,
                 cc != CURLE_OK ? (curl_err[0] ? curl_err : curl_easy_strerror(cc))
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
