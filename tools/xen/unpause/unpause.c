/*
 * dom0 tool for the nested suite: unpause a domain with the hypercall alone.
 * `xl unpause` reads xenstore first (the domain's type), so it cannot unpause a
 * guest while xenstored is stopped, which is what tests/xen/badresume.manifest
 * needs (a restored guest that runs into a xenstore not answering yet).
 *
 *   unpause DOMID
 */
#include <stdio.h>
#include <stdlib.h>
#include <xenctrl.h>

int main(int argc, char **argv)
{
    char *end;
    long domid = argc == 2 ? strtol(argv[1], &end, 10) : -1;
    if (argc != 2 || *end || domid <= 0 || domid >= DOMID_FIRST_RESERVED) {
        fprintf(stderr, "usage: unpause DOMID\n");
        return 2;
    }
    xc_interface *xch = xc_interface_open(NULL, NULL, 0);
    if (!xch) {
        perror("unpause: xc_interface_open");
        return 1;
    }
    int rc = xc_domain_unpause(xch, (uint32_t)domid);
    if (rc < 0)
        perror("unpause: xc_domain_unpause");
    xc_interface_close(xch);
    return rc < 0 ? 1 : 0;
}
