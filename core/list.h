/* Intrusive doubly linked lists (circular, with a head node). */
#ifndef XENOLITH_LIST_H
#define XENOLITH_LIST_H

#include <stddef.h>

struct list {
    struct list *prev, *next;
};

#define LIST_INIT(name)                                                                            \
    {                                                                                              \
        &(name), &(name)                                                                           \
    }
#define list_entry(p, type, member) ((type *)((char *)(p)-offsetof(type, member)))

static inline void list_init(struct list *l)
{
    l->prev = l->next = l;
}

static inline int list_empty(const struct list *l)
{
    return l->next == l;
}

static inline void list_add_tail(struct list *head, struct list *n)
{
    n->prev = head->prev;
    n->next = head;
    head->prev->next = n;
    head->prev = n;
}

static inline void list_del(struct list *n)
{
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->prev = n->next = n;
}

/* Is n linked into some list? (A removed node points at itself.) */
static inline int list_linked(const struct list *n)
{
    return n->next != n && n->next != NULL;
}

#endif
