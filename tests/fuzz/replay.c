/* replay.c: runs a fuzz target over every file of a corpus directory, for builds without libFuzzer.
 * Prints TAP: one check for the whole corpus. A file can fail only by crashing or by breaking the
 * property its target asserts (an abort, which the sanitizers turn into a report naming the input), so
 * a check per file would count thousands of tests where there is one. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int by_name(const struct dirent **a, const struct dirent **b)
{
        return strcmp((*a)->d_name, (*b)->d_name);
}

int main(int argc, char **argv)
{
        struct dirent **names;
        int n;

        if (argc != 2) {
                fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
                return 64;
        }
        n = scandir(argv[1], &names, NULL, by_name);
        if (n < 0) {
                printf("Bail out! cannot read corpus %s\n", argv[1]);
                return 1;
        }
        int files = 0, unread = 0;
        printf("1..1\n");
        fflush(stdout);
        for (int i = 0; i < n; i++) {
                if (names[i]->d_name[0] == '.') {
                        free(names[i]);
                        continue;
                }
                char path[4096];
                snprintf(path, sizeof(path), "%s/%s", argv[1], names[i]->d_name);
                FILE *f = fopen(path, "re");
                uint8_t *buf = NULL;
                long len = 0;
                if (f && fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
                    (buf = malloc((size_t)len + 1)) && fread(buf, 1, (size_t)len, f) == (size_t)len) {
                        /* Named first, so that a crash's report follows the input that caused it. */
                        fprintf(stderr, "%s\n", names[i]->d_name);
                        LLVMFuzzerTestOneInput(buf, (size_t)len);
                        files++;
                } else {
                        printf("# cannot read %s\n", path);
                        unread++;
                }
                if (f)
                        fclose(f);
                free(buf);
                free(names[i]);
        }
        free(names);
        if (unread || !files)
                printf("not ok 1 - %s: %d inputs replayed, %d unreadable\n", argv[1], files, unread);
        else
                printf("ok 1 - %s: all %d inputs replayed, no crash, no property broken\n", argv[1], files);
        return 0;
}
