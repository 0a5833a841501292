/* head.h: the branch head a request reads, fetched from the origin first. */
#pragma once

#include "api.h"
#include "gitops/repo.h"

/* Fetches the branch and returns its head; on failure fills res with a 503 and returns its status. */
int sync_head(Api *api, Response *res, char head[41]);
/* The branch head, fetched, and its stacks; NULL with res filled when the origin cannot be read. */
Repo *head_stacks(Api *api, Response *res, char head[41], StackList *stacks);
