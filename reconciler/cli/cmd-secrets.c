/* cmd-secrets.c: `berth secrets encrypt|decrypt|edit`, SOPS files with age keys for people. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cli.h"
#include "secrets/keys.h"
#include "secrets/files.h"
#include "util/fileio.h"
#include "util/strbuf.h"

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

static int load_keys(AgeIdentities *ids)
{
        EnvMap env;
        BerthError err = { 0 };
        envmap_init(&env);
        int r = envmap_from_environ(&env, environ);
        if (r >= 0)
                r = secrets_keys_load(&env, ids, &err);
        envmap_done(&env);
        return r < 0 ? cli_report_error(&err, r, "berth secrets") : 0;
}

/* ---- the subcommands ---- */

static int do_encrypt(const char *file, const char *age, bool in_place)
{
        _cleanup_(sops_rule_done) SopsRule rule = { 0 };
        _cleanup_free_ char *plain = NULL, *doc = NULL;
        size_t len = 0, doc_len = 0;
        BerthError err = { 0 };
        int r;

        r = age ? sops_rule_add_recipients(&rule, age, &err) : sops_rule_for_file(file, &rule, &err);
        if (r < 0)
                return cli_report_error(&err, r, "berth secrets encrypt");
        if ((r = file_read(file, SOPS_FILE_MAX, &plain, &len, &err)) < 0)
                return cli_report_error(&err, r, "berth secrets encrypt");
        r = sops_encrypt(sops_format_of(file), plain, len, file, &rule.o, &doc, &doc_len, &err);
        OPENSSL_cleanse(plain, len);
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

static int do_decrypt(const char *file, const char *out)
{
        _cleanup_(age_identities_done) AgeIdentities ids = { 0 };
        _cleanup_(sops_plain_done) SopsPlain plain = { 0 };
        BerthError err = { 0 };
        int r;

        if ((r = load_keys(&ids)) != 0)
                return r;
        if ((r = sops_read_file(file, &ids, &plain, &err)) < 0)
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

static int do_edit(const char *file)
{
        _cleanup_(age_identities_done) AgeIdentities ids = { 0 };
        BerthError err = { 0 };
        bool unchanged;
        int r;

        if ((r = load_keys(&ids)) != 0)
                return r;
        r = sops_edit_file(file, &ids, editor_cb, NULL, &unchanged, &err);
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
        _cleanup_strbuf_ StrBuf age = STRBUF_INIT;
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

        if (!cli_parse(&secrets_cmd, opts, argc, argv, &first, &r)) {
                cli_list_done(&recipients);
                return r;
        }
        for (size_t i = 0; i < recipients.n; i++)
                if ((age.len && strbuf_addch(&age, ',') < 0) || strbuf_addstr(&age, recipients.v[i]) < 0) {
                        cli_list_done(&recipients);
                        return cli_report_error(NULL, -ENOMEM, "berth secrets");
                }
        cli_list_done(&recipients);
        const char *verb = argv[first], *file = argv[first + 1];
        if (strcmp(verb, "encrypt") == 0)
                return do_encrypt(file, age.len ? strbuf_str(&age) : NULL, in_place);
        if (strcmp(verb, "decrypt") == 0)
                return do_decrypt(file, out);
        if (strcmp(verb, "edit") == 0)
                return do_edit(file);
        fprintf(stderr, "berth secrets: unknown verb \"%s\": use encrypt, decrypt or edit\n", verb);
        return EXIT_USAGE;
}
