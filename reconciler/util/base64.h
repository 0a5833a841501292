/* base64.h: RFC 4648 base64, strict: only canonical text decodes, so that two encodings of one value
 * can never both be accepted. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "strbuf.h"

/* Decodes n characters of unpadded base64 into out (room for n * 3 / 4 bytes); -1 unless canonical. */
ssize_t base64_decode(const char *s, size_t n, unsigned char *out);
/* The padded form: n a multiple of 4, "=" only as the padding its length calls for. */
ssize_t base64_decode_padded(const char *s, size_t n, unsigned char *out);
int base64_encode(StrBuf *sb, const unsigned char *in, size_t n, bool pad);
/* The padded encoding as a new string; url: the URL-safe alphabet ("-" and "_"), as the engine reads
 * its X-Registry-Auth header. NULL when out of memory. */
char *base64_string(const void *in, size_t n, bool url);
