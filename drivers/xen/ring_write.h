/* Writing into a console-style byte ring; shared by the PVH console and the PV stub. */
#ifndef XENOLITH_RING_WRITE_H
#define XENOLITH_RING_WRITE_H

#include <stddef.h>
#include <stdint.h>
#include <xen/io/console.h>

/*
 * Copy as much of s[0..n) into the out ring as fits, turning "\n" into "\r\n".
 * Returns bytes of s consumed, or -1 if the indices are impossible (the backend
 * moved out_cons outside [out_prod - size, out_prod]).
 */
static inline long xencons_ring_put(struct xencons_interface *r, const char *s, size_t n,
                                    int *pending_cr)
{
    uint32_t cons = __atomic_load_n(&r->out_cons, __ATOMIC_ACQUIRE);
    uint32_t prod = r->out_prod;
    size_t done = 0;

    if (prod - cons > sizeof(r->out))
        return -1;
    while (done < n && prod - cons < sizeof(r->out)) {
        char c = s[done];
        if (c == '\n' && !*pending_cr) {
            r->out[MASK_XENCONS_IDX(prod++, r->out)] = '\r';
            *pending_cr = 1;
            continue;
        }
        r->out[MASK_XENCONS_IDX(prod++, r->out)] = c;
        *pending_cr = 0;
        done++;
    }
    __atomic_store_n(&r->out_prod, prod, __ATOMIC_RELEASE);
    return (long)done;
}

#endif
