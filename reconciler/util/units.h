/* units.h: compose's duration ("1m30s", "500ms") and byte size ("256m", "1.5g") strings. */
#pragma once

#include <stdint.h>

/* Parses a Go-style duration into nanoseconds. */
int units_parse_duration(const char *s, int64_t *ret_ns);
/* Parses a byte size with an optional b/k/m/g suffix (1024-based, as compose) into bytes. */
int units_parse_bytes(const char *s, int64_t *ret);
/* Seconds on the monotonic clock, for durations. */
double units_now_s(void);
