/* liveset.c: a set of live units. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "liveset.h"

void live_done(LiveSet *s)
{
        for (size_t i = 0; i < s->n; i++) {
                LiveContainer *c = &s->items[i];
                free(c->id);
                free(c->name);
                free(c->project);
                free(c->service);
                free(c->hash);
                free(c->state);
                free(c->status);
                free(c->commit);
                free(c->repo);
                cJSON_Delete(c->raw);
        }
        free(s->items);
        *s = (LiveSet){ 0 };
}

int live_append(LiveSet *into, LiveSet *from)
{
        if (!from->n)
                return 0;
        LiveContainer *v = realloc(into->items, (into->n + from->n) * sizeof(LiveContainer));
        if (!v)
                return -ENOMEM;
        memcpy(v + into->n, from->items, from->n * sizeof(LiveContainer));
        into->items = v;
        into->n += from->n;
        free(from->items);
        *from = (LiveSet){ 0 };
        return 0;
}

LiveContainer *live_find(LiveSet *s, const char *service, unsigned number)
{
        for (size_t i = 0; i < s->n; i++)
                if (!s->items[i].oneoff && s->items[i].service &&
                    strcmp(s->items[i].service, service) == 0 && s->items[i].number == number)
                        return &s->items[i];
        return NULL;
}
