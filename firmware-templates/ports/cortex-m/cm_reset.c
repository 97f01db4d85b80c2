/*
 * Reset handler shared by the bare-metal Cortex-M ports: enable the FPU, copy .data from its
 * load address, zero .bss, run main(). The linker script of each port defines the tf_ld_*
 * symbols; its startup.c holds the vector table that points here.
 */
#include "cortex_m.h"

#include <stdint.h>

extern uint32_t tf_ld_data_load[];
extern uint32_t tf_ld_data_start[];
extern uint32_t tf_ld_data_end[];
extern uint32_t tf_ld_bss_start[];
extern uint32_t tf_ld_bss_end[];

int main(void);
void cm_reset_handler(void);
void cm_default_handler(void);

void cm_reset_handler(void) {
  volatile uint32_t *src = tf_ld_data_load;
  volatile uint32_t *dst = tf_ld_data_start;

#if defined(__ARM_FP)
  /* the FPU must be on before any floating-point instruction (hard-float ABI) */
  CM_SCB_CPACR |= CM_CPACR_CP10_CP11_FULL;
  cm_dsb();
  cm_isb();
#endif
  while (dst < tf_ld_data_end) {
    *dst++ = *src++;
  }
  for (dst = tf_ld_bss_start; dst < tf_ld_bss_end;) {
    *dst++ = 0;
  }
  (void)main();
  for (;;) {
  }
}

/* Unexpected exceptions and interrupts stop here (a debugger shows which in IPSR). */
void cm_default_handler(void) {
  for (;;) {
  }
}
