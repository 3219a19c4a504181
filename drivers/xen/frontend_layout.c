/* Queue and ring layout of a frontend's (re)connect (frontend_layout.h). */
#include "drivers/xen/frontend_layout.h"

unsigned int frontend_layout_queues(unsigned int want, unsigned long offer, unsigned int room)
{
    unsigned long n = want ? want : 1;
    if (n > offer)
        n = offer;
    if (n > room)
        n = room;
    return n ? (unsigned int)n : 1;
}

unsigned int frontend_layout_order(unsigned long offer, unsigned int ours, int wish)
{
    unsigned long o = offer < ours ? offer : ours;
    if (wish >= 0 && (unsigned long)wish < o)
        o = (unsigned long)wish;
    return (unsigned int)o;
}

int frontend_layout_cpu(unsigned int index, unsigned int ncpus, int (*online)(int id, void *arg),
                        void *arg)
{
    if (index < ncpus && online((int)index, arg))
        return (int)index;
    unsigned int up = 0;
    for (unsigned int id = 0; id < ncpus; id++)
        up += online((int)id, arg) ? 1 : 0;
    if (!up)
        return -1;
    /* The (index mod up)-th online VCPU. */
    unsigned int k = index % up;
    for (unsigned int id = 0; id < ncpus; id++)
        if (online((int)id, arg) && k-- == 0)
            return (int)id;
    return -1;
}

unsigned int frontend_layout_target(unsigned int index, unsigned int nqueues)
{
    if (!nqueues)
        return 0;
    return index < nqueues ? index : index % nqueues;
}
