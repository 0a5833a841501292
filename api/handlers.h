/* handlers.h: the route handlers, and what they share, for the route table in routes.c. */
#pragma once

#include "api.h"
#include "gitops/repo.h"
#include "template/render.h"

/* The definition name, the repo's own (templates/ at head) before a built-in one; -ENOENT if none. */
int definition_find(Api *api, Repo *repo, const char *head, const char *name, Definition **ret,
                    BerthError *err);
bool stack_exists(Repo *repo, const char *head, const char *name);

int get_definitions(Api *api, Request *req, Response *res);
int get_stacks(Api *api, Request *req, Response *res);
int get_stack(Api *api, Request *req, Response *res);
int get_history(Api *api, Request *req, Response *res);
int get_images(Api *api, Request *req, Response *res);
int post_restart(Api *api, Request *req, Response *res);
int get_page(Api *api, Request *req, Response *res);
int get_ui_file(Api *api, Request *req, Response *res);
int get_session(Api *api, Request *req, Response *res);
int get_logs(Api *api, Request *req, Response *res);
int post_stacks(Api *api, Request *req, Response *res);
int put_stack(Api *api, Request *req, Response *res);
int patch_stack(Api *api, Request *req, Response *res);
int delete_stack(Api *api, Request *req, Response *res);
int post_revert(Api *api, Request *req, Response *res);
