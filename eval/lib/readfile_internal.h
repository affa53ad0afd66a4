/* readfile_internal.h -- slurp a whole file; shared by the eval readers.
 * Not public. */
#ifndef MASO_EVAL_READFILE_INTERNAL_H
#define MASO_EVAL_READFILE_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>

/* Read the file at path into a malloc'ed buffer (*data, owned by the
 * caller, NUL-terminated one byte past *size so text parsers may rely on
 * it).  Returns 0, or the errno of fopen()/fread()/ftell(), or ENOMEM. */
int meval_read_file(const char *path, char **data, size_t *size);

/* Write "<where>: <message>" into buf (cap bytes, always terminated):
 * the shape of every eval reader's error message. */
void meval_format_error(char *buf, size_t cap, const char *where,
                        const char *fmt, va_list ap);

#endif
