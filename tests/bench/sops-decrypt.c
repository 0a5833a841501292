/* sops-decrypt.c: the time berth takes to open one SOPS document in memory (secrets/sops.h), without a
 * process start: N decryptions of FILE with the keys of KEYFILE, the median and the fastest in
 * microseconds. For tests/bench/secrets.py.
 *   sops-decrypt FILE KEYFILE [N] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "secrets/sops.h"
#include "util/fileio.h"

static int cmp(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
        char *doc = NULL, *keys = NULL;
        size_t len = 0, klen = 0;
        AgeIdentities ids = { 0 };
        BerthError err = { 0 };
        int n = argc > 3 ? atoi(argv[3]) : 200;

        if (argc < 3 || n < 1 || file_read(argv[1], 64 << 20, &doc, &len, &err) < 0 ||
            file_read(argv[2], 1 << 20, &keys, &klen, &err) < 0 ||
            age_identities_add(&ids, keys, klen, argv[2], &err) < 0) {
                fprintf(stderr, "usage: sops-decrypt FILE KEYFILE [N] (%s)\n", err.msg);
                return 64;
        }
        double *us = calloc((size_t)n, sizeof(double));
        for (int i = 0; i < n; i++) {
                struct timespec a, b;
                SopsPlain plain = { 0 };
                clock_gettime(CLOCK_MONOTONIC, &a);
                int r = sops_decrypt(sops_format_of(argv[1]), doc, len, argv[1], &ids, &plain, &err);
                clock_gettime(CLOCK_MONOTONIC, &b);
                sops_plain_done(&plain);
                if (r != 1) {
                        fprintf(stderr, "%s: %s\n", argv[1], err.msg);
                        return 1;
                }
                us[i] = (double)(b.tv_sec - a.tv_sec) * 1e6 + (double)(b.tv_nsec - a.tv_nsec) / 1e3;
        }
        qsort(us, (size_t)n, sizeof(double), cmp);
        printf("%.1f %.1f\n", us[n / 2], us[0]);
        free(us);
        free(doc);
        free(keys);
        age_identities_done(&ids);
        return 0;
}
