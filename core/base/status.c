/* status.c -- maso_strerror(): the text of every status code, and
 * maso_errmsg_format(): how every handle's message is written. */
#include "maso.h"

#include <stdio.h>
#include <string.h>

int maso_errmsg_vformat(char msg[MASO_ERRMSG_SIZE], int status,
                        const char *fmt, va_list ap)
{
    if (vsnprintf(msg, MASO_ERRMSG_SIZE, fmt, ap) < 0)
        msg[0] = '\0';
    return status;
}

int maso_errmsg_format(char msg[MASO_ERRMSG_SIZE], int status,
                       const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    maso_errmsg_vformat(msg, status, fmt, ap);
    va_end(ap);
    return status;
}

const char *maso_strerror(int status)
{
    switch (status) {
    case MASO_SUCCESS: return "success";
    case MASO_EINVAL_ARG: return "invalid argument";
    case MASO_EFORMAT: return "not an image format maso reads";
    case MASO_ECORRUPT: return "corrupt or truncated image data";
    case MASO_ETOOBIG: return "image too large";
    case MASO_EMODEL: return "malformed model files";
    case MASO_EUNSUPPORTED: return "unsupported model layer or image encoding";
    case MASO_ENOTFOUND: return "not found";
    case MASO_EMISMATCH: return "written by another model or schema version";
    case MASO_ECHECKSUM: return "checksum mismatch";
    case MASO_EDATA: return "inconsistent stored data";
    default: break;
    }
    if (status > 0) {
        /* strerror() is not guaranteed thread-safe, but glibc returns static
         * strings for known errno values, and we only pass those. */
        return strerror(status);
    }
    return "unknown maso error";
}
