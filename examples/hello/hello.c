/* hello: the smallest xenolith app. Prints its arguments and a float, exercises
 * malloc, and exits 0 (which powers the domain off). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    printf("Hello from xenolith\n");
    printf("argc=%d\n", argc);
    for (int i = 0; i < argc; i++)
        printf("argv[%d]=\"%s\"\n", i, argv[i]);
    printf("pi=%f e=%.3e\n", 3.14159265358979, 2.718281828);

    /* 10,000 allocations of varied sizes, each filled and checked before freeing. */
    void *keep[64] = {0};
    for (int i = 0; i < 10000; i++) {
        size_t n = (size_t)(i * 7919 % 4096) + 1;
        int slot = i % 64;
        if (keep[slot]) {
            unsigned char *p = keep[slot];
            if (p[0] != (unsigned char)(slot + 1)) {
                printf("malloc: corruption in slot %d\n", slot);
                return 1;
            }
            free(keep[slot]);
        }
        keep[slot] = malloc(n);
        if (!keep[slot]) {
            printf("malloc: out of memory at %d\n", i);
            return 1;
        }
        memset(keep[slot], slot + 1, n);
    }
    for (int i = 0; i < 64; i++)
        free(keep[i]);
    printf("malloc: 10000 allocations ok\n");
    return 0;
}
