/*
 * The smallest app that prints: puts only, no formatted output, so it links no
 * printf and no floating point (make size reports it beside hello; boot-test checks
 * what it prints and that the image carries no formatter of newlib's or ours).
 */
#include <stdio.h>

int main(void)
{
    puts("Hello from xenolith (puts)");
    return 0;
}
