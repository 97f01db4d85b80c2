/*
 * TEMPLATE, NOT RUN HERE. Vector table for the nRF52840: 16 Armv7-M core entries and the 48
 * peripheral interrupts of the part, all to the default handler except SysTick (this template
 * polls its peripherals).
 */
#include <stddef.h>
#include <stdint.h>

extern uint32_t tf_ld_stack_top[];
void cm_reset_handler(void);
void cm_default_handler(void);
void nrf52840_systick_handler(void);

#define EXTERNAL_IRQS 48
#define D cm_default_handler

typedef struct vector_table {
  void *initial_sp;
  void (*core[15])(void);
  void (*irq[EXTERNAL_IRQS])(void);
} vector_table_t;

__attribute__((section(".vectors"), used)) const vector_table_t nrf52840_vectors = {
    tf_ld_stack_top,
    {
        cm_reset_handler, D, D, D, D, D, /* Reset, NMI, HardFault, MemManage, BusFault, UsageFault */
        NULL, NULL, NULL, NULL,          /* reserved */
        D, D, NULL, D,                   /* SVCall, DebugMonitor, reserved, PendSV */
        nrf52840_systick_handler,        /* SysTick */
    },
    {
        D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D,
        D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D,
    },
};
