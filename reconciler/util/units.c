/* units.c: duration and byte-size parsing. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "units.h"

int units_parse_duration(const char *s, int64_t *ret_ns)
{
        static const struct {
                const char *unit;
                double ns;
        } units[] = { { "ns", 1 },  { "us", 1e3 }, { "µs", 1e3 },  { "ms", 1e6 },
                      { "s", 1e9 }, { "m", 60e9 }, { "h", 3600e9 } };
        double total = 0;

        if (!s || !*s)
                return -EINVAL;
        if (strcmp(s, "0") == 0) {
                *ret_ns = 0;
                return 0;
        }
        while (*s) {
                char *end;
                double v = strtod(s, &end);
                if (end == s || v < 0 || !isfinite(v))
                        return -EINVAL;
                s = end;
                size_t best = 0;
                double mult = 0;
                /* Longest unit first, so "ms" is not read as "m". */
                for (size_t i = 0; i < sizeof(units) / sizeof(*units); i++) {
                        size_t n = strlen(units[i].unit);
                        if (strncmp(s, units[i].unit, n) == 0 && n > best) {
                                best = n;
                                mult = units[i].ns;
                        }
                }
                if (!best)
                        return -EINVAL;
                s += best;
                total += v * mult;
        }
        if (total > 9.2e18)
                return -ERANGE;
        *ret_ns = (int64_t)total;
        return 0;
}

int units_parse_bytes(const char *s, int64_t *ret)
{
        char *end;
        double v, mult = 1;

        if (!s || !*s)
                return -EINVAL;
        v = strtod(s, &end);
        if (end == s || v < 0 || !isfinite(v))
                return -EINVAL;
        switch (*end) {
        case '\0':
                break;
        case 'b':
        case 'B':
                end++;
                break;
        case 'k':
        case 'K':
                mult = 1024.0;
                end++;
                break;
        case 'm':
        case 'M':
                mult = 1024.0 * 1024;
                end++;
                break;
        case 'g':
        case 'G':
                mult = 1024.0 * 1024 * 1024;
                end++;
                break;
        default:
                return -EINVAL;
        }
        if (*end == 'b' || *end == 'B')
                end++;
        if (*end)
                return -EINVAL;
        if (v * mult > 9.2e18)
                return -ERANGE;
        *ret = (int64_t)(v * mult);
        return 0;
}

double units_now_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
