/* read_file.c -- all of a file or a stream in memory, in one buffer grown
 * as it fills: the readers of maso-eval's lists and vectors, maso-query's
 * query image from standard input and the HTML page it appends to.  Sizes
 * are not taken from fstat(), so pipes and files that grow while read work
 * too. */
#include "maso_cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

int maso_cli_read_fd(int fd, char **data, size_t *size)
{
    *data = NULL;
    *size = 0;
    size_t cap = 0, used = 0;
    char *buf = NULL;
    for (;;) {
        if (cap - used < 4096) {
            size_t ncap = cap ? cap * 2 : 65536;
            char *grown = ncap < cap || ncap == SIZE_MAX ? NULL
                                                         : realloc(buf, ncap + 1);
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
    buf[used] = '\0';
    *data = buf;
    *size = used;
    return 0;
}

int maso_cli_read_file(const char *path, char **data, size_t *size)
{
    *data = NULL;
    *size = 0;
    int fd;
    do
        fd = open(path, O_RDONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return errno ? errno : EIO;
    int rc = maso_cli_read_fd(fd, data, size);
    close(fd);
    return rc;
}
