/**
 * @file tf_uart_pace.h
 * @brief UART line-rate pacing for the host port (the virtual MCU's `--baud`).
 *
 * A pseudo-terminal moves bytes as fast as the kernel copies them. To behave like a UART at `baud`
 * bit/s, 8N1 (10 bits per byte: start, 8 data, stop; PROTOCOL.md §3), each direction of the line is
 * a tf_uart_pace_t on a monotonic nanosecond clock: a byte takes 10 / baud seconds, and the bytes of
 * a *busy period* leave one after the other at that rate.
 *
 * Receive (the peer's bytes waiting in the pty): a busy period starts when the device first sees
 * bytes waiting, not earlier (the line is never credited with time before the bytes were seen), and
 * ends when the device has taken every byte it saw. Within it, `tf_uart_pace_rx_allow` lets through
 * the bytes whose last bit has arrived by now. While bytes wait and the device does not read (a flash
 * write, a verification), the line keeps running into a receive FIFO of TF_UART_PACE_RX_FIFO bytes; a
 * real UART would drop what overflows it, the emulation makes the line wait instead (it never runs
 * faster than the rate).
 *
 * Transmit: `tf_uart_pace_tx_due` gives the time at which the last bit of the next `n` bytes has left
 * (the next byte starts when the line is idle, or right after the previous byte); the port hands the
 * bytes to the pty at that time, so the peer never sees them before a real line would deliver them.
 *
 * Pure: no clock, no I/O; the port passes `now` (tests pass made-up times). baud 0: unthrottled.
 */
#ifndef TF_UART_PACE_H
#define TF_UART_PACE_H

#include <stddef.h>
#include <stdint.h>

/** Bits on the line per byte: 8N1. */
#define TF_UART_PACE_BITS_PER_BYTE 10u
/** Bytes the receiver holds while the device does not read (a DMA ring or FIFO). */
#define TF_UART_PACE_RX_FIFO 4096u

typedef struct tf_uart_pace {
  uint32_t baud;     /**< bit/s; 0: unthrottled */
  int busy;          /**< a busy period runs */
  uint64_t start_ns; /**< when it started (rebased every 10 s of bytes, exactly) */
  uint64_t bytes;    /**< bytes passed since start_ns */
} tf_uart_pace_t;

void tf_uart_pace_init(tf_uart_pace_t *p, uint32_t baud);

/**
 * Receive: how many of the @p pending bytes waiting now may be read at @p now_ns (at most @p cap).
 * Starts a busy period when none runs and bytes wait; ends it when nothing waits. Commit what was
 * read with tf_uart_pace_rx_took().
 */
size_t tf_uart_pace_rx_allow(tf_uart_pace_t *p, uint64_t now_ns, size_t pending, size_t cap);

/** Receive: @p n bytes were read, of @p pending that waited; reading them all ends the busy period. */
void tf_uart_pace_rx_took(tf_uart_pace_t *p, size_t n, size_t pending);

/**
 * When the line will have passed @p n more bytes: receive, the time @p n more waiting bytes may be
 * read; transmit, see tf_uart_pace_tx_due(). @p now_ns if unthrottled.
 */
uint64_t tf_uart_pace_due_ns(const tf_uart_pace_t *p, uint64_t now_ns, size_t n);

/**
 * Transmit: @p n bytes are handed to the line at @p now_ns; returns when their last bit has left (the
 * time to give them to the peer). Starts a busy period when the line is idle. @p now_ns if unthrottled.
 */
uint64_t tf_uart_pace_tx_due(tf_uart_pace_t *p, uint64_t now_ns, size_t n);

#endif /* TF_UART_PACE_H */
