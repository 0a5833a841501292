/* spec.h: parsers for compose's short-syntax strings. Pure functions: text in, cJSON long syntax out
 * (owned by the caller), or -EINVAL with a message in errbuf saying what is wrong with the text. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "../util/cleanup.h"

/* "[IP:][HOST[-HOST]:]CONTAINER[-CONTAINER][/PROTO]" into a JSON array of long-syntax ports (a range
 * on both sides expands to one entry per port). */
/* An IPv4 or IPv6 address, as a port's host_ip must be. */
bool spec_ip_valid(const char *ip);
int spec_parse_port(const char *s, cJSON **ret, char *errbuf, size_t errlen);
/* "[SOURCE:]TARGET[:MODE]" into one long-syntax volume. Relative bind sources resolve against basedir;
 * "~" against home. */
int spec_parse_volume(const char *s, const char *basedir, const char *home, cJSON **ret, char *errbuf,
                      size_t errlen);
/* Splits a command line into words as a POSIX shell would (quotes and backslashes; no expansion). */
int spec_split_words(const char *s, cJSON **ret, char *errbuf, size_t errlen);
/* Parses a port or port range "N" / "N-M" (0..65535). */
int spec_parse_range(const char *s, size_t len, unsigned *ret_lo, unsigned *ret_hi);
