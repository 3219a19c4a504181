/*
 * lwIP's operating system types on xenolith threads (net/sys_arch.c). Semaphores,
 * mutexes and mailboxes are pointers to objects on the heap, NULL when invalid.
 */
#ifndef XENOLITH_LWIP_SYS_ARCH_H
#define XENOLITH_LWIP_SYS_ARCH_H

#include <stdint.h>

struct sys_sem;
struct sys_mutex;
struct sys_mbox;
struct xenolith_thread;

typedef struct sys_sem *sys_sem_t;
typedef struct sys_mutex *sys_mutex_t;
typedef struct sys_mbox *sys_mbox_t;
typedef struct xenolith_thread *sys_thread_t;
typedef uint64_t sys_prot_t; /* the interrupt flags to restore */

#define SYS_MBOX_NULL NULL
#define SYS_SEM_NULL  NULL

#define sys_sem_valid(s)            (*(s) != NULL)
#define sys_sem_set_invalid(s)      (*(s) = NULL)
#define sys_mutex_valid(m)          (*(m) != NULL)
#define sys_mutex_set_invalid(m)    (*(m) = NULL)
#define sys_mbox_valid(m)           (*(m) != NULL)
#define sys_mbox_set_invalid(m)     (*(m) = NULL)
#define sys_sem_valid_val(s)        ((s) != NULL)
#define sys_sem_set_invalid_val(s)  ((s) = NULL)
#define sys_mbox_valid_val(m)       ((m) != NULL)
#define sys_mbox_set_invalid_val(m) ((m) = NULL)

#endif
