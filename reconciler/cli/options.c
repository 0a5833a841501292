/* options.c: the verbs' option tables parsed with getopt_long, and their help written from them. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

CliListing *cli_listing;

void cli_list_verb(int (*run)(int argc, char **argv), const char *name, CliListing *hook)
{
        char *args[] = { (char *)name, (char *)"--help", NULL };
        cli_listing = hook;
        run(2, args);
        cli_listing = NULL;
}

/* getopt_long's value for the i-th option of a table: above every character. */
#define OPT_BASE 0x1000

static size_t count(const CliOption *opts)
{
        size_t n = 0;
        while (opts[n].kind != CLI_OPT_END)
                n++;
        return n;
}

void cli_list_done(CliList *l)
{
        free(l->v);
        *l = (CliList){ 0 };
}

static int list_push(CliList *l, const char *s)
{
        const char **v = realloc(l->v, (l->n + 2) * sizeof(*v));
        if (!v)
                return -ENOMEM;
        l->v = v;
        v[l->n++] = s;
        v[l->n] = NULL;
        return 0;
}

/* "-f, --file FILE" */
static void left_column(const CliOption *o, char *buf, size_t size)
{
        snprintf(buf, size, "%c%c%s--%s%s%s", o->short_name ? '-' : ' ', o->short_name ? o->short_name : ' ',
                 o->short_name ? ", " : "  ", o->long_name, o->arg ? " " : "", o->arg ? o->arg : "");
}

void cli_help(const CliCommand *cmd, const CliOption *opts, FILE *f)
{
        char left[128];
        fprintf(f, "usage: berth %s [options]%s%s\n\n%s\n\n", cmd->name, cmd->args ? " " : "",
                cmd->args ? cmd->args : "", cmd->about);
        for (const CliOption *o = opts; o->kind != CLI_OPT_END; o++) {
                left_column(o, left, sizeof(left));
                /* A help text of several lines keeps to its column. */
                fprintf(f, "  %-27s", left);
                for (const char *h = o->help; *h; h++) {
                        fputc(*h, f);
                        if (*h == '\n')
                                fprintf(f, "%29s", "");
                }
                fputc('\n', f);
        }
        fprintf(f, "  -h, --help                 this help\n\nexit codes: %s\n",
                cmd->exits ? cmd->exits : "0 done, 1 failed, 64 usage error");
}

/* getopt_long found no such option, or one without its argument: said in berth's words, not getopt's. */
static bool usage_error(const CliCommand *cmd, const CliOption *opts, size_t n, int argc, char **argv,
                        int *ret_exit)
{
        const CliOption *want = NULL;
        if (optopt >= OPT_BASE && optopt < OPT_BASE + (int)n)
                want = &opts[optopt - OPT_BASE];
        for (size_t i = 0; i < n && !want && optopt > 0 && optopt < 256; i++)
                if (opts[i].short_name == optopt)
                        want = &opts[i];
        if (want)
                fprintf(stderr, "berth %s: --%s needs an argument: %s\n", cmd->name, want->long_name,
                        want->arg);
        else if (optopt > 0 && optopt < 256)
                fprintf(stderr, "berth %s: unknown option \"-%c\"\n", cmd->name, optopt);
        else
                fprintf(stderr, "berth %s: unknown option \"%s\"\n", cmd->name,
                        optind > 0 && optind <= argc ? argv[optind - 1] : "?");
        fprintf(stderr, "run 'berth %s --help' for its options\n", cmd->name);
        *ret_exit = 64;
        return false;
}

static bool take_number(const CliCommand *cmd, const CliOption *o, const char *arg)
{
        char *end;
        errno = 0;
        long n = strtol(arg, &end, 10);
        if (errno || end == arg || *end || n < o->min || n > o->max) {
                fprintf(stderr, "berth %s: --%s takes a whole number from %ld to %ld, not \"%s\"\n",
                        cmd->name, o->long_name, o->min, o->max, arg);
                return false;
        }
        *(long *)o->value = n;
        return true;
}

static bool take_choice(const CliCommand *cmd, const CliOption *o, const char *arg)
{
        size_t n = strlen(arg);
        for (const char *c = o->choices; *c;) {
                size_t len = strcspn(c, "|");
                if (len == n && strncmp(c, arg, n) == 0) {
                        *(const char **)o->value = arg;
                        return true;
                }
                c += len + (c[len] == '|');
        }
        fprintf(stderr, "berth %s: --%s takes one of %s, not \"%s\"\n", cmd->name, o->long_name, o->choices,
                arg);
        return false;
}

/* One option given, with its argument. */
static bool take(const CliCommand *cmd, const CliOption *o, const char *arg)
{
        switch (o->kind) {
        case CLI_OPT_FLAG:
                *(bool *)o->value = true;
                return true;
        case CLI_OPT_STRING:
                *(const char **)o->value = arg;
                return true;
        case CLI_OPT_LIST:
                if (list_push(o->value, arg) == 0)
                        return true;
                fprintf(stderr, "berth %s: out of memory\n", cmd->name);
                return false;
        case CLI_OPT_NUMBER:
                return take_number(cmd, o, arg);
        case CLI_OPT_CHOICE:
                return take_choice(cmd, o, arg);
        default:
                return true;
        }
}

bool cli_parse(const CliCommand *cmd, const CliOption *opts, int argc, char **argv, int *ret_first,
               int *ret_exit)
{
        size_t n = count(opts);
        struct option *longopts = calloc(n + 2, sizeof(*longopts));
        char *shortopts = malloc(2 * n + 4);
        bool ok = longopts && shortopts;
        int c;

        if (cli_listing) {
                if (cli_listing->whole)
                        cli_listing->whole(cli_listing->ud, cmd, opts);
                for (size_t i = 0; cli_listing->add && i < n; i++)
                        cli_listing->add(cli_listing->ud, cmd, &opts[i]);
                *ret_exit = 0;
                ok = false;
                goto out;
        }
        if (!ok) {
                fprintf(stderr, "berth %s: out of memory\n", cmd->name);
                *ret_exit = 1;
                goto out;
        }
        /* GNU getopt: options may come after the positional arguments too; none after "--". */
        char *s = shortopts;
        for (size_t i = 0; i < n; i++) {
                bool has_arg = opts[i].arg != NULL;
                longopts[i] = (struct option){ opts[i].long_name, has_arg ? required_argument : no_argument,
                                               NULL, OPT_BASE + (int)i };
                if (opts[i].short_name) {
                        *s++ = opts[i].short_name;
                        if (has_arg)
                                *s++ = ':';
                }
        }
        longopts[n] = (struct option){ "help", no_argument, NULL, 'h' };
        *s++ = 'h';
        *s = '\0';

        optind = 1;
        opterr = 0;
        while (ok && (c = getopt_long(argc, argv, shortopts, longopts, NULL)) >= 0) {
                const CliOption *o = NULL;
                if (c == 'h') {
                        cli_help(cmd, opts, stdout);
                        *ret_exit = 0;
                        ok = false;
                        goto out;
                }
                if (c >= OPT_BASE && c < OPT_BASE + (int)n)
                        o = &opts[c - OPT_BASE];
                for (size_t i = 0; i < n && !o && c > 0 && c < 256; i++)
                        if (opts[i].short_name == c)
                                o = &opts[i];
                if (!o || c == '?') {
                        ok = usage_error(cmd, opts, n, argc, argv, ret_exit);
                        goto out;
                }
                if (!take(cmd, o, optarg)) {
                        *ret_exit = 64;
                        ok = false;
                }
        }
        if (ok) {
                size_t given = (size_t)(argc - optind);
                if (given > cmd->max_args) {
                        fprintf(stderr, "berth %s: unexpected argument \"%s\"\n", cmd->name,
                                argv[optind + cmd->max_args]);
                        *ret_exit = 64;
                        ok = false;
                } else if (given < cmd->min_args) {
                        fprintf(stderr, "berth %s: missing arguments: %s\n", cmd->name, cmd->args);
                        *ret_exit = 64;
                        ok = false;
                }
                *ret_first = optind;
        }
out:
        free(longopts);
        free(shortopts);
        return ok;
}
