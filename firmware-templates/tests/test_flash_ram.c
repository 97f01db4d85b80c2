/* RAM flash twin: NOR semantics and strict contract checks (tf_flash_ram.h). */
#include "tf_test.h"

#include "tinyfleet/tf_flash_ram.h"

#include <string.h>

#define SIZE 2048u
#define PAGE 256u
#define ALIGN 8u

static uint8_t g_mem[SIZE];
static uint8_t g_map[TF_FLASH_RAM_MAP_BYTES(SIZE, ALIGN)];
static tf_flash_ram_t g_ram;
static tf_flash_t g_fl;

static void setup(void) {
  TF_CHECK_OK(tf_flash_ram_init(&g_ram, &g_fl, g_mem, SIZE, PAGE, ALIGN, g_map));
  tf_flash_ram_format(&g_ram);
}

static void erase_sets_ff_program_clears_bits(void) {
  uint8_t a[ALIGN], out[ALIGN];

  setup();
  memset(a, 0xF0, sizeof a);
  TF_CHECK_OK(g_fl.program(g_fl.ctx, 0, a, ALIGN));
  TF_CHECK_OK(g_fl.read(g_fl.ctx, 0, out, ALIGN));
  TF_CHECK_EQ(out[3], 0xF0u);
  TF_CHECK_OK(g_fl.erase(g_fl.ctx, 0));
  TF_CHECK_OK(g_fl.read(g_fl.ctx, 0, out, ALIGN));
  TF_CHECK_EQ(out[3], 0xFFu);
  /* without the double-program check, AND semantics are visible */
  TF_CHECK_OK(tf_flash_ram_init(&g_ram, &g_fl, g_mem, SIZE, PAGE, ALIGN, NULL));
  memset(a, 0x0F, sizeof a);
  TF_CHECK_OK(g_fl.program(g_fl.ctx, 8, a, ALIGN));
  memset(a, 0x3C, sizeof a);
  TF_CHECK_OK(g_fl.program(g_fl.ctx, 8, a, ALIGN));
  TF_CHECK_OK(g_fl.read(g_fl.ctx, 8, out, ALIGN));
  TF_CHECK_EQ(out[0], 0x0Cu);
}

static void contract_checks(void) {
  uint8_t a[16];

  setup();
  memset(a, 0, sizeof a);
  TF_CHECK_RC(g_fl.erase(g_fl.ctx, 128), TF_STATUS_BAD_FIELD);
  TF_CHECK_RC(g_fl.erase(g_fl.ctx, SIZE), TF_STATUS_OUT_OF_RANGE);
  TF_CHECK_RC(g_fl.program(g_fl.ctx, 4, a, ALIGN), TF_STATUS_BAD_FIELD);
  TF_CHECK_RC(g_fl.program(g_fl.ctx, 0, a, 5), TF_STATUS_BAD_FIELD);
  TF_CHECK_RC(g_fl.program(g_fl.ctx, SIZE - ALIGN, a, 16), TF_STATUS_OUT_OF_RANGE);
  TF_CHECK_RC(g_fl.read(g_fl.ctx, SIZE - 1, a, 2), TF_STATUS_OUT_OF_RANGE);
  TF_CHECK_OK(g_fl.read(g_fl.ctx, 3, a, 5));
  TF_CHECK_RC(tf_flash_ram_init(&g_ram, &g_fl, g_mem, SIZE, 100, ALIGN, NULL), TF_STATUS_BAD_FIELD);
  TF_CHECK_RC(tf_flash_ram_init(&g_ram, &g_fl, g_mem, SIZE, PAGE, 64, NULL), TF_STATUS_BAD_FIELD);
  TF_CHECK_RC(tf_flash_ram_init(&g_ram, &g_fl, g_mem, SIZE + 1u, PAGE, ALIGN, NULL), TF_STATUS_BAD_FIELD);
}

static void double_program_detected(void) {
  uint8_t a[ALIGN];

  setup();
  memset(a, 0xFF, sizeof a);
  TF_CHECK_OK(g_fl.program(g_fl.ctx, 16, a, ALIGN));
  TF_CHECK_RC(g_fl.program(g_fl.ctx, 16, a, ALIGN), TF_STATUS_FLASH_ERROR);
  TF_CHECK_OK(g_fl.erase(g_fl.ctx, 0));
  TF_CHECK_OK(g_fl.program(g_fl.ctx, 16, a, ALIGN));
  /* after a "reboot", units holding data count as written */
  a[0] = 0x00;
  TF_CHECK_OK(g_fl.program(g_fl.ctx, PAGE, a, ALIGN));
  tf_flash_ram_rescan(&g_ram);
  TF_CHECK_RC(g_fl.program(g_fl.ctx, PAGE, a, ALIGN), TF_STATUS_FLASH_ERROR);
  TF_CHECK_OK(g_fl.program(g_fl.ctx, 16, a, ALIGN)); /* it was all 0xFF: indistinguishable from erased */
}

int main(void) {
  TF_TEST_RUN(erase_sets_ff_program_clears_bits);
  TF_TEST_RUN(contract_checks);
  TF_TEST_RUN(double_program_detected);
  return tf_test_finish();
}
