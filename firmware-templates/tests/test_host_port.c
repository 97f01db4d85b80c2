/* Host port HAL: flash file semantics and persistence, pty UART round trip, clock. */
#define _XOPEN_SOURCE 700

#include "tf_test.h"

#include "tf_port_host.h"

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char g_path[256];

static void flash_file_semantics_and_persistence(void) {
  tf_host_flash_t f;
  tf_flash_t fl;
  uint8_t a[16], out[16];

  snprintf(g_path, sizeof g_path, "/tmp/tf-host-flash-%ld.bin", (long)getpid());
  unlink(g_path);
  TF_CHECK_OK(tf_host_flash_open(&f, &fl, g_path, 8192, 4096, 8));
  TF_CHECK_OK(fl.read(fl.ctx, 100, out, 16));
  TF_CHECK_EQ(out[0], 0xFFu); /* a new part comes erased */
  memset(a, 0x5A, sizeof a);
  TF_CHECK_OK(fl.program(fl.ctx, 4096, a, 16));
  memset(a, 0x0F, sizeof a);
  TF_CHECK_OK(fl.program(fl.ctx, 4096, a, 8)); /* AND: 0x5A & 0x0F */
  TF_CHECK_RC(fl.program(fl.ctx, 4100, a, 8), TF_STATUS_BAD_FIELD);
  TF_CHECK_RC(fl.erase(fl.ctx, 100), TF_STATUS_BAD_FIELD);
  TF_CHECK_RC(fl.read(fl.ctx, 8190, out, 4), TF_STATUS_OUT_OF_RANGE);
  tf_host_flash_close(&f);

  TF_CHECK_OK(tf_host_flash_open(&f, &fl, g_path, 8192, 4096, 8)); /* "reboot" */
  TF_CHECK_OK(fl.read(fl.ctx, 4096, out, 16));
  TF_CHECK_EQ(out[0], 0x0Au);
  TF_CHECK_EQ(out[8], 0x5Au);
  TF_CHECK_OK(fl.erase(fl.ctx, 4096));
  TF_CHECK_OK(fl.read(fl.ctx, 4096, out, 16));
  TF_CHECK_EQ(out[0], 0xFFu);
  memset(a, 0x0A, sizeof a);
  TF_CHECK_OK(fl.program(fl.ctx, 0, a, 8));
  tf_host_flash_close(&f);

  TF_CHECK_RC(tf_host_flash_open(&f, &fl, g_path, 4096, 4096, 8), TF_STATUS_BAD_FIELD); /* smaller: refused */
  TF_CHECK_OK(tf_host_flash_open(&f, &fl, g_path, 16384, 4096, 8)); /* larger: extended, kept + erased */
  TF_CHECK_OK(fl.read(fl.ctx, 0, out, 1));
  TF_CHECK_EQ(out[0], 0x0Au);
  TF_CHECK_OK(fl.read(fl.ctx, 12288, out, 16));
  TF_CHECK_EQ(out[0], 0xFFu);
  tf_host_flash_close(&f);
  unlink(g_path);
}

static void pty_round_trip(void) {
  tf_host_uart_t u;
  tf_hal_t hal;
  tf_host_port_t port;
  tf_flash_t fl;
  tf_device_caps_t caps;
  char path[128];
  uint8_t buf[16];
  size_t got = 0, total = 0;
  int slave, i;
  ssize_t n;

  memset(&port, 0, sizeof port);
  memset(&fl, 0, sizeof fl);
  memset(&caps, 0, sizeof caps);
  if (!TF_CHECK_OK(tf_host_uart_open_pty(&u, path, sizeof path))) {
    return;
  }
  TF_CHECK(strncmp(path, "/dev/", 5) == 0);
  port.uart = u;
  caps.clock_hz = 1000000;
  tf_host_hal_init(&hal, &port, &fl, &caps, -1);
  /* nobody attached yet: reading gives nothing, writing is lost like on a bare UART */
  TF_CHECK_OK(hal.uart.read(hal.uart.ctx, buf, sizeof buf, &got));
  TF_CHECK_EQ(got, 0u);
  slave = open(path, O_RDWR | O_NOCTTY);
  if (!TF_CHECK(slave >= 0)) {
    tf_host_uart_close(&port.uart);
    return;
  }
  /* binary bytes pass unchanged in both directions (raw mode: no echo, no CR/LF mapping) */
  TF_CHECK_EQ(write(slave, "\x00\x0d\x0a\x03\xff", 5), 5);
  for (i = 0; i < 100 && total < 5; i++) {
    tf_host_uart_wait(&port.uart, 10);
    TF_CHECK_OK(hal.uart.read(hal.uart.ctx, buf + total, sizeof buf - total, &got));
    total += got;
  }
  TF_CHECK_EQ(total, 5u);
  TF_CHECK_MEM(buf, "\x00\x0d\x0a\x03\xff", 5);
  TF_CHECK_OK(hal.uart.write(hal.uart.ctx, (const uint8_t *)"\x0a\x00\x7f", 3));
  {
    struct pollfd p;
    p.fd = slave;
    p.events = POLLIN;
    p.revents = 0;
    TF_CHECK_EQ(poll(&p, 1, 1000), 1);
  }
  n = read(slave, buf, sizeof buf);
  TF_CHECK_EQ(n, 3);
  TF_CHECK_MEM(buf, "\x0a\x00\x7f", 3);
  close(slave);
  tf_host_uart_close(&port.uart);
}

static void clock_is_monotonic(void) {
  tf_hal_t hal;
  tf_host_port_t port;
  tf_flash_t fl;
  tf_device_caps_t caps;
  uint32_t t0, t1, c0, c1;
  struct timespec ts = {0, 5000000};

  memset(&port, 0, sizeof port);
  memset(&fl, 0, sizeof fl);
  memset(&caps, 0, sizeof caps);
  caps.clock_hz = 64000000u;
  tf_host_hal_init(&hal, &port, &fl, &caps, -1);
  t0 = hal.millis(hal.ctx);
  c0 = hal.cycles(hal.ctx);
  nanosleep(&ts, NULL);
  t1 = hal.millis(hal.ctx);
  c1 = hal.cycles(hal.ctx);
  TF_CHECK(t1 - t0 >= 4u);
  TF_CHECK(c1 - c0 >= 4u * 64000u);
}

int main(void) {
  TF_TEST_RUN(flash_file_semantics_and_persistence);
  TF_TEST_RUN(pty_round_trip);
  TF_TEST_RUN(clock_is_monotonic);
  return tf_test_finish();
}
