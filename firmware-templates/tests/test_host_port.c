/* Host port HAL: flash file semantics and persistence, pty UART round trip, UART pacing, clock. */
#define _XOPEN_SOURCE 700

#include "tf_test.h"

#include "tf_port_host.h"
#include "tf_uart_pace.h"

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


/* tf_uart_pace on made-up times: 921600 baud, 8N1 = 92160 bytes/s, 10850.69 ns per byte. */
static void uart_pace_receive(void) {
  tf_uart_pace_t p;
  const uint64_t t0 = 5000000000ull;
  uint64_t t;
  size_t total = 0, n;

  tf_uart_pace_init(&p, 921600u);
  TF_CHECK_EQ(tf_uart_pace_rx_allow(&p, t0, 1000, 4096), 0u); /* seen now: nothing has arrived yet */
  TF_CHECK_EQ(tf_uart_pace_rx_allow(&p, t0 + 10850, 1000, 4096), 0u);
  TF_CHECK_EQ(tf_uart_pace_rx_allow(&p, t0 + 10851, 1000, 4096), 1u); /* the first byte's stop bit */
  TF_CHECK_EQ(tf_uart_pace_rx_allow(&p, t0 + 1000000, 1000, 4096), 92u);
  TF_CHECK_EQ(tf_uart_pace_rx_allow(&p, t0 + 1000000, 1000, 50), 50u); /* the caller's buffer */
  tf_uart_pace_rx_took(&p, 92, 1000);
  TF_CHECK_EQ(tf_uart_pace_rx_allow(&p, t0 + 1000000, 908, 4096), 0u);
  TF_CHECK_EQ(tf_uart_pace_rx_allow(&p, t0 + 2000000, 908, 4096), 92u);
  TF_CHECK_EQ(tf_uart_pace_due_ns(&p, t0 + 2000000, 100), t0 + 2083334u); /* 192 bytes after t0 */

  /* a reader that polls every 37 us for one second of a line that never runs dry: the line rate */
  tf_uart_pace_init(&p, 921600u);
  for (t = t0; t <= t0 + 1000000000ull; t += 37000u) {
    n = tf_uart_pace_rx_allow(&p, t, 1u << 20, 256);
    tf_uart_pace_rx_took(&p, n, 1u << 20);
    total += n;
  }
  TF_CHECK(total >= 92159u && total <= 92160u);

  /* every byte seen is read: the idle time that follows is not credited to the next bytes */
  tf_uart_pace_init(&p, 921600u);
  TF_CHECK_EQ(tf_uart_pace_rx_allow(&p, t0, 10, 4096), 0u);
  n = tf_uart_pace_rx_allow(&p, t0 + 1000000, 10, 4096);
  TF_CHECK_EQ(n, 10u);
  tf_uart_pace_rx_took(&p, n, 10);
  TF_CHECK_EQ(tf_uart_pace_rx_allow(&p, t0 + 3000000000ull, 500, 4096), 0u);
  TF_CHECK_EQ(tf_uart_pace_rx_allow(&p, t0 + 3001000000ull, 500, 4096), 92u);
  TF_CHECK_EQ(tf_uart_pace_rx_allow(&p, t0 + 3001000000ull, 0, 4096), 0u); /* nothing waits: idle */
  TF_CHECK_EQ(tf_uart_pace_rx_allow(&p, t0 + 3002000000ull, 500, 4096), 0u);

  /* a device that does not read for a second gets one receive FIFO, not a second of bytes */
  tf_uart_pace_init(&p, 921600u);
  TF_CHECK_EQ(tf_uart_pace_rx_allow(&p, t0, 1u << 20, 1u << 20), 0u);
  n = tf_uart_pace_rx_allow(&p, t0 + 1000000000ull, 1u << 20, 1u << 20);
  TF_CHECK(n >= TF_UART_PACE_RX_FIFO - 1u && n <= TF_UART_PACE_RX_FIFO);
  tf_uart_pace_rx_took(&p, n, 1u << 20);
  TF_CHECK_EQ(tf_uart_pace_rx_allow(&p, t0 + 1000000000ull, 1u << 20, 1u << 20), 0u);

  /* baud 0: unthrottled */
  tf_uart_pace_init(&p, 0);
  TF_CHECK_EQ(tf_uart_pace_rx_allow(&p, t0, 1000, 4096), 1000u);
  TF_CHECK_EQ(tf_uart_pace_due_ns(&p, t0, 1000), t0);
}

static void uart_pace_transmit(void) {
  tf_uart_pace_t p;
  const uint64_t t0 = 7000000000ull;
  uint64_t t, due = 0;
  uint32_t i;

  tf_uart_pace_init(&p, 115200u); /* 86805.6 ns per byte */
  TF_CHECK_EQ(tf_uart_pace_tx_due(&p, t0, 64), t0 + 5555556u);
  TF_CHECK_EQ(tf_uart_pace_tx_due(&p, t0 + 1000, 64), t0 + 11111112u); /* queued behind the first */
  TF_CHECK_EQ(tf_uart_pace_tx_due(&p, t0 + 20000000u, 1), t0 + 20086806u); /* idle line: starts now */
  /* 30 s of back-to-back bytes (the start is rebased every 10 s): exactly 30 s of line time */
  tf_uart_pace_init(&p, 115200u);
  for (i = 0, t = t0; i < 30u * 11520u; i++) {
    due = tf_uart_pace_tx_due(&p, t, 1);
    t = due - 50000u; /* the writer runs ahead of the line */
  }
  TF_CHECK_EQ(due, t0 + 30000000000ull);
  tf_uart_pace_init(&p, 0);
  TF_CHECK_EQ(tf_uart_pace_tx_due(&p, t0, 4096), t0);
}

/* A paced pty: bytes the peer wrote are not read before the line has carried them. */
static void pty_paced(void) {
  tf_host_uart_t u;
  char path[128];
  uint8_t buf[1100], want[1000];
  size_t got = 0, total = 0;
  int slave, i, reads = 0;

  if (!TF_CHECK_OK(tf_host_uart_open_pty(&u, path, sizeof path))) {
    return;
  }
  tf_host_uart_set_baud(&u, 115200u); /* 86.8 us per byte: 1000 bytes in 87 ms */
  slave = open(path, O_RDWR | O_NOCTTY);
  if (!TF_CHECK(slave >= 0)) {
    tf_host_uart_close(&u);
    return;
  }
  for (i = 0; i < 1000; i++) {
    want[i] = (uint8_t)(i * 7 + 1);
  }
  TF_CHECK_EQ(write(slave, want, 1000), 1000);
  for (i = 0; i < 100 && tf_host_uart_read(&u, buf, sizeof buf, &got) == TF_OK && got == 0; i++) {
    struct timespec ts = {0, 100000};
    struct pollfd p = {0, POLLIN, 0};
    p.fd = u.in_fd;
    if (poll(&p, 1, 0) == 1) {
      break; /* the bytes are in the pty */
    }
    nanosleep(&ts, NULL);
  }
  /* the first read that sees them starts the line: none has arrived at that instant */
  TF_CHECK_OK(tf_host_uart_read(&u, buf, sizeof buf, &got));
  TF_CHECK(got < 1000u);
  total = got;
  for (i = 0; i < 1000 && total < 1000; i++) {
    tf_host_uart_wait(&u, 50);
    TF_CHECK_OK(tf_host_uart_read(&u, buf + total, sizeof buf - total, &got));
    reads += got > 0 ? 1 : 0;
    total += got;
  }
  TF_CHECK_EQ(total, 1000u);
  TF_CHECK(reads >= 2); /* chunk by chunk as the line delivers them, not the whole burst at once */
  TF_CHECK_MEM(buf, want, 1000);
  close(slave);
  tf_host_uart_close(&u);
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
  TF_TEST_RUN(uart_pace_receive);
  TF_TEST_RUN(uart_pace_transmit);
  TF_TEST_RUN(pty_paced);
  TF_TEST_RUN(clock_is_monotonic);
  return tf_test_finish();
}
