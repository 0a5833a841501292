/* cmd-completion.c: `berth completion bash|zsh`, a shell completion script made from the verbs' own
 * option tables: each verb is run with the listing hook set, so it hands its table over and stops. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "util/strbuf.h"

typedef struct Listing {
        StrBuf words; /* the current verb's options */
        StrBuf cases; /* "verb:--opt) ...;;" for options that take an argument */
} Listing;

/* What an argument completes to, from its name: files for a FILE, directories for a DIR, the
 * choices of a choice, and nothing for a number or a name. */
static void add_option(void *ud, const CliCommand *cmd, const CliOption *o)
{
        Listing *l = ud;
        char names[128];
        snprintf(names, sizeof(names), "%s:--%s", cmd->name, o->long_name);
        strbuf_addf(&l->words, "%s--%s", l->words.len ? " " : "", o->long_name);
        if (o->short_name) {
                strbuf_addf(&l->words, " -%c", o->short_name);
                snprintf(names + strlen(names), sizeof(names) - strlen(names), "|%s:-%c", cmd->name,
                         o->short_name);
        }
        if (!o->arg)
                return;
        strbuf_addf(&l->cases, "        %s) ", names);
        if (o->kind == CLI_OPT_CHOICE) {
                strbuf_addstr(&l->cases, "COMPREPLY=($(compgen -W \"");
                for (const char *c = o->choices; *c; c++)
                        strbuf_addch(&l->cases, *c == '|' ? ' ' : *c);
                strbuf_addstr(&l->cases, "\" -- \"$cur\")); return;;\n");
        } else if (strstr(o->arg, "DIR") || strcmp(o->arg, "D") == 0)
                strbuf_addstr(&l->cases, "COMPREPLY=($(compgen -d -- \"$cur\")); return;;\n");
        else if (strstr(o->arg, "FILE") || strcmp(o->arg, "OUT") == 0)
                strbuf_addstr(&l->cases, "COMPREPLY=($(compgen -f -- \"$cur\")); return;;\n");
        else
                strbuf_addstr(&l->cases, "COMPREPLY=(); return;;\n");
}

static const CliCommand completion_cmd = {
        .name = "completion",
        .args = "bash|zsh",
        .min_args = 1,
        .max_args = 1,
        .about = "Prints a completion script for the shell, made from every verb's options: source it, or\n"
                 "install it as bash's completions/berth or zsh's _berth.",
};

int cmd_completion(int argc, char **argv)
{
        int first, r;
        const CliOption none[] = { CLI_END };
        if (!cli_parse(&completion_cmd, none, argc, argv, &first, &r))
                return r;
        const char *shell = argv[first];
        if (strcmp(shell, "bash") != 0 && strcmp(shell, "zsh") != 0) {
                fprintf(stderr, "berth completion: no completion for \"%s\": bash or zsh\n", shell);
                return EXIT_USAGE;
        }
        size_t n;
        const Command *cmds = cli_commands(&n);
        _cleanup_strbuf_ StrBuf verbs = STRBUF_INIT, per_verb = STRBUF_INIT;
        Listing l = { STRBUF_INIT, STRBUF_INIT };
        CliListing hook = { .add = add_option, .ud = &l };
        for (size_t i = 0; i < n; i++) {
                strbuf_addf(&verbs, "%s%s", i ? " " : "", cmds[i].name);
                strbuf_reset(&l.words);
                cli_list_verb(cmds[i].run, cmds[i].name, &hook);
                strbuf_addf(&per_verb, "        %s) words=\"%s --help\";;\n", cmds[i].name,
                            strbuf_str(&l.words));
        }
        if (strcmp(shell, "zsh") == 0)
                printf("#compdef berth\nautoload -U +X bashcompinit && bashcompinit\n");
        printf("# berth completion for %s, made by `berth completion %s` from the verbs' option tables.\n"
               "_berth() {\n"
               "        local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} words\n"
               "        if [ \"$COMP_CWORD\" -eq 1 ]; then\n"
               "                COMPREPLY=($(compgen -W \"%s\" -- \"$cur\"))\n"
               "                return\n"
               "        fi\n"
               "        case \"${COMP_WORDS[1]}:$prev\" in\n%s"
               "        esac\n"
               "        case \"${COMP_WORDS[1]}\" in\n%s"
               "        *) return;;\n"
               "        esac\n"
               "        case \"$cur\" in\n"
               "        -*) COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"));;\n"
               "        *) COMPREPLY=($(compgen -f -- \"$cur\"));;\n"
               "        esac\n"
               "}\n"
               "complete -F _berth berth\n",
               shell, shell, strbuf_str(&verbs), strbuf_str(&l.cases), strbuf_str(&per_verb));
        strbuf_done(&l.words);
        strbuf_done(&l.cases);
        return EXIT_DONE;
}
