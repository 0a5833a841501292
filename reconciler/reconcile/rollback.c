/* rollback.c: the commit a rollback goes back to. */
#include <errno.h>
#include <string.h>

#include "../modes/modes.h"
#include "rollback.h"

int rollback_previous(EngineClient *c, Repo *repo, const char *stack, char ret[41], BerthError *err)
{
        LiveSet live = { 0 };
        StackList stacks = { 0 };
        const char *deployed = NULL;
        const StackDesc *d;
        int r = deployer_live_all(c, &live, NULL, err);
        for (size_t i = 0; r >= 0 && i < live.n && !deployed; i++)
                if (live.items[i].project && strcmp(live.items[i].project, stack) == 0)
                        deployed = live.items[i].commit;
        if (r < 0 || !deployed) {
                live_done(&live);
                return r < 0 ? r : 1;
        }
        /* The stack's path at the commit deployed: it may have moved since. */
        if ((r = repo_stacks(repo, deployed, &stacks, NULL, NULL, err)) >= 0) {
                if (!(d = stack_list_find(&stacks, stack)))
                        r = error_set(err, -ENOENT, NULL, 0, 0, NULL,
                                      "stack \"%s\" is not in its deployed commit", stack);
                else
                        r = repo_previous_change(repo, deployed, *d->dir ? d->dir : d->file, ret, err);
        }
        stack_list_done(&stacks);
        live_done(&live);
        return r < 0 ? r : 0;
}
