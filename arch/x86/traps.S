/*
 * Exception entry: a stub per vector pushes a dummy error code where the CPU
 * pushes none, then the vector; the common path saves every register into a
 * struct trap_frame (arch/x86/traps.h) for trap_handler.
 */
    .text

.macro trap_stub vec:req, has_error=0
    .balign 16
trap_\vec:
    .if \has_error == 0
    pushq $0
    .endif
    pushq $\vec
    jmp trap_common
.endm

.irp v, 0,1,2,3,4,5,6,7,9,15,16,18,19,20,22,23,24,25,26,27,28,31
    trap_stub \v
.endr
.irp v, 8,10,11,12,13,14,17,21,29,30
    trap_stub \v, 1
.endr

.macro save_regs
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
.endm

.macro restore_regs
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
.endm

trap_common:
    save_regs
    movq %rsp, %rdi
    cld
    call trap_handler
    restore_regs
    addq $16, %rsp
    iretq

/*
 * Event channel upcall. The interrupted code may be using SSE/x87 (applications
 * are ordinary C), so that state is saved around the handlers, and around a
 * preemption: a preempted thread keeps it on its own stack until it runs again.
 */
    .balign 16
    .globl irq_upcall_entry
irq_upcall_entry:
    pushq $0
    pushq $0xf3
    save_regs
    movq %rsp, %rbx
    andq $-16, %rsp
    subq $512, %rsp
    fxsave (%rsp)
    cld
    leaq idle_halt_insn(%rip), %rax
    cmpq %rax, 17*8(%rbx)      /* did we land on the idle loop's hlt, before it ran? */
    jne 1f
    leaq 17*8(%rbx), %rdi
    call smp_idle_irq_before_hlt
1:  call evtchn_upcall
    call smp_park_point        /* a suspend stops the other VCPUs here */
    movq 17*8(%rbx), %rdi      /* the interrupted rip */
    call sched_preempt_point   /* may switch threads; we come back here later */
    fxrstor (%rsp)
    movq %rbx, %rsp
    restore_regs
    addq $16, %rsp
    iretq

/*
 * The idle halt, interrupts off on entry and on return. sti lets interrupts in only
 * after the next instruction, so one that is pending wakes the hlt rather than
 * landing before it and returning to sleep there (the upcall entry checks).
 */
    .globl idle_halt
idle_halt:
    sti
    .globl idle_halt_insn
idle_halt_insn:
    hlt
    cli
    ret

    .balign 16
    .globl irq_spurious_entry
irq_spurious_entry:
    iretq

    .section .rodata
    .balign 8
    .globl trap_entry_table
trap_entry_table:
.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .quad trap_\v
.endr
