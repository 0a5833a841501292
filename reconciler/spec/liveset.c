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
        for (size_t i = 0; i < s->n_records; i++) {
                free(s->records[i].project);
                free(s->records[i].commit);
                free(s->records[i].repo);
        }
        free(s->records);
        free(s->items);
        *s = (LiveSet){ 0 };
}

int live_append(LiveSet *into, LiveSet *from)
{
        /* Both arrays grown before anything moves: a failure leaves each set whole. */
        if (from->n) {
                LiveContainer *v = realloc(into->items, (into->n + from->n) * sizeof(LiveContainer));
                if (!v)
                        return -ENOMEM;
                into->items = v;
        }
        if (from->n_records) {
                LiveRecord *v =
                        realloc(into->records, (into->n_records + from->n_records) * sizeof(LiveRecord));
                if (!v)
                        return -ENOMEM;
                into->records = v;
        }
        if (from->n)
                memcpy(into->items + into->n, from->items, from->n * sizeof(LiveContainer));
        if (from->n_records)
                memcpy(into->records + into->n_records, from->records, from->n_records * sizeof(LiveRecord));
        into->n += from->n;
        into->n_records += from->n_records;
        free(from->items);
        free(from->records);
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
