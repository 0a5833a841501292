/* replay.c: runs a fuzz target over every file of a corpus directory, for builds without libFuzzer.
 * Prints TAP: one check per file, failing only by crashing (which the sanitizers turn into a report). */
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
        int n, k = 0;

        if (argc != 2) {
                fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
                return 64;
        }
        n = scandir(argv[1], &names, NULL, by_name);
        if (n < 0) {
                printf("Bail out! cannot read corpus %s\n", argv[1]);
                return 1;
        }
        int files = 0;
        for (int i = 0; i < n; i++)
                files += names[i]->d_name[0] != '.';
        printf("1..%d\n", files);
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
                        LLVMFuzzerTestOneInput(buf, (size_t)len);
                        printf("ok %d - %s\n", ++k, names[i]->d_name);
                } else
                        printf("not ok %d - %s: cannot read\n", ++k, names[i]->d_name);
                if (f)
                        fclose(f);
                free(buf);
                free(names[i]);
        }
        free(names);
        return 0;
}
