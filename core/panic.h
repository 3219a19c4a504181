/* Panic, backtraces and the symbol table linked into the image. */
#ifndef XENOLITH_PANIC_H
#define XENOLITH_PANIC_H

#include <stddef.h>
#include <stdint.h>

/* Name of the function containing addr (into name) and the offset into it; -ENOENT. */
int symbol_lookup(uintptr_t addr, char *name, size_t size, uintptr_t *offset);

/* Print "<name+0xoff>" for addr. */
void symbol_print(uintptr_t addr);

/* Walk the frame-pointer chain from rbp, starting with pc. Never faults. */
void backtrace_print(uintptr_t pc, uintptr_t rbp);

/* The same for a trap frame; also names the caller of a frameless leaf function. */
void backtrace_print_trap(uintptr_t pc, uintptr_t rbp, uintptr_t rsp);

/* Enter crash reporting: the console stops taking locks. */
void panic_begin(void);

/* Stop this VCPU because another one panicked: print our backtrace and halt. */
_Noreturn void panic_nmi_stop(void *rbp);
_Noreturn void panic_nmi_stop_frame(uintptr_t rip, uintptr_t rbp, uintptr_t rsp);
int panic_in_progress(void);

/* Stop the other VCPUs, print "xenolith: crashed" and end the domain as crashed. */
_Noreturn void panic_end_domain(void);

#endif
