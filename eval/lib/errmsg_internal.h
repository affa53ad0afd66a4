/* errmsg_internal.h -- the shape of the eval readers' error messages.
 * Not public. */
#ifndef MASO_EVAL_ERRMSG_INTERNAL_H
#define MASO_EVAL_ERRMSG_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>

/* Write "<where>: <message>" into buf (cap bytes, always terminated):
 * the shape of every eval reader's error message. */
void meval_format_error(char *buf, size_t cap, const char *where,
                        const char *fmt, va_list ap);

#endif
