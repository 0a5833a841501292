/* cmd-secrets.c: `berth secrets encrypt|decrypt|edit`, SOPS files with age keys for people. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "secrets/keys.h"
#include "secrets/files.h"
#include "util/fileio.h"

extern char **environ;

static const CliCommand secrets_cmd = {
        .name = "secrets",
        .args = "encrypt|decrypt|edit FILE",
        .min_args = 2,
        .max_args = 2,
        .about = "SOPS files with age keys, as the sops tool reads and writes them; the format follows the\n"
                 "file's extension (.yaml/.yml, .json, .env, .ini; anything else is one binary value).\n\n"
                 "  encrypt   encrypt FILE to the recipients of --age, or else of the first creation_rules\n"
                 "            entry of .sops.yaml (searched from FILE's directory up) whose path_regex\n"
                 "            matches; prints the document, or with -i replaces FILE\n"
                 "  decrypt   print FILE's plain text (or write it to OUT, mode 0600)\n"
                 "  edit      open the plain text in $EDITOR (a 0600 file on tmpfs) and encrypt it again,\n"
                 "            keeping the recipients and the rules of the file\n\n"
                 "Keys: SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, then ~/.config/sops/age/keys.txt; make one with\n"
                 "age-keygen (Debian's age package).",
};

/* ---- the subcommands ---- */

static int do_encrypt(const char *file, const CliList *recipients, bool in_place)
{
        _cleanup_free_ char *doc = NULL;
        size_t doc_len = 0;
        BerthError err = { 0 };
        int r = sops_encrypt_file(file, (char *const *)recipients->v, recipients->n, &doc, &doc_len, &err);
        if (r < 0)
                return cli_report_error(&err, r, "berth secrets encrypt");
        if (in_place) {
                struct stat st;
                r = file_replace_at(AT_FDCWD, file, doc, doc_len,
                                    stat(file, &st) == 0 ? st.st_mode & 07777 : 0644);
                return r < 0 ? cli_report_error(NULL, r, file) : EXIT_DONE;
        }
        return fd_write_all(STDOUT_FILENO, doc, doc_len) < 0 ? EXIT_FAILED : EXIT_DONE;
}

static int do_decrypt(const char *file, const AgeIdentities *ids, const char *out)
{
        _cleanup_(sops_plain_done) SopsPlain plain = { 0 };
        BerthError err = { 0 };
        int r;

        if ((r = sops_read_file(file, ids, &plain, &err)) < 0)
                return cli_report_error(&err, r, "berth secrets decrypt");
        if (out) {
                r = file_replace_at(AT_FDCWD, out, plain.data, plain.len, 0600);
                return r < 0 ? cli_report_error(NULL, r, out) : EXIT_DONE;
        }
        return fd_write_all(STDOUT_FILENO, plain.data, plain.len) < 0 ? EXIT_FAILED : EXIT_DONE;
}

/* Runs $EDITOR (else vi) on path, as sops runs it: the variable may hold arguments. */
static int run_editor(const char *path)
{
        const char *editor = getenv("EDITOR");
        pid_t pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                execl("/bin/sh", "sh", "-c", "exec ${EDITOR:-vi} \"$1\"", "sh", path, (char *)NULL);
                _exit(127);
        }
        int status;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                fprintf(stderr, "berth secrets edit: %s exited with an error; the file is unchanged\n",
                        editor && *editor ? editor : "vi");
                return -ECANCELED;
        }
        return 0;
}

static int editor_cb(void *ud, const char *path)
{
        return run_editor(path);
}

static int do_edit(const char *file, const AgeIdentities *ids)
{
        BerthError err = { 0 };
        bool unchanged;
        int r = sops_edit_file(file, ids, editor_cb, NULL, &unchanged, &err);
        if (r == -ECANCELED)
                return EXIT_FAILED; /* the editor's failure is said already */
        if (r < 0)
                return cli_report_error(&err, r, "berth secrets edit");
        if (unchanged)
                fprintf(stderr, "berth secrets edit: %s is unchanged\n", file);
        return EXIT_DONE;
}

int cmd_secrets(int argc, char **argv)
{
        _cleanup_(age_identities_done) AgeIdentities ids = { 0 };
        _cleanup_envmap_ EnvMap env;
        CliList recipients = { 0 };
        const char *out = NULL;
        bool in_place = false;
        int first, r;
        const CliOption opts[] = {
                CLI_LIST('a', "age", "RECIPIENT", &recipients, "encrypt: to this age recipient (repeat)"),
                CLI_FLAG('i', "in-place", &in_place, "encrypt: replace FILE"),
                CLI_STRING('o', "output", "OUT", &out, "decrypt: write the plain text to OUT (mode 0600)"),
                CLI_END,
        };

        envmap_init(&env);
        if (!cli_parse(&secrets_cmd, opts, argc, argv, &first, &r)) {
                cli_list_done(&recipients);
                return r;
        }
        const char *verb = argv[first], *file = argv[first + 1];
        if (strcmp(verb, "encrypt") == 0) {
                r = do_encrypt(file, &recipients, in_place);
                cli_list_done(&recipients);
                return r;
        }
        cli_list_done(&recipients);
        if (strcmp(verb, "decrypt") != 0 && strcmp(verb, "edit") != 0) {
                fprintf(stderr, "berth secrets: unknown verb \"%s\": use encrypt, decrypt or edit\n", verb);
                return EXIT_USAGE;
        }
        if (envmap_from_environ(&env, environ) < 0)
                return cli_report_error(NULL, -ENOMEM, "berth secrets");
        if ((r = cli_load_keys(&env, &ids)) != EXIT_DONE)
                return r;
        return strcmp(verb, "decrypt") == 0 ? do_decrypt(file, &ids, out) : do_edit(file, &ids);
}
