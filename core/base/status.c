/* status.c -- maso_strerror(): the text of every status code. */
#include "maso.h"

#include <string.h>

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
