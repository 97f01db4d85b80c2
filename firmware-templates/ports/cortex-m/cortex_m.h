/*
 * The few Armv7-M system registers the bare-metal ports touch (Armv7-M Architecture Reference
 * Manual, System Control Space). Core registers only: nothing vendor specific here.
 */
#ifndef CORTEX_M_H
#define CORTEX_M_H

#include <stdint.h>

#define CM_REG(addr) (*(volatile uint32_t *)(addr))
#define CM_SYST_CSR CM_REG(0xE000E010u)   /* SysTick control and status */
#define CM_SYST_RVR CM_REG(0xE000E014u)   /* SysTick reload value */
#define CM_SYST_CVR CM_REG(0xE000E018u)   /* SysTick current value */
#define CM_SCB_AIRCR CM_REG(0xE000ED0Cu)  /* application interrupt and reset control */
#define CM_SCB_CPACR CM_REG(0xE000ED88u)  /* coprocessor access control (FPU) */
#define CM_DEMCR CM_REG(0xE000EDFCu)      /* debug exception and monitor control */
#define CM_DWT_CTRL CM_REG(0xE0001000u)
#define CM_DWT_CYCCNT CM_REG(0xE0001004u)

#define CM_SYST_CSR_ENABLE 0x1u
#define CM_SYST_CSR_TICKINT 0x2u
#define CM_SYST_CSR_CLKSOURCE 0x4u       /* 1: processor clock */
#define CM_AIRCR_RESET 0x05FA0004u       /* VECTKEY | SYSRESETREQ */
#define CM_CPACR_CP10_CP11_FULL 0x00F00000u

static inline void cm_dsb(void) {
  __asm__ volatile("dsb" ::: "memory");
}

static inline void cm_isb(void) {
  __asm__ volatile("isb" ::: "memory");
}

#endif /* CORTEX_M_H */
