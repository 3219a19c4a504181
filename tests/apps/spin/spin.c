/* Never exits: the suite must cut it with a timeout and carry on. */
#include <stdio.h>

int main(void)
{
    printf("spinning\n");
    for (;;)
        __asm__ volatile("hlt");
}
