/* libFuzzer target: the link deframer, frame decoder and a whole endpoint fed arbitrary bytes
 * (PROTOCOL.md §3.7: never fail on any input). */
#include "tinyfleet/tf_link.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static tf_link_t g_link;

static void on_event(void *ctx, const tf_link_event_t *ev) {
  (void)ctx;
  if (ev->type == TF_LINK_EV_MESSAGE && ev->len > 0) {
    (void)tf_link_send(&g_link, ev->data, ev->len); /* echo: exercises the send side too */
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static uint8_t out[TF_LINK_TX_FRAME_BYTES];
  size_t out_len = 0;
  uint32_t now = 1000;
  size_t i, n = 0;
  tf_link_frame_t f;
  bool after_crc;

  (void)tf_link_frame_decode(data, size, TF_LINK_MAX_FRAME_PAYLOAD, &f, &after_crc);
  tf_link_init(&g_link, 1u, now, on_event, NULL);
  /* feed in chunks, with time passing and transmit opportunities between them */
  for (i = 0; i < size; i += n) {
    n = (size - i) < 37u ? size - i : 37u;
    tf_link_input(&g_link, data + i, n, now);
    now += data[i] & 0x3Fu;
    while (tf_link_output(&g_link, now, out, sizeof out, &out_len) == TF_OK && out_len > 0) {
    }
  }
  return 0;
}
