/*
 * Link tickets (tf_link.h): what an application needs to re-send after a session end (PROTOCOL.md
 * §3.6.4 item 2). Two endpoints in memory, the test carries the bytes and can withhold one direction
 * (a peer that stops acknowledging) before the peer resets its link.
 */
#include "tf_test.h"

#include "tinyfleet/tf_link.h"

#include <string.h>

typedef struct side {
  tf_link_t link;
  uint32_t messages, connects, resets, unacked, unsent;
  uint8_t last[700];
  size_t last_len;
} side_t;

static side_t g_a, g_b; /* a: the device; b: the gateway */
static uint8_t g_frame[TF_LINK_TX_FRAME_BYTES];

static void on_event(void *ctx, const tf_link_event_t *ev) {
  side_t *s = (side_t *)ctx;

  if (ev->type == TF_LINK_EV_MESSAGE) {
    s->messages++;
    s->last_len = ev->len < sizeof s->last ? ev->len : sizeof s->last;
    memcpy(s->last, ev->data, s->last_len);
  } else if (ev->type == TF_LINK_EV_CONNECTED) {
    s->connects++;
  } else if (ev->type == TF_LINK_EV_PEER_RESET || ev->type == TF_LINK_EV_LINK_DOWN) {
    s->resets++;
    s->unacked = ev->unacked;
    s->unsent = ev->unsent;
  }
}

/* Moves every due frame both ways for @p ms milliseconds; b's frames reach a only when @p b_to_a. */
static void pump(uint32_t *now, uint32_t ms, int b_to_a) {
  uint32_t end = *now + ms;
  size_t n;

  for (; *now != end; (*now)++) {
    while (tf_link_output(&g_a.link, *now, g_frame, sizeof g_frame, &n) == TF_OK && n > 0) {
      tf_link_input(&g_b.link, g_frame, n, *now);
    }
    while (tf_link_output(&g_b.link, *now, g_frame, sizeof g_frame, &n) == TF_OK && n > 0) {
      if (b_to_a) {
        tf_link_input(&g_a.link, g_frame, n, *now);
      }
    }
  }
}

static void msg(uint8_t *buf, size_t len, uint8_t tag) {
  size_t i;

  for (i = 0; i < len; i++) {
    buf[i] = (uint8_t)(tag + i);
  }
}

static void tickets_follow_delivery_and_survive_a_peer_reset(void) {
  uint8_t buf[400]; /* 2 fragments of 256 */
  uint32_t now = 1000;
  uint32_t i;

  memset(&g_a, 0, sizeof g_a);
  memset(&g_b, 0, sizeof g_b);
  tf_link_init(&g_a.link, 1u, now, on_event, &g_a);
  tf_link_init(&g_b.link, 2u, now, on_event, &g_b);
  TF_CHECK_EQ(tf_link_last_ticket(&g_a.link), 0);
  TF_CHECK_EQ(tf_link_delivered_ticket(&g_a.link), 0);
  pump(&now, 50, 1);
  TF_CHECK(tf_link_is_up(&g_a.link) && tf_link_is_up(&g_b.link));

  /* tickets 1..3 in acceptance order; all delivered once acknowledged */
  for (i = 0; i < 3u; i++) {
    msg(buf, 100, (uint8_t)i);
    TF_CHECK_OK(tf_link_send(&g_a.link, buf, 100));
    TF_CHECK_EQ(tf_link_last_ticket(&g_a.link), i + 1u);
  }
  TF_CHECK_EQ(tf_link_delivered_ticket(&g_a.link), 0);
  pump(&now, 50, 1);
  TF_CHECK_EQ(g_b.messages, 3);
  TF_CHECK_EQ(tf_link_delivered_ticket(&g_a.link), 3);

  /* a refused send takes no ticket */
  TF_CHECK_RC(tf_link_send(&g_a.link, buf, TF_LINK_CFG_MESSAGE_BYTES + 1u), TF_STATUS_TOO_LARGE);
  TF_CHECK_EQ(tf_link_last_ticket(&g_a.link), 3);

  /* the peer stops acknowledging: 4 two-fragment messages (tickets 4..7) reach it or wait, none is
   * known delivered */
  for (i = 0; i < 4u; i++) {
    msg(buf, sizeof buf, (uint8_t)(10u + i));
    TF_CHECK_OK(tf_link_send(&g_a.link, buf, sizeof buf));
  }
  TF_CHECK_EQ(tf_link_last_ticket(&g_a.link), 7);
  pump(&now, 200, 0);
  TF_CHECK(g_b.messages > 3); /* some arrived: their acks were lost */
  TF_CHECK_EQ(tf_link_delivered_ticket(&g_a.link), 3);

  /* the peer restarts its link: a session end on a, every message after ticket 3 is unacked or unsent */
  tf_link_reset(&g_b.link, now);
  pump(&now, 600, 1);
  TF_CHECK(tf_link_is_up(&g_a.link) && tf_link_is_up(&g_b.link));
  TF_CHECK_EQ(g_a.resets, 1);
  TF_CHECK_EQ(g_a.unacked + g_a.unsent, 4);
  TF_CHECK_EQ(tf_link_delivered_ticket(&g_a.link), 3); /* the session end delivered nothing */

  /* re-sent by the application (same bytes): new tickets, delivered in order in the new session */
  g_b.messages = 0;
  for (i = 0; i < 4u; i++) {
    msg(buf, sizeof buf, (uint8_t)(10u + i));
    TF_CHECK_OK(tf_link_send(&g_a.link, buf, sizeof buf));
    TF_CHECK_EQ(tf_link_last_ticket(&g_a.link), 8u + i);
  }
  pump(&now, 100, 1);
  TF_CHECK_EQ(g_b.messages, 4);
  TF_CHECK_EQ(tf_link_delivered_ticket(&g_a.link), 11);
  msg(buf, sizeof buf, 13u);
  TF_CHECK_EQ(g_b.last_len, sizeof buf);
  TF_CHECK_MEM(g_b.last, buf, sizeof buf);
}

int main(void) {
  TF_TEST_RUN(tickets_follow_delivery_and_survive_a_peer_reset);
  return tf_test_finish();
}
