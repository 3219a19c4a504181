/*
 * Console multiplexer. Under Xen, early output collects in a log that is replayed
 * onto the PV ring once it is up (port 0xe9 gets it if boot dies first); without
 * Xen it goes to port 0xe9 (QEMU's debugcon) and COM1. A spinlock keeps lines from
 * different VCPUs whole.
 */
#include "core/kernel.h"
#include "core/console.h"
#include "core/spinlock.h"
#include "core/sched.h"
#include "arch/x86/x86.h"

#define COM1         0x3f8
#define MAX_BACKENDS 3

#define EARLY_LOG_SIZE 4096

static const struct console_backend *backends[MAX_BACKENDS];
/* Output before the PV ring is up, replayed onto it so the guest console has it all. */
static char early_log[EARLY_LOG_SIZE];
static size_t early_len;
static int early_logging = 1;
static int nbackends;
static spinlock_t console_lock = SPINLOCK_INIT;
static int panic_mode;
static struct mutex console_mutex =
    MUTEX_INIT(console_mutex); /* crash reporting: the lock holder may be the one that faulted */

/* One string instruction: under Xen each port write traps, a REP OUTSB traps once. */
static void debugcon_write(const char *s, size_t n, int can_sleep)
{
    __asm__ volatile("rep outsb" : "+S"(s), "+c"(n) : "d"(0xe9) : "memory");
}

static void com1_putc(char c)
{
    for (int spin = 0; spin < 100000 && !(inb(COM1 + 5) & 0x20); spin++)
        cpu_relax();
    outb(COM1, (uint8_t)c);
}

static void com1_write(const char *s, size_t n, int can_sleep)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n')
            com1_putc('\r');
        com1_putc(s[i]);
    }
}

static void com1_init(void)
{
    outb(COM1 + 1, 0x00); /* no interrupts */
    outb(COM1 + 3, 0x80); /* DLAB */
    outb(COM1 + 0, 0x01); /* 115200 baud */
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03); /* 8N1 */
    outb(COM1 + 2, 0xc7); /* FIFO */
}

static long com1_read(char *buf, size_t n)
{
    size_t got = 0;
    while (got == 0) {
        while (got < n && (inb(COM1 + 5) & 0x01))
            buf[got++] = (char)inb(COM1);
        if (got == 0)
            xenolith_thread_yield();
    }
    return (long)got;
}

static const struct console_backend debugcon = {"debugcon", debugcon_write, NULL};
static const struct console_backend com1 = {"com1", com1_write, com1_read};

/*
 * On Xen, early output only collects in early_log for the PV ring (each trap to
 * the debug port costs a VM exit): 0xe9 gets it when a panic comes first or the
 * log fills up.
 */
static void early_to_debugcon(void)
{
    if (nbackends == 0) {
        backends[nbackends++] = &debugcon;
        debugcon_write(early_log, early_len, 0);
    }
}

void console_init_early(int on_xen)
{
    nbackends = 0;
    if (!on_xen) {
        backends[nbackends++] = &debugcon;
        com1_init();
        backends[nbackends++] = &com1;
    }
}

void console_set_ring(const struct console_backend *ring, int keep_debugcon)
{
    uint64_t flags = spin_lock_irqsave(&console_lock);
    nbackends = 0;
    if (keep_debugcon)
        backends[nbackends++] = &debugcon;
    backends[nbackends++] = ring;
    early_logging = 0;
    ring->write(early_log, early_len, 0);
    spin_unlock_irqrestore(&console_lock, flags);
}

void console_panic_mode(void)
{
    panic_mode = 1;
    if (early_logging)
        early_to_debugcon();
}

void console_write(const char *s, size_t n)
{
    if (panic_mode) {
        for (int i = 0; i < nbackends; i++)
            backends[i]->write(s, n, 0);
        return;
    }
    /*
     * Threads take a sleeping lock and may wait for ring space without spinning;
     * interrupt handlers and early boot use the spinlock and poll.
     */
    if (sched_running() && irqs_enabled()) {
        mutex_lock(&console_mutex);
        for (int i = 0; i < nbackends; i++)
            backends[i]->write(s, n, 1);
        mutex_unlock(&console_mutex);
        return;
    }
    uint64_t flags = spin_lock_irqsave(&console_lock);
    if (early_logging) {
        size_t k = MIN(n, EARLY_LOG_SIZE - early_len);
        if (k < n)
            early_to_debugcon(); /* before s joins the log: the loop below writes it */
        __builtin_memcpy(early_log + early_len, s, k);
        early_len += k;
    }
    for (int i = 0; i < nbackends; i++)
        backends[i]->write(s, n, 0);
    spin_unlock_irqrestore(&console_lock, flags);
}

long console_read(char *buf, size_t n)
{
    /* The last backend with input wins: the PV ring once it is up. */
    for (int i = nbackends - 1; i >= 0; i--)
        if (backends[i]->read)
            return backends[i]->read(buf, n);
    return -ENOSYS;
}
