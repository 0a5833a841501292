/* json.c: cJSON's allocations counted per thread (json.h). */
#include <stdlib.h>

#include "json.h"

static _Thread_local unsigned failures, fail_in;

static void *counted_malloc(size_t size)
{
        void *p = NULL;
        if (fail_in == 0 || --fail_in != 0)
                p = malloc(size);
        if (!p)
                failures++;
        return p;
}

/* Before main, and before any thread: cJSON's hooks are one global that its calls read unlocked. */
__attribute__((constructor)) static void json_hooks(void)
{
        cJSON_Hooks h = { .malloc_fn = counted_malloc, .free_fn = free };
        cJSON_InitHooks(&h);
}

unsigned json_failures(void)
{
        return failures;
}

void json_reset(void)
{
        failures = 0;
}

void json_fail_allocation(unsigned n)
{
        fail_in = n;
}

char *json_print(const cJSON *doc, bool formatted)
{
        if (!doc || failures)
                return NULL;
        char *text = formatted ? cJSON_Print(doc) : cJSON_PrintUnformatted(doc);
        if (text && failures) {
                free(text);
                return NULL;
        }
        return text;
}

bool json_append(cJSON *array, cJSON *item)
{
        if (cJSON_AddItemToArray(array, item))
                return true;
        cJSON_Delete(item);
        return false;
}

bool json_set(cJSON *object, const char *key, cJSON *item)
{
        if (cJSON_AddItemToObject(object, key, item))
                return true;
        cJSON_Delete(item);
        return false;
}
