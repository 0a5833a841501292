/* cmd-secrets.c: `berth secrets encrypt|decrypt|edit`, SOPS files with age keys for people. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cli.h"
#include "secrets/keys.h"
#include "secrets/rules.h"
#include "secrets/sops.h"
#include "util/fileio.h"
#include "util/strbuf.h"

#define SECRET_FILE_MAX ((size_t)16 * 1024 * 1024)

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

static int write_all(int fd, const char *data, size_t len)
{
        while (len) {
                ssize_t n = write(fd, data, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return -errno;
                data += n;
                len -= (size_t)n;
        }
        return 0;
}

/* Writes data to path through a temporary file beside it, renamed over it. */
static int replace_file(const char *path, const char *data, size_t len, mode_t mode)
{
        _cleanup_free_ char *tmp = NULL;
        if (asprintf(&tmp, "%s.berth-XXXXXX", path) < 0)
                return -ENOMEM;
        int fd = mkstemp(tmp);
        if (fd < 0)
                return -errno;
        int r = fchmod(fd, mode) < 0 ? -errno : write_all(fd, data, len);
        if (r >= 0 && fsync(fd) < 0)
                r = -errno;
        close(fd);
        if (r >= 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0)
                unlink(tmp);
        return r;
}

/* ---- .sops.yaml ---- */

/* The creation rule for file: from the first .sops.yaml found from its directory up, as sops finds it. */
static int rule_from_config(const char *file, SopsRule *rule, BerthError *err)
{
        _cleanup_free_ char *abs = path_absolute(NULL, file), *dir = NULL;
        if (!abs)
                return -ENOMEM;
        dir = path_dirname(abs);
        while (dir) {
                _cleanup_free_ char *cfg = path_join(dir, ".sops.yaml");
                _cleanup_free_ char *buf = NULL;
                size_t len;
                if (!cfg)
                        return -ENOMEM;
                int r = file_read(cfg, SECRET_FILE_MAX, &buf, &len, err);
                if (r == -ENOENT) {
                        if (err)
                                *err = (BerthError){ 0 };
                        if (strcmp(dir, "/") == 0)
                                break;
                        char *up = path_dirname(dir);
                        free(dir);
                        dir = up;
                        continue;
                }
                if (r < 0)
                        return r;
                const char *rel = abs + strlen(dir) + (strcmp(dir, "/") != 0);
                return sops_rule_find(buf, len, cfg, rel, abs, rule, err);
        }
        return error_set(err, -ENOENT, file, 0, 0, NULL,
                         "no recipient: give --age, or add a .sops.yaml with creation_rules");
}

/* ---- the subcommands ---- */

static int do_encrypt(const char *file, const char *age, bool in_place)
{
        _cleanup_(sops_rule_done) SopsRule rule = { 0 };
        _cleanup_free_ char *plain = NULL, *doc = NULL;
        size_t len = 0, doc_len = 0;
        BerthError err = { 0 };
        int r;

        r = age ? sops_rule_add_recipients(&rule, age, &err) : rule_from_config(file, &rule, &err);
        if (r < 0)
                return cli_report_error(&err, r, "berth secrets encrypt");
        if ((r = file_read(file, SECRET_FILE_MAX, &plain, &len, &err)) < 0)
                return cli_report_error(&err, r, "berth secrets encrypt");
        r = sops_encrypt(sops_format_of(file), plain, len, file, &rule.o, &doc, &doc_len, &err);
        OPENSSL_cleanse(plain, len);
        if (r < 0)
                return cli_report_error(&err, r, "berth secrets encrypt");
        if (in_place) {
                struct stat st;
                r = replace_file(file, doc, doc_len, stat(file, &st) == 0 ? st.st_mode & 07777 : 0644);
                return r < 0 ? cli_report_error(NULL, r, file) : EXIT_DONE;
        }
        return write_all(STDOUT_FILENO, doc, doc_len) < 0 ? EXIT_FAILED : EXIT_DONE;
}

static int open_file(const char *file, const AgeIdentities *ids, SopsPlain *plain, const char *what)
{
        _cleanup_free_ char *buf = NULL;
        size_t len;
        BerthError err = { 0 };
        int r = file_read(file, SECRET_FILE_MAX, &buf, &len, &err);
        if (r >= 0)
                r = sops_decrypt(sops_format_of(file), buf, len, file, ids, plain, &err);
        if (r == 0) {
                error_set(&err, -EINVAL, file, 0, 0, NULL,
                          "this is no SOPS document (it has no sops metadata)");
                r = -EINVAL;
        }
        return r < 0 ? cli_report_error(&err, r, what) : EXIT_DONE;
}

static int do_decrypt(const char *file, const char *out)
{
        _cleanup_(age_identities_done) AgeIdentities ids = { 0 };
        _cleanup_(sops_plain_done) SopsPlain plain = { 0 };
        int r;

        if ((r = load_keys(&ids)) != 0 || (r = open_file(file, &ids, &plain, "berth secrets decrypt")) != 0)
                return r;
        if (out) {
                r = replace_file(out, plain.data, plain.len, 0600);
                return r < 0 ? cli_report_error(NULL, r, out) : EXIT_DONE;
        }
        return write_all(STDOUT_FILENO, plain.data, plain.len) < 0 ? EXIT_FAILED : EXIT_DONE;
}

static bool on_tmpfs(const char *dir)
{
        struct statfs fs;
        return statfs(dir, &fs) == 0 && (fs.f_type == TMPFS_MAGIC || fs.f_type == RAMFS_MAGIC);
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

static int do_edit(const char *file)
{
        _cleanup_(age_identities_done) AgeIdentities ids = { 0 };
        _cleanup_(sops_plain_done) SopsPlain plain = { 0 };
        _cleanup_free_ char *old = NULL, *edited = NULL, *doc = NULL, *dir = NULL, *path = NULL;
        size_t old_len = 0, edited_len = 0, doc_len = 0;
        BerthError err = { 0 };
        struct stat st;
        int r;

        if ((r = load_keys(&ids)) != 0 || (r = open_file(file, &ids, &plain, "berth secrets edit")) != 0)
                return r;
        if ((r = file_read(file, SECRET_FILE_MAX, &old, &old_len, &err)) < 0 || stat(file, &st) < 0)
                return cli_report_error(&err, r < 0 ? r : -errno, "berth secrets edit");
        /* The plain text goes to tmpfs only, in a directory of its own, 0600, gone when the editor is. */
        const char *xdg = getenv("XDG_RUNTIME_DIR");
        const char *base = xdg && *xdg && on_tmpfs(xdg) ? xdg : "/dev/shm";
        if (!on_tmpfs(base)) {
                fprintf(stderr,
                        "berth secrets edit: no tmpfs to edit on (%s); berth writes no plain text to disk\n",
                        base);
                return EXIT_FAILED;
        }
        const char *name = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
        if (asprintf(&dir, "%s/berth-edit-XXXXXX", base) < 0 || !mkdtemp(dir) ||
            asprintf(&path, "%s/%s", dir, name) < 0)
                return cli_report_error(NULL, -errno, "berth secrets edit");
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        r = fd < 0 ? -errno : write_all(fd, plain.data, plain.len);
        if (fd >= 0)
                close(fd);
        if (r >= 0)
                r = run_editor(path);
        if (r >= 0)
                r = file_read(path, SECRET_FILE_MAX, &edited, &edited_len, &err);
        /* Wipe before unlinking: tmpfs pages may be reused. */
        fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0) {
                struct stat es;
                if (fstat(fd, &es) == 0 && es.st_size > 0) {
                        char zero[4096] = { 0 };
                        for (off_t left = es.st_size; left > 0; left -= (off_t)sizeof(zero))
                                if (write(fd, zero,
                                          left < (off_t)sizeof(zero) ? (size_t)left : sizeof(zero)) < 0)
                                        break;
                }
                close(fd);
        }
        unlink(path);
        rmdir(dir);
        if (r == -ECANCELED)
                return EXIT_FAILED;
        if (r < 0)
                return cli_report_error(&err, r, "berth secrets edit");
        if (edited_len == plain.len && CRYPTO_memcmp(edited, plain.data, plain.len) == 0) {
                OPENSSL_cleanse(edited, edited_len);
                fprintf(stderr, "berth secrets edit: %s is unchanged\n", file);
                return EXIT_DONE;
        }
        r = sops_edit(sops_format_of(file), old, old_len, edited, edited_len, file, &ids, &doc, &doc_len,
                      &err);
        OPENSSL_cleanse(edited, edited_len);
        if (r < 0)
                return cli_report_error(&err, r, "berth secrets edit");
        r = replace_file(file, doc, doc_len, st.st_mode & 07777);
        return r < 0 ? cli_report_error(NULL, r, file) : EXIT_DONE;
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
