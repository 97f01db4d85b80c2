/*
 * Vector table for mps2-an386: the 16 Armv7-M core entries and the 32 external interrupts QEMU
 * wires on this board (UART0 RX/TX are IRQ 0/1). Serialized as a struct so the initial stack
 * pointer needs no cast from object to function pointer.
 */
#include <stddef.h>
#include <stdint.h>

extern uint32_t tf_ld_stack_top[];
void cm_reset_handler(void);
void cm_default_handler(void);
void mps2_systick_handler(void);

#define EXTERNAL_IRQS 32

typedef struct vector_table {
  void *initial_sp;
  void (*core[15])(void);
  void (*irq[EXTERNAL_IRQS])(void);
} vector_table_t;

__attribute__((section(".vectors"), used)) const vector_table_t mps2_vectors = {
    tf_ld_stack_top,
    {
        cm_reset_handler,     /* Reset */
        cm_default_handler,   /* NMI */
        cm_default_handler,   /* HardFault */
        cm_default_handler,   /* MemManage */
        cm_default_handler,   /* BusFault */
        cm_default_handler,   /* UsageFault */
        NULL, NULL, NULL, NULL, /* reserved */
        cm_default_handler,   /* SVCall */
        cm_default_handler,   /* DebugMonitor */
        NULL,                 /* reserved */
        cm_default_handler,   /* PendSV */
        mps2_systick_handler, /* SysTick */
    },
    {
        cm_default_handler, cm_default_handler, cm_default_handler, cm_default_handler, cm_default_handler,
        cm_default_handler, cm_default_handler, cm_default_handler, cm_default_handler, cm_default_handler,
        cm_default_handler, cm_default_handler, cm_default_handler, cm_default_handler, cm_default_handler,
        cm_default_handler, cm_default_handler, cm_default_handler, cm_default_handler, cm_default_handler,
        cm_default_handler, cm_default_handler, cm_default_handler, cm_default_handler, cm_default_handler,
        cm_default_handler, cm_default_handler, cm_default_handler, cm_default_handler, cm_default_handler,
        cm_default_handler, cm_default_handler,
    },
};
