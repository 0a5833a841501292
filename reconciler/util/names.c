/* names.c: the stack name rule. */
#include <string.h>

#include "names.h"

int project_name_valid(const char *name)
{
        size_t n = strlen(name);
        if (n == 0 || n > 63)
                return 0;
        if (!((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= '0' && name[0] <= '9')))
                return 0;
        return strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}
