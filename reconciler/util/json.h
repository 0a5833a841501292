/* json.h: cJSON trees built without a check at each step, and checked once before they leave.
 *
 * cJSON_Add* returns NULL when it cannot allocate, and code that builds a container's spec or a reply
 * of forty fields does not test each one. Instead every cJSON allocation goes through a counter of the
 * failures on this thread; the sticky failure (as curl's dynbuf, and StrBuf here) is seen by
 * json_print() and the emitters, which refuse to write a tree that may have lost a part. The failure
 * stays until json_reset(), which a long-lived thread calls where a new piece of work begins (berth-api,
 * at each request): until then every tree this thread serialises is suspect. */
#pragma once

#include <stdbool.h>

#include <cjson/cJSON.h>

/* cJSON allocations that failed on this thread since json_reset(). */
unsigned json_failures(void);
void json_reset(void);
/* cJSON_Print(Unformatted), or NULL when out of memory now or while a tree was built on this thread
 * (the text would not be the whole tree). */
__attribute__((warn_unused_result)) char *json_print(const cJSON *doc, bool formatted);
/* For tests: the n-th cJSON allocation from now on this thread fails (0: none). */
void json_fail_allocation(unsigned n);
/* Appends item to array, or sets it as object's key: as cJSON_AddItemTo*, but an item that could not be
 * added is freed, not lost (a parent that failed to allocate is NULL; the key may fail to copy). */
bool json_append(cJSON *array, cJSON *item);
bool json_set(cJSON *object, const char *key, cJSON *item);
