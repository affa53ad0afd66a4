/* read_file.c -- all of a file or a stream in memory, in one buffer grown
 * as it fills: the model's .param and .bin files, and for the programs
 * maso-eval's lists and vectors, maso-query's query image from standard
 * input and the HTML page it appends to.  Sizes are not taken from fstat(),
 * so pipes and files that grow while read work too; @p max_size bounds
 * what a reader accepts before it allocates more. */
#include "maso.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

int maso_file_read_fd(int fd, size_t max_size, char **data, size_t *size)
{
    *data = NULL;
    *size = 0;
    size_t cap = 0, used = 0;
    char *buf = NULL;
    for (;;) {
        if (cap - used < 4096) {
            if (used > max_size) {
                free(buf);
                return MASO_ETOOBIG;
            }
            size_t ncap = cap ? cap * 2 : 65536;
            char *grown = ncap < cap || ncap == SIZE_MAX
                              ? NULL : realloc(buf, ncap + 1);
            if (!grown) {
                free(buf);
                return ENOMEM;
            }
            buf = grown;
            cap = ncap;
        }
        ssize_t got = read(fd, buf + used, cap - used);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            int rc = errno ? errno : EIO;
            free(buf);
            return rc;
        }
        if (got == 0)
            break;
        used += (size_t)got;
    }
    if (used > max_size) {
        free(buf);
        return MASO_ETOOBIG;
    }
    buf[used] = '\0';
    *data = buf;
    *size = used;
    return 0;
}

int maso_file_read(const char *path, size_t max_size, char **data,
                   size_t *size)
{
    *data = NULL;
    *size = 0;
    int fd;
    do
        fd = open(path, O_RDONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return errno ? errno : EIO;
    int rc = maso_file_read_fd(fd, max_size, data, size);
    close(fd);
    return rc;
}
