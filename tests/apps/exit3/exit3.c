/* Returns 3: the domain must end crashed (non-zero), QEMU must report 3. */
#include <stdio.h>

int main(void)
{
    printf("exiting with 3\n");
    return 3;
}
