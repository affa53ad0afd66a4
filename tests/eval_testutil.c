/* eval_testutil.c -- see eval_testutil.h. */
#include "eval_testutil.h"
#include "png_testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

void eval_test_kodak(const char *name, maso_image *img)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/images/kodak/%s", MASO_SHARED_DIR, name);
    if (png_test_read(path, img) != 0)
        fail_msg("cannot read the Kodak image %s (is ../shared there?)",
                 path);
}

char *eval_test_python(const char *script)
{
    /* fork + exec with argv: no shell, so the script needs no quoting */
    int fd[2];
    assert_int_equal(pipe(fd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fd[1], 1);
        dup2(fd[1], 2);
        close(fd[0]);
        close(fd[1]);
        execl("/usr/bin/python3", "python3", "-c", script, (char *)NULL);
        _exit(127);
    }
    close(fd[1]);
    size_t cap = 1 << 16, used = 0;
    char *out = malloc(cap);
    assert_non_null(out);
    ssize_t got;
    while ((got = read(fd[0], out + used, cap - 1 - used)) > 0)
        used += (size_t)got;
    out[used] = '\0';
    close(fd[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
            fail_msg("cannot run /usr/bin/python3: install python3, "
                     "python3-numpy and python3-skimage");
        if (strstr(out, "No module named") != NULL)
            fail_msg("the reference needs Debian's python3-skimage and "
                     "python3-numpy (see scripts/debian-packages.txt): %s",
                     out);
        fail_msg("/usr/bin/python3 failed: %s", out);
    }
    return out;
}

void eval_test_write(const char *path, const void *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, size, f), size);
    assert_int_equal(fclose(f), 0);
}
