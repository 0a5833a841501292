/* head.c: the branch head a request reads, fetched from the origin first (head.h). */
#include "head.h"

int sync_head(Api *api, Response *res, char head[41])
{
        BerthError err = { 0 };
        if (writer_sync(api->writer, head, &err) < 0)
                return api_problem(res, 503, "config repo unreachable", NULL, "%s", err.msg);
        return 0;
}

Repo *head_stacks(Api *api, Response *res, char head[41], StackList *stacks)
{
        BerthError err = { 0 };
        if (sync_head(api, res, head))
                return NULL;
        Repo *repo = writer_repo(api->writer);
        if (repo_stacks(repo, head, stacks, NULL, NULL, &err) < 0) {
                api_problem(res, 503, "cannot read the config repo", NULL, "%s", err.msg);
                return NULL;
        }
        return repo;
}
