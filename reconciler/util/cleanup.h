/* cleanup.h: scope-bound cleanup helpers and the one place each dependency's handle gets its destructor.
 *
 * Every owned local is declared with a _cleanup_*_ attribute; ownership leaves a scope only through
 * TAKE_PTR(). Destructors here are NULL-safe. */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <cjson/cJSON.h>

#define _cleanup_(f)   __attribute__((cleanup(f)))
#define _unused_       __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))

#define TAKE_PTR(p)                                                                                         \
        __extension__({                                                                                     \
                __typeof__(p) *_pp = &(p);                                                                  \
                __typeof__(p) _p = *_pp;                                                                    \
                *_pp = NULL;                                                                                \
                _p;                                                                                         \
        })

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

static inline void freep(void *p)
{
        free(*(void **)p);
}
#define _cleanup_free_ _cleanup_(freep)

#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)                                                             \
        static inline void func##p(type *p)                                                                 \
        {                                                                                                   \
                if (*p)                                                                                     \
                        func(*p);                                                                           \
        }

DEFINE_TRIVIAL_CLEANUP_FUNC(cJSON *, cJSON_Delete)
#define _cleanup_cjson_ _cleanup_(cJSON_Deletep)

DEFINE_TRIVIAL_CLEANUP_FUNC(FILE *, fclose)
#define _cleanup_fclose_ _cleanup_(fclosep)

static inline void closep(int *fd)
{
        if (*fd >= 0)
                close(*fd);
}
#define _cleanup_close_ _cleanup_(closep)

/* A NULL-terminated vector of owned strings. */
static inline void strv_free(char **v)
{
        if (!v)
                return;
        for (char **i = v; *i; i++)
                free(*i);
        free(v);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, strv_free)
#define _cleanup_strv_free_ _cleanup_(strv_freep)

/* Overflow-checked size arithmetic: returns false on overflow. */
static inline int size_mul(size_t a, size_t b, size_t *ret)
{
        return !__builtin_mul_overflow(a, b, ret);
}
static inline int size_add(size_t a, size_t b, size_t *ret)
{
        return !__builtin_add_overflow(a, b, ret);
}
