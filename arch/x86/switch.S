/*
 * context_switch(uint64_t *save_rsp, uint64_t next_rsp): save the callee-saved
 * registers on this stack, park it, and resume the other one. Cooperative
 * switches only, so the SysV callee-saved set (and MXCSR/x87 CW) is all there is.
 */
    .text
    .globl context_switch
context_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    ldmxcsr (%rsp)
    fldcw 4(%rsp)
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret

/* First switch into a new thread lands here, with its struct xenolith_thread in %r12. */
    .globl thread_trampoline
thread_trampoline:
    movq %r12, %rdi
    xorl %ebp, %ebp
    call thread_start
    ud2

/* Secondary VCPUs start here (VCPUOP_initialise): rsp = own stack, rdi = struct cpu. */
    .globl ap_entry64
ap_entry64:
    xorl %ebp, %ebp
    call ap_main
    ud2

/* A VCPU started again in a new domain (smp_restart_cpu): rsp = its idle stack, rdi = struct cpu. */
    .globl ap_restart64
ap_restart64:
    xorl %ebp, %ebp
    call ap_restart_main
    ud2
