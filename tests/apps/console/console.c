/* Console input: echo each line read from stdin until "quit". dom0 types into the pty. */
#include <stdio.h>
#include <string.h>

int main(void)
{
    char line[256];
    printf("console-test: ready\n");
    fflush(stdout);
    while (fgets(line, sizeof(line), stdin)) {
        line[strcspn(line, "\r\n")] = '\0';
        printf("console-test: echo [%s]\n", line);
        fflush(stdout);
        if (!strcmp(line, "quit"))
            return 0;
    }
    printf("console-test: end of input\n");
    return 1;
}
