/* UART line-rate pacing (tf_uart_pace.h): 8N1 at `baud`, on the caller's monotonic clock. */
#include "tf_uart_pace.h"

#define NS_PER_S 1000000000ull
/* Elapsed times above this are cut (overflow guard); a receive busy period is clamped far below it. */
#define MAX_ELAPSED_NS (100ull * NS_PER_S)

/* Time the line needs for n bytes, rounded up: n * 10 / baud seconds. */
static uint64_t bytes_ns(uint32_t baud, uint64_t n) {
  return (n * TF_UART_PACE_BITS_PER_BYTE * NS_PER_S + baud - 1u) / baud;
}

/* Bytes whose last bit has passed between start_ns and now. */
static uint64_t passed(const tf_uart_pace_t *p, uint64_t now) {
  uint64_t el = now > p->start_ns ? now - p->start_ns : 0u;

  if (el > MAX_ELAPSED_NS) {
    el = MAX_ELAPSED_NS;
  }
  return el * p->baud / (TF_UART_PACE_BITS_PER_BYTE * NS_PER_S);
}

/* `baud` bytes take exactly 10 s: move the start so the numbers stay small, without rounding. */
static void rebase(tf_uart_pace_t *p) {
  while (p->baud != 0 && p->bytes >= p->baud) {
    p->bytes -= p->baud;
    p->start_ns += TF_UART_PACE_BITS_PER_BYTE * NS_PER_S;
  }
}

static void start(tf_uart_pace_t *p, uint64_t now) {
  p->busy = 1;
  p->start_ns = now;
  p->bytes = 0;
}

void tf_uart_pace_init(tf_uart_pace_t *p, uint32_t baud) {
  p->baud = baud;
  p->busy = 0;
  p->start_ns = 0;
  p->bytes = 0;
}

size_t tf_uart_pace_rx_allow(tf_uart_pace_t *p, uint64_t now_ns, size_t pending, size_t cap) {
  uint64_t credit;
  uint64_t fifo_ns;

  if (p->baud == 0) {
    return pending < cap ? pending : cap;
  }
  if (pending == 0) {
    p->busy = 0; /* nothing waits: the line is idle */
    return 0;
  }
  if (!p->busy) {
    start(p, now_ns); /* bytes seen now: the line starts passing them now, not earlier */
  }
  credit = passed(p, now_ns) - p->bytes;
  if (credit > TF_UART_PACE_RX_FIFO) {
    /* the device did not read for a while: the receiver holds one FIFO, the line waited for the rest */
    fifo_ns = bytes_ns(p->baud, TF_UART_PACE_RX_FIFO);
    start(p, now_ns > fifo_ns ? now_ns - fifo_ns : 0u);
    credit = passed(p, now_ns);
  }
  if (credit > pending) {
    credit = pending;
  }
  return credit < cap ? (size_t)credit : cap;
}

void tf_uart_pace_rx_took(tf_uart_pace_t *p, size_t n, size_t pending) {
  if (p->baud == 0) {
    return;
  }
  p->bytes += n;
  if (n >= pending) {
    p->busy = 0; /* every byte seen is read: the next ones start a new busy period when seen */
  }
  rebase(p);
}

uint64_t tf_uart_pace_due_ns(const tf_uart_pace_t *p, uint64_t now_ns, size_t n) {
  uint64_t due;

  if (p->baud == 0) {
    return now_ns;
  }
  due = p->busy ? p->start_ns + bytes_ns(p->baud, p->bytes + n) : now_ns + bytes_ns(p->baud, n);
  return due > now_ns ? due : now_ns;
}

uint64_t tf_uart_pace_tx_due(tf_uart_pace_t *p, uint64_t now_ns, size_t n) {
  uint64_t due;

  if (p->baud == 0) {
    return now_ns;
  }
  if (!p->busy || p->start_ns + bytes_ns(p->baud, p->bytes) <= now_ns) {
    start(p, now_ns); /* the line is idle: the first bit leaves now */
  }
  p->bytes += n;
  due = p->start_ns + bytes_ns(p->baud, p->bytes);
  rebase(p);
  return due;
}
