/* Reset entry and exception vectors for the lx106 core (call0 ABI, no MMU) on QEMU's
 * xtfpga board. QEMU's -kernel boot stub jumps to _start with a2 = the boot-parameter
 * tag list (command line from -append), which stays in a2 as board_main's argument.
 *
 * Interrupts exist only to end a WAITI (board.c wt_port_wait): a level-1 interrupt
 * (EXCCAUSE 4) clears INTENABLE and returns, so the source stays pending and the code
 * after WAITI finds out what happened by reading the devices. Every other exception
 * is fatal (board_exception). */

    .section .vectors, "ax"
    .align 4096
    .global _vectors
_vectors:
    .org 0x10               /* debug exception */
    j   exc_common
    .org 0x20               /* NMI */
    j   exc_common
    .org 0x30               /* kernel exception */
    j   exc_level1
    .org 0x50               /* user exception (PS.UM = 1: ours) */
    j   exc_level1
    .org 0x70               /* double exception */
    j   exc_common

    .section .text.start, "ax"
    .literal_position
    .literal lit_stack, __stack_top
    .literal lit_vectors, _vectors
    .literal lit_exc_stack, __exc_stack_top
    .literal lit_main, board_main
    .literal lit_exc, board_exception
    .align 4
    .global _start
_start:
    l32r    a1, lit_stack
    l32r    a0, lit_vectors
    wsr     a0, vecbase
    movi    a0, 0x2f        /* PS: INTLEVEL 15 (no interrupts), UM, EXCM clear */
    wsr     a0, ps
    rsync
    l32r    a0, lit_main
    callx0  a0              /* board_main(tags): never returns */
1:  j       1b

    .align 4
exc_level1:                 /* a level-1 interrupt ends a WAITI; anything else is fatal */
    wsr     a0, excsave1
    rsr     a0, exccause
    bnei    a0, 4, exc_fatal
    movi    a0, 0
    wsr     a0, intenable   /* no further interrupts until the next wait arms them */
    rsync
    rsr     a0, excsave1
    rfe

exc_fatal:
    rsr     a0, excsave1
exc_common:
    l32r    a1, lit_exc_stack
    rsr     a2, exccause
    rsr     a3, epc1
    rsr     a4, excvaddr
    l32r    a0, lit_exc
    callx0  a0              /* board_exception(cause, pc, vaddr): resets the board */
2:  j       2b
