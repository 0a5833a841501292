/* tap.h: the small TAP harness every unit test uses.
 *
 * TEST(name) defines a test; main() comes from TAP_MAIN(). ASSERT_* print the failing expression with
 * file:line and fail the current test without stopping the others. A test binary exits 0 when all
 * passed, 1 otherwise, 77 when it skipped (SKIP_ALL). */
#pragma once

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*TapFn)(void);
typedef struct TapTest {
        const char *name;
        TapFn fn;
} TapTest;

extern TapTest tap_tests[];
extern size_t tap_n_tests;
extern bool tap_failed;
extern unsigned tap_checks;

#define TAP_MAX_TESTS 256

#define TEST(name)                                                                                          \
        static void test_##name(void);                                                                      \
        __attribute__((constructor)) static void tap_register_##name(void)                                  \
        {                                                                                                   \
                if (tap_n_tests < TAP_MAX_TESTS)                                                            \
                        tap_tests[tap_n_tests++] = (TapTest){ #name, test_##name };                         \
        }                                                                                                   \
        static void test_##name(void)

#define TAP_FAIL(...)                                                                                       \
        do {                                                                                                \
                printf("#   %s:%d: ", __FILE__, __LINE__);                                                  \
                printf(__VA_ARGS__);                                                                        \
                printf("\n");                                                                               \
                tap_failed = true;                                                                          \
        } while (0)

#define ASSERT_TRUE(e)                                                                                      \
        do {                                                                                                \
                tap_checks++;                                                                               \
                if (!(e))                                                                                   \
                        TAP_FAIL("assertion failed: %s", #e);                                               \
        } while (0)

#define ASSERT_OK(e)                                                                                        \
        do {                                                                                                \
                long long _r = (long long)(e);                                                              \
                tap_checks++;                                                                               \
                if (_r < 0)                                                                                 \
                        TAP_FAIL("%s failed: %lld", #e, _r);                                                \
        } while (0)

#define ASSERT_EQ(a, b)                                                                                     \
        do {                                                                                                \
                long long _a = (long long)(a), _b = (long long)(b);                                         \
                tap_checks++;                                                                               \
                if (_a != _b)                                                                               \
                        TAP_FAIL("%s == %s: %lld != %lld", #a, #b, _a, _b);                                 \
        } while (0)

#define ASSERT_STREQ(a, b)                                                                                  \
        do {                                                                                                \
                const char *_a = (a), *_b = (b);                                                            \
                tap_checks++;                                                                               \
                if (!_a || !_b || strcmp(_a, _b) != 0)                                                      \
                        TAP_FAIL("%s == %s: \"%s\" != \"%s\"", #a, #b, _a ? _a : "(null)",                  \
                                 _b ? _b : "(null)");                                                       \
        } while (0)

#define ASSERT_CONTAINS(hay, needle)                                                                        \
        do {                                                                                                \
                const char *_h = (hay), *_n = (needle);                                                     \
                tap_checks++;                                                                               \
                if (!_h || !_n || !strstr(_h, _n))                                                          \
                        TAP_FAIL("\"%s\" does not contain \"%s\"", _h ? _h : "(null)", _n ? _n : "(null)"); \
        } while (0)

#define SKIP_ALL(why)                                                                                       \
        do {                                                                                                \
                printf("1..0 # SKIP %s\n", why);                                                            \
                exit(77);                                                                                   \
        } while (0)

#define TAP_MAIN()                                                                                          \
        TapTest tap_tests[TAP_MAX_TESTS];                                                                   \
        size_t tap_n_tests;                                                                                 \
        bool tap_failed;                                                                                    \
        unsigned tap_checks;                                                                                \
        int main(void)                                                                                      \
        {                                                                                                   \
                unsigned failed = 0;                                                                        \
                printf("1..%zu\n", tap_n_tests);                                                            \
                for (size_t i = 0; i < tap_n_tests; i++) {                                                  \
                        tap_failed = false;                                                                 \
                        unsigned before = tap_checks;                                                       \
                        tap_tests[i].fn();                                                                  \
                        if (tap_checks == before) {                                                         \
                                printf("#   test asserted nothing\n");                                      \
                                tap_failed = true;                                                          \
                        }                                                                                   \
                        printf("%s %zu - %s\n", tap_failed ? "not ok" : "ok", i + 1, tap_tests[i].name);    \
                        failed += tap_failed;                                                               \
                }                                                                                           \
                return failed ? 1 : 0;                                                                      \
        }

/* Reads a whole file for test data; aborts the test binary if it is missing, so data problems fail. */
static inline char *tap_slurp(const char *path)
{
        FILE *f = fopen(path, "re");
        if (!f) {
                printf("Bail out! cannot open test data %s\n", path);
                exit(1);
        }
        fseek(f, 0, SEEK_END);
        long n = ftell(f);
        fseek(f, 0, SEEK_SET);
        char *buf = malloc((size_t)n + 1);
        if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
                printf("Bail out! cannot read %s\n", path);
                exit(1);
        }
        buf[n] = '\0';
        fclose(f);
        return buf;
}
