/*
 * First instructions. Xen's ELF notes, the 32-bit PVH entry (PHYS32_ENTRY) that
 * gets us into long mode on early page tables, and the 64-bit PV entry that only
 * exists to tell a legacy `pvh=1` config what is wrong.
 */
#include <xen/elfnote.h>

#define CR0_MP  (1 << 1)
#define CR0_EM  (1 << 2)
#define CR0_TS  (1 << 3)
#define CR0_NE  (1 << 5)
#define CR0_WP  (1 << 16)
#define CR0_PG  (1 << 31)
#define CR4_PAE (1 << 5)
#define CR4_OSFXSR (1 << 9)
#define CR4_OSXMMEXCPT (1 << 10)
#define MSR_EFER 0xc0000080
#define EFER_LME (1 << 8)
#define EFER_NXE (1 << 11)

#define BOOT_STACK_SIZE 16384

/* One Xen note: name "Xen", 4-byte aligned name and descriptor. */
.macro xen_note type:req, desc:vararg
    .pushsection .note.xen, "a", @note
    .balign 4
    .long 2f - 1f
    .long 4f - 3f
    .long \type
1:  .asciz "Xen"
2:  .balign 4
3:  \desc
4:  .balign 4
    .popsection
.endm

    xen_note XEN_ELFNOTE_PHYS32_ENTRY, .long pvh_start32
    /* PV notes: only so a PV build (legacy pvh=1) reaches pv_start64 and explains. */
    xen_note XEN_ELFNOTE_GUEST_OS, .asciz "xenolith"
    xen_note XEN_ELFNOTE_XEN_VERSION, .asciz "xen-3.0"
    xen_note XEN_ELFNOTE_LOADER, .asciz "generic"
    xen_note XEN_ELFNOTE_VIRT_BASE, .quad 0
    xen_note XEN_ELFNOTE_PADDR_OFFSET, .quad 0
    xen_note XEN_ELFNOTE_ENTRY, .quad pv_start64
    xen_note XEN_ELFNOTE_HYPERCALL_PAGE, .quad hypercall_page

    .section .text.boot, "ax"
    .code32
    .globl pvh_start32
pvh_start32:
    /* %ebx = hvm_start_info; paging off; ESP undefined: no push before the stack. */
    cli
    cld
    rdtsc
    movl %eax, boot_tsc
    movl %edx, boot_tsc + 4
    movl %ebx, boot_start_info

    movl $__bss_start, %edi
    movl $__bss_end, %ecx
    subl %edi, %ecx
    shrl $2, %ecx
    xorl %eax, %eax
    rep stosl
    movl $boot_stack + BOOT_STACK_SIZE, %esp

    /* Early tables: the low 4 GiB identity mapped with 2 MiB pages. */
    movl $early_pd, %edi
    movl $0x83, %eax                /* present, writable, 2 MiB */
    movl $2048, %ecx
1:  movl %eax, (%edi)
    addl $0x200000, %eax
    addl $8, %edi
    loop 1b
    movl $early_pd + 3, %eax
    movl %eax, early_pdpt
    addl $4096, %eax
    movl %eax, early_pdpt + 8
    addl $4096, %eax
    movl %eax, early_pdpt + 16
    addl $4096, %eax
    movl %eax, early_pdpt + 24
    movl $early_pdpt + 3, %eax
    movl %eax, early_pml4

    movl %cr4, %eax
    orl $(CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT), %eax
    movl %eax, %cr4
    movl $early_pml4, %eax
    movl %eax, %cr3

    movl $MSR_EFER, %ecx
    rdmsr
    orl $EFER_LME, %eax
    wrmsr
    movl $0x80000001, %eax
    cpuid
    btl $20, %edx                   /* NX available? */
    jnc 3f
    movl $MSR_EFER, %ecx
    rdmsr
    orl $EFER_NXE, %eax
    wrmsr
    movl $1, boot_nx_supported
3:
    movl %cr0, %eax
    andl $~(CR0_EM | CR0_TS), %eax
    orl $(CR0_PG | CR0_WP | CR0_MP | CR0_NE), %eax
    movl %eax, %cr0

    lgdt boot_gdt_ptr
    ljmp $0x08, $start64

    .code64
start64:
    movl $0x10, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %eax, %ss
    xorl %eax, %eax
    movl %eax, %fs
    movl %eax, %gs
    movq $boot_stack + BOOT_STACK_SIZE, %rsp
    xorl %ebp, %ebp
    movl boot_start_info(%rip), %edi
    call kernel_start
4:  hlt
    jmp 4b

    /* PV entry (ring 3, Xen's page tables, %rsi = PV start_info). */
    .globl pv_start64
pv_start64:
    movq $boot_stack + BOOT_STACK_SIZE, %rsp
    xorl %ebp, %ebp
    movq %rsi, %rdi
    call pv_legacy_main
5:  jmp 5b

    /*
     * Filled by Xen: through the MSR on PVH (hypercall.c poisons it first), by the
     * domain builder on PV. No bytes in the file; linker.ld page-aligns it.
     */
    .section .hypercall_page, "ax", @nobits
    .globl hypercall_page
hypercall_page:
    .skip 4096

    .section .rodata
    .balign 16
boot_gdt:
    .quad 0
    .quad 0x00af9a000000ffff        /* 0x08: 64-bit code */
    .quad 0x00cf92000000ffff        /* 0x10: data */
boot_gdt_end:
boot_gdt_ptr:
    .word boot_gdt_end - boot_gdt - 1
    .long boot_gdt

    .data
    .balign 8
    .globl boot_tsc, boot_start_info, boot_nx_supported
boot_tsc:
    .quad 0
boot_start_info:
    .long 0
boot_nx_supported:
    .long 0

    .bss
    .balign 4096
    .globl early_pml4
early_pml4:
    .skip 4096
early_pdpt:
    .skip 4096
early_pd:
    .skip 4 * 4096
    .globl boot_stack
boot_stack:
    .skip BOOT_STACK_SIZE
