/* The selective-repeat link endpoint (tf_link.h). PROTOCOL.md §3.4-§3.6, §3.8, §3.9. */
#include "tinyfleet/tf_link.h"

#include <string.h>

#define SLOT_MASK (TF_LINK_CFG_WINDOW - 1u)
/* A send-queue entry: u32 length LE, u32 ticket LE, then the message. */
#define TXQ_HDR 8u

static uint32_t get_u32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static void put_u32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

static bool after(uint32_t now, uint32_t deadline) {
  return (int32_t)(now - deadline) >= 0;
}

static uint32_t min_u32(uint32_t a, uint32_t b) {
  return a < b ? a : b;
}

static void emit(tf_link_t *l, tf_link_event_t *ev) {
  if (l->on_event != NULL) {
    l->on_event(l->ctx, ev);
  }
}

static void emit_simple(tf_link_t *l, tf_link_event_type_t type, uint16_t code) {
  tf_link_event_t ev;

  memset(&ev, 0, sizeof ev);
  ev.type = type;
  ev.code = code;
  emit(l, &ev);
}

/* xorshift32, mixed with the clock at every use; PROTOCOL.md §3.6.3 wants new, non-zero epochs. */
static uint32_t new_epoch(tf_link_t *l, uint32_t now) {
  uint32_t e;

  do {
    l->rng ^= now * 0x9E3779B9u;
    l->rng ^= l->rng << 13;
    l->rng ^= l->rng >> 17;
    l->rng ^= l->rng << 5;
    e = l->rng;
  } while (e == 0 || e == l->epoch);
  return e;
}

/* Queues an ERROR frame (§3.8.1); text cut to fit (ASCII only here, so any cut is a boundary). */
static void queue_error(tf_link_t *l, tf_status_t status, const char *text) {
  tf_link_error_entry_t *e;
  size_t n = strlen(text);

  l->stats.errors_out++;
  if (l->error_count >= TF_LINK_CFG_ERROR_QUEUE) {
    l->stats.errors_dropped++;
    return;
  }
  e = &l->errors[l->error_count++];
  e->code = tf_status_to_error(status);
  if (n > TF_LINK_ERROR_TEXT_BYTES) {
    n = TF_LINK_ERROR_TEXT_BYTES;
  }
  memcpy(e->text, text, n);
  e->text_len = (uint8_t)n;
}

/* A violation by the peer: event here, ERROR frame there (§3.8.2). */
static void violation(tf_link_t *l, tf_status_t status, const char *text) {
  emit_simple(l, TF_LINK_EV_ERROR, tf_status_to_error(status));
  queue_error(l, status, text);
}

static void offer(const tf_link_t *l, tf_link_hello_t *h) {
  /* PROTOCOL.md §3.6.1, §3.9 */
  h->version = TF_PROTOCOL_VERSION;
  h->window = TF_LINK_CFG_WINDOW;
  h->max_frame_payload = TF_LINK_CFG_FRAME_PAYLOAD;
  h->max_message_bytes = TF_LINK_CFG_MESSAGE_BYTES;
  h->epoch = l->epoch;
  h->peer_epoch = l->peer_epoch;
}

static void negotiate(const tf_link_hello_t *mine, const tf_link_hello_t *theirs, tf_link_params_t *p) {
  /* PROTOCOL.md §3.6.2: the minimum of both offers, field by field */
  p->version = mine->version < theirs->version ? mine->version : theirs->version;
  p->window = mine->window < theirs->window ? mine->window : theirs->window;
  p->max_frame_payload =
      mine->max_frame_payload < theirs->max_frame_payload ? mine->max_frame_payload : theirs->max_frame_payload;
  p->max_message_bytes = min_u32(mine->max_message_bytes, theirs->max_message_bytes);
}

/* ---- send queue ---- */

static uint32_t txq_head_len(const tf_link_t *l) {
  return get_u32(l->txq);
}

static void txq_pop(tf_link_t *l) {
  size_t n = TXQ_HDR + txq_head_len(l);

  memmove(l->txq, l->txq + n, l->txq_len - n);
  l->txq_len -= n;
  l->txq_count--;
  l->frag_off = 0;
}

/* Drops queued messages larger than the negotiated M (§3.4.1): handed back as TOO_LARGE. */
static void txq_drop_larger(tf_link_t *l, uint32_t limit) {
  size_t pos = 0;

  while (pos < l->txq_len) {
    uint32_t n = get_u32(l->txq + pos);
    if (n > limit) {
      memmove(l->txq + pos, l->txq + pos + TXQ_HDR + n, l->txq_len - pos - TXQ_HDR - n);
      l->txq_len -= TXQ_HDR + n;
      l->txq_count--;
      emit_simple(l, TF_LINK_EV_ERROR, TF_ERR_TOO_LARGE);
    } else {
      pos += TXQ_HDR + n;
    }
  }
}

tf_status_t tf_link_send(tf_link_t *l, const uint8_t *data, size_t len) {
  tf_status_t rc = TF_OK;
  uint32_t limit = l->up ? l->params.max_message_bytes : TF_LINK_CFG_MESSAGE_BYTES;

  if (len > limit) { /* PROTOCOL.md §3.4.1 */
    rc = TF_STATUS_TOO_LARGE;
    goto out;
  }
  if (len + TXQ_HDR > sizeof l->txq - l->txq_len) {
    rc = TF_STATUS_BUSY;
    goto out;
  }
  if (++l->ticket == 0) {
    l->ticket = 1; /* 0 is "none" */
  }
  put_u32(l->txq + l->txq_len, (uint32_t)len);
  put_u32(l->txq + l->txq_len + 4u, l->ticket);
  if (len > 0) {
    memcpy(l->txq + l->txq_len + TXQ_HDR, data, len);
  }
  l->txq_len += TXQ_HDR + len;
  l->txq_count++;
out:
  return rc;
}

/* ---- session start and end ---- */

static void session_clear(tf_link_t *l) {
  size_t i;

  for (i = 0; i < TF_LINK_CFG_WINDOW; i++) {
    l->held[i].used = 0;
  }
  l->held_count = 0;
  l->msg_len = 0;
  l->msg_skipping = false;
  l->msg_skipped = 0;
  l->ack_pending = l->sack_pending = false;
  l->expiries = 0;
  l->rto = TF_LINK_RTO_INITIAL_MS;
  l->have_rtt = false;
  l->srtt_x8 = l->rttvar_x4 = 0;
}

static void establish(tf_link_t *l, const tf_link_params_t *p, uint32_t peer_epoch) {
  tf_link_event_t ev;

  l->up = true;
  l->params = *p;
  l->peer_epoch = peer_epoch;
  l->hello_due = false;
  session_clear(l);
  /* PROTOCOL.md §3.5.1: each direction starts at the low 16 bits of its sender's epoch */
  l->snd_una = l->snd_nxt = (uint16_t)l->epoch;
  l->rcv_nxt = (uint16_t)peer_epoch;
  l->peer_rwnd = p->window; /* §3.5.5: assume W until the first ack */
  l->frag_off = 0;
  l->stats.connects++;
  txq_drop_larger(l, p->max_message_bytes);
  memset(&ev, 0, sizeof ev);
  ev.type = TF_LINK_EV_CONNECTED;
  emit(l, &ev);
}

/* PROTOCOL.md §3.6.4: discard sequence state; report what the application lost. */
static void teardown(tf_link_t *l, tf_link_event_t *ev) {
  uint16_t s;
  uint32_t unacked = 0;

  for (s = l->snd_una; s != l->snd_nxt; s++) {
    if (l->tx[s & SLOT_MASK].last) {
      unacked++;
    }
  }
  if (l->frag_off > 0) {
    unacked++; /* the head message was cut in part */
  }
  memset(ev, 0, sizeof *ev);
  ev->unacked = unacked;
  ev->unsent = l->txq_count - (l->frag_off > 0 ? 1u : 0u);
  ev->discarded_inbound = (uint32_t)(l->msg_len + l->msg_skipped);
  l->txq_len = 0;
  l->txq_count = 0;
  l->frag_off = 0;
  l->snd_una = l->snd_nxt;
  l->up = false;
  l->hello_ack_pending = false;
  l->error_count = 0;
  session_clear(l);
}

static void restart_handshake(tf_link_t *l, uint32_t now) {
  l->epoch = new_epoch(l, now); /* §3.6.3: a new session always has a new epoch */
  l->hello_due = true;
  l->hello_at = now + TF_LINK_HELLO_INTERVAL_MS;
}

static void link_down(tf_link_t *l, uint16_t code, uint32_t now) {
  tf_link_event_t ev;

  l->stats.link_downs++;
  teardown(l, &ev);
  ev.type = TF_LINK_EV_LINK_DOWN;
  ev.code = code;
  restart_handshake(l, now);
  emit(l, &ev);
}

static void peer_reset(tf_link_t *l, uint32_t peer_epoch) {
  tf_link_event_t ev;

  l->stats.peer_resets++;
  teardown(l, &ev);
  l->peer_epoch = peer_epoch;
  ev.type = TF_LINK_EV_PEER_RESET;
  emit(l, &ev);
}

void tf_link_init(tf_link_t *l, uint32_t seed, uint32_t now, tf_link_event_fn on_event, void *ctx) {
  memset(l, 0, sizeof *l);
  l->on_event = on_event;
  l->ctx = ctx;
  l->rng = seed != 0 ? seed : 0x2545F491u;
  tf_link_deframer_init(&l->deframer);
  l->epoch = new_epoch(l, now);
  l->hello_due = true; /* §3.6.3: a HELLO at once, then every HELLO_INTERVAL */
  l->hello_at = now + TF_LINK_HELLO_INTERVAL_MS;
  session_clear(l);
}

void tf_link_reset(tf_link_t *l, uint32_t now) {
  link_down(l, TF_ERR_OK, now);
}

bool tf_link_is_up(const tf_link_t *l) {
  return l->up;
}

const tf_link_params_t *tf_link_params(const tf_link_t *l) {
  return &l->params;
}

const tf_link_stats_t *tf_link_stats(const tf_link_t *l) {
  return &l->stats;
}

uint32_t tf_link_last_ticket(const tf_link_t *l) {
  return l->ticket;
}

uint32_t tf_link_delivered_ticket(const tf_link_t *l) {
  return l->delivered;
}

size_t tf_link_ram_bytes(void) {
  return sizeof(tf_link_t);
}

/* ---- HELLO negotiation, PROTOCOL.md §3.6 ---- */

static void on_hello(tf_link_t *l, const tf_link_hello_t *h, uint32_t now) {
  tf_link_hello_t mine;
  tf_link_params_t p;
  tf_status_t rc = tf_link_hello_check(h);

  if (rc != TF_OK) {
    violation(l, rc, "bad HELLO"); /* §3.6.2: no state change */
    return;
  }
  if (l->up && h->epoch == l->peer_epoch) {
    l->hello_ack_pending = true; /* §3.6.3: repeated HELLO, answer again, change nothing */
    return;
  }
  if (l->up) {
    peer_reset(l, h->epoch); /* §3.6.4 (a) */
    l->epoch = new_epoch(l, now);
  }
  offer(l, &mine);
  negotiate(&mine, h, &p);
  l->hello_ack.version = p.version;
  l->hello_ack.window = p.window;
  l->hello_ack.max_frame_payload = p.max_frame_payload;
  l->hello_ack.max_message_bytes = p.max_message_bytes;
  l->hello_ack.epoch = l->epoch;
  l->hello_ack.peer_epoch = h->epoch;
  l->hello_ack_pending = true;
  establish(l, &p, h->epoch);
}

static void on_hello_ack(tf_link_t *l, const tf_link_hello_t *h, uint32_t now) {
  tf_link_hello_t mine;
  tf_link_params_t p;
  tf_status_t rc = tf_link_hello_check(h);

  if (rc != TF_OK) {
    violation(l, rc, "bad HELLO_ACK");
    return;
  }
  if (h->peer_epoch != l->epoch) {
    l->stats.ignored++; /* answers an older HELLO */
    return;
  }
  if (l->up) {
    if (h->epoch != l->peer_epoch) { /* §3.6.3: the peer restarted while answering */
      peer_reset(l, h->epoch);
      restart_handshake(l, now);
    } else {
      l->stats.ignored++; /* duplicate */
    }
    return;
  }
  offer(l, &mine);
  negotiate(&mine, h, &p);
  if (p.version != h->version || p.window != h->window || p.max_frame_payload != h->max_frame_payload ||
      p.max_message_bytes != h->max_message_bytes) {
    violation(l, TF_STATUS_OUT_OF_RANGE, "HELLO_ACK exceeds the offer"); /* §3.6.2 */
    return;
  }
  establish(l, &p, h->epoch);
}

/* ---- send side: acks, RTO, loss, PROTOCOL.md §3.5.3-§3.5.7 ---- */

static void rtt_sample(tf_link_t *l, uint32_t r) {
  uint32_t srtt, var4, rto;

  /* PROTOCOL.md §3.5.6 (RFC 6298), SRTT kept x8 and RTTVAR x4 in integers */
  if (!l->have_rtt) {
    l->srtt_x8 = r * 8u;
    l->rttvar_x4 = r * 2u;
    l->have_rtt = true;
  } else {
    uint32_t srtt_now = l->srtt_x8 / 8u;
    uint32_t dev = srtt_now > r ? srtt_now - r : r - srtt_now;
    l->rttvar_x4 = l->rttvar_x4 - l->rttvar_x4 / 4u + dev;
    l->srtt_x8 = l->srtt_x8 - l->srtt_x8 / 8u + r;
  }
  srtt = l->srtt_x8 / 8u;
  var4 = l->rttvar_x4 > 1u ? l->rttvar_x4 : 1u; /* max(G, 4 RTTVAR), G = 1 ms */
  rto = srtt + var4;
  if (rto < TF_LINK_RTO_MIN_MS) {
    rto = TF_LINK_RTO_MIN_MS;
  }
  if (rto > TF_LINK_RTO_MAX_MS) {
    rto = TF_LINK_RTO_MAX_MS;
  }
  l->rto = rto;
}

static void on_ack(tf_link_t *l, uint16_t ack, const uint8_t *sack_bytes, uint8_t rwnd, uint32_t now) {
  int32_t d_ack = tf_link_seq_diff(ack, l->snd_una);
  int32_t in_flight = tf_link_seq_diff(l->snd_nxt, l->snd_una);
  bool progress = false;
  const tf_link_tx_slot_t *newest = NULL;
  uint32_t max_sacked_order = 0;
  bool any_sacked = false;
  uint16_t s;

  if (d_ack > in_flight) { /* acknowledges frames never sent */
    l->stats.ignored++;
    return;
  }
  if (d_ack > 0) {
    for (s = l->snd_una; s != ack; s++) {
      tf_link_tx_slot_t *t = &l->tx[s & SLOT_MASK];
      if (!t->sacked && t->tx_count == 1 && (newest == NULL || (int32_t)(t->order - newest->order) > 0)) {
        newest = t; /* Karn: only frames sent once */
      }
      if (t->last) {
        l->stats.messages_out++;
        /* §3.5.3: its last fragment is cumulatively acknowledged: delivered (tf_link_delivered_ticket) */
        l->delivered = t->ticket;
      }
    }
    l->snd_una = ack;
    progress = true;
  }
  if (d_ack >= 0) {
    l->peer_rwnd = rwnd;
  }
  if (sack_bytes != NULL) { /* §3.5.4 */
    uint32_t bits = (uint32_t)sack_bytes[0] | ((uint32_t)sack_bytes[1] << 8) | ((uint32_t)sack_bytes[2] << 16) |
                    ((uint32_t)sack_bytes[3] << 24);
    uint32_t i;
    for (i = 0; i < 32u; i++) {
      uint16_t seq = (uint16_t)(ack + 1u + i);
      tf_link_tx_slot_t *t;
      if ((bits & (1u << i)) == 0) {
        continue;
      }
      if (tf_link_seq_diff(seq, l->snd_una) < 0 || tf_link_seq_diff(seq, l->snd_nxt) >= 0) {
        continue;
      }
      t = &l->tx[seq & SLOT_MASK];
      if (!t->sacked) {
        t->sacked = 1;
        t->lost = 0;
        progress = true;
        if (t->tx_count == 1 && (newest == NULL || (int32_t)(t->order - newest->order) > 0)) {
          newest = t;
        }
      }
    }
  }
  if (newest != NULL) {
    rtt_sample(l, now - newest->sent_at);
  }
  /* §3.5.6: progress, or a live peer with a closed window, resets the give-up count */
  if (progress || (rwnd == 0 && ack == l->snd_una)) {
    l->expiries = 0;
  }
  /* §3.5.7: a frame is lost when a frame transmitted after it was sacked (threshold 1) */
  for (s = l->snd_una; s != l->snd_nxt; s++) {
    const tf_link_tx_slot_t *t = &l->tx[s & SLOT_MASK];
    if (t->sacked && (!any_sacked || (int32_t)(t->order - max_sacked_order) > 0)) {
      max_sacked_order = t->order;
      any_sacked = true;
    }
  }
  if (any_sacked) {
    for (s = l->snd_una; s != l->snd_nxt; s++) {
      tf_link_tx_slot_t *t = &l->tx[s & SLOT_MASK];
      if (!t->sacked && !t->lost && (int32_t)(max_sacked_order - t->order) > 0) {
        t->lost = 1;
      }
    }
  }
}

/* §3.5.6: expired timers mark frames lost; one doubling per expiry event. Returns true: give up. */
static bool expire(tf_link_t *l, uint32_t now) {
  uint16_t s;
  bool any = false;

  for (s = l->snd_una; s != l->snd_nxt; s++) {
    tf_link_tx_slot_t *t = &l->tx[s & SLOT_MASK];
    if (!t->sacked && !t->lost && after(now, t->sent_at + l->rto)) {
      t->lost = 1;
      any = true;
    }
  }
  if (any) {
    l->stats.timeouts++;
    l->rto = min_u32(l->rto * 2u, TF_LINK_RTO_MAX_MS);
    if (++l->expiries > TF_LINK_MAX_RETRANSMISSIONS) {
      return true;
    }
  }
  return false;
}

/* ---- receive side, PROTOCOL.md §3.4.2, §3.5.8 ---- */

static void reassemble(tf_link_t *l, const uint8_t *payload, size_t len, bool more) {
  tf_link_event_t ev;

  if (!l->msg_skipping && l->msg_len + len > l->params.max_message_bytes) {
    /* §3.4.2: too large; discard it up to its last fragment, frames stay acknowledged */
    l->msg_skipping = true;
    l->msg_skipped = l->msg_len;
    l->msg_len = 0;
  }
  if (l->msg_skipping) {
    l->msg_skipped += len;
    if (!more) {
      l->msg_skipping = false;
      l->msg_skipped = 0;
      violation(l, TF_STATUS_TOO_LARGE, "message too large");
    }
    return;
  }
  if (len > 0) {
    memcpy(l->msg + l->msg_len, payload, len);
    l->msg_len += len;
  }
  if (!more) {
    l->stats.messages_in++;
    memset(&ev, 0, sizeof ev);
    ev.type = TF_LINK_EV_MESSAGE;
    ev.data = l->msg;
    ev.len = l->msg_len;
    l->msg_len = 0;
    emit(l, &ev); /* the buffer is not touched again before the callback returns */
  }
}

static void on_data(tf_link_t *l, const tf_link_frame_t *f) {
  int32_t d;
  uint32_t limit = l->params.window;

  if (f->h.length > l->params.max_frame_payload) { /* §3.5.8: dropped, not acknowledged */
    violation(l, TF_STATUS_TOO_LARGE, "DATA payload above P");
    return;
  }
  d = tf_link_seq_diff(f->h.seq, l->rcv_nxt);
  if (d < 0) {
    l->stats.duplicates++;
    l->sack_pending = true;
  } else if ((uint32_t)d >= limit) {
    l->stats.out_of_window++;
    l->sack_pending = true;
  } else if (d == 0) {
    reassemble(l, f->payload, f->h.length, (f->h.flags & TF_FLAG_MORE) != 0);
    l->rcv_nxt++;
    for (;;) {
      tf_link_rx_slot_t *hs = &l->held[l->rcv_nxt & SLOT_MASK];
      if (!l->up || !hs->used) {
        break;
      }
      hs->used = 0;
      l->held_count--;
      l->rcv_nxt++;
      reassemble(l, hs->payload, hs->len, hs->more != 0);
    }
    if (l->held_count > 0) {
      l->sack_pending = true;
    } else {
      l->ack_pending = true; /* §3.5.3 rule 2, ACK_DELAY 0 */
    }
  } else {
    tf_link_rx_slot_t *hs = &l->held[f->h.seq & SLOT_MASK];
    if (hs->used) {
      l->stats.duplicates++;
    } else {
      hs->used = 1;
      hs->more = (f->h.flags & TF_FLAG_MORE) != 0;
      hs->len = f->h.length;
      memcpy(hs->payload, f->payload, f->h.length);
      l->held_count++;
    }
    l->sack_pending = true;
  }
}

static uint32_t sack_bits(const tf_link_t *l) {
  uint32_t bits = 0;
  uint32_t i;

  for (i = 0; i + 1u < l->params.window && i < 32u; i++) {
    if (l->held[(uint16_t)(l->rcv_nxt + 1u + i) & SLOT_MASK].used) {
      bits |= 1u << i;
    }
  }
  return bits;
}

/* ---- input ---- */

static void on_frame(tf_link_t *l, const tf_link_frame_t *f, uint32_t now) {
  tf_link_hello_t h;
  tf_link_event_t ev;

  l->stats.frames_in++;
  switch (f->h.type) {
  case TF_FRAME_HELLO:
    tf_link_hello_read(f->payload, &h);
    on_hello(l, &h, now);
    return;
  case TF_FRAME_HELLO_ACK:
    tf_link_hello_read(f->payload, &h);
    on_hello_ack(l, &h, now);
    return;
  case TF_FRAME_ERROR: /* §3.8.1: reported, never answered */
    l->stats.errors_in++;
    memset(&ev, 0, sizeof ev);
    ev.type = TF_LINK_EV_PEER_ERROR;
    ev.code = (uint16_t)(f->payload[0] | (f->payload[1] << 8));
    ev.data = f->payload + 2;
    ev.len = f->h.length - 2u;
    emit(l, &ev);
    return;
  default:
    break;
  }
  if (!l->up) {
    l->stats.ignored++; /* §3.6.3: DATA and ACK while connecting are ignored */
    return;
  }
  if (f->h.type == TF_FRAME_ACK) {
    on_ack(l, f->h.ack, f->payload, f->h.rwnd, now);
    return;
  }
  if ((f->h.flags & TF_FLAG_ACK_VALID) != 0) {
    on_ack(l, f->h.ack, NULL, f->h.rwnd, now);
  }
  on_data(l, f);
}

void tf_link_input(tf_link_t *l, const uint8_t *data, size_t len, uint32_t now) {
  while (len > 0) {
    size_t used = 0;
    size_t raw_len = 0;
    tf_status_t rc = tf_link_deframer_feed(&l->deframer, data, len, &used, &raw_len);
    data += used;
    len -= used;
    if (rc != TF_OK) {
      l->stats.framing_errors++; /* §3.7.2 steps 1, 3: silently dropped */
    } else if (raw_len > 0) {
      tf_link_frame_t f;
      bool after_crc = false;
      rc = tf_link_frame_decode(l->deframer.buf, raw_len, TF_LINK_RX_PAYLOAD_MAX, &f, &after_crc);
      if (rc == TF_OK) {
        on_frame(l, &f, now);
      } else if (!after_crc) {
        if (rc == TF_STATUS_CRC_MISMATCH) {
          l->stats.crc_errors++;
        } else {
          l->stats.framing_errors++;
        }
      } else {
        /* §3.8.2: good CRC, bad frame: answered, unless it is itself an ERROR frame */
        l->stats.frame_errors++;
        emit_simple(l, TF_LINK_EV_ERROR, tf_status_to_error(rc));
        if (f.h.type != TF_FRAME_ERROR) {
          queue_error(l, rc, "bad frame");
        }
      }
    }
  }
}

/* ---- output, PROTOCOL.md §3.5.9 ---- */

static tf_status_t put_frame(tf_link_t *l, const tf_link_header_t *h, const uint8_t *payload, size_t len,
                             bool force_delimiter, uint32_t now, uint8_t *out, size_t cap, size_t *out_len) {
  /* §3.7.3: HELLO/HELLO_ACK after a 0x00; any frame after IDLE_DELIMITER of silence too */
  bool lead = force_delimiter || !l->ever_sent || after(now, l->last_tx + TF_LINK_IDLE_DELIMITER_MS);
  tf_status_t rc = tf_link_frame_encode(h, payload, len, lead, out, cap, out_len);

  if (rc == TF_OK) {
    l->ever_sent = true;
    l->last_tx = now;
    l->stats.frames_out++;
  }
  return rc;
}

static void ack_header(const tf_link_t *l, tf_link_header_t *h, uint8_t type) {
  memset(h, 0, sizeof *h);
  h->version = TF_PROTOCOL_VERSION;
  h->type = type;
  h->flags = TF_FLAG_ACK_VALID;
  h->rwnd = l->params.window;
  h->ack = l->rcv_nxt;
}

static tf_status_t put_ack(tf_link_t *l, uint32_t now, uint8_t *out, size_t cap, size_t *out_len) {
  tf_link_header_t h;
  uint8_t sack[4];
  uint32_t bits = sack_bits(l);

  ack_header(l, &h, TF_FRAME_ACK);
  sack[0] = (uint8_t)bits;
  sack[1] = (uint8_t)(bits >> 8);
  sack[2] = (uint8_t)(bits >> 16);
  sack[3] = (uint8_t)(bits >> 24);
  l->ack_pending = l->sack_pending = false;
  l->stats.acks_out++;
  return put_frame(l, &h, sack, sizeof sack, false, now, out, cap, out_len);
}

static tf_status_t put_data(tf_link_t *l, tf_link_tx_slot_t *t, uint32_t now, uint8_t *out, size_t cap,
                            size_t *out_len) {
  tf_link_header_t h;

  ack_header(l, &h, TF_FRAME_DATA); /* §3.5.3: every DATA carries the cumulative ack */
  h.flags = (uint8_t)(TF_FLAG_ACK_VALID | (t->more ? TF_FLAG_MORE : 0u));
  h.seq = t->seq;
  t->sent_at = now;
  t->order = ++l->tx_order;
  if (t->tx_count < 255u) {
    t->tx_count++;
  }
  if (t->tx_count > 1u) {
    l->stats.retransmissions++;
  }
  t->lost = 0;
  l->ack_pending = false;
  l->stats.data_out++;
  return put_frame(l, &h, t->payload, t->len, false, now, out, cap, out_len);
}

/* §3.4.1: cuts the next fragment of the head message into a new slot, if the window allows. */
static tf_link_tx_slot_t *new_fragment(tf_link_t *l) {
  uint32_t allowed = l->peer_rwnd < l->params.window ? l->peer_rwnd : l->params.window;
  tf_link_tx_slot_t *t;
  uint32_t msg_len, n;

  if (allowed < 1u) {
    allowed = 1u; /* §3.5.5: the window probe */
  }
  if (l->txq_count == 0 || (uint32_t)tf_link_seq_diff(l->snd_nxt, l->snd_una) >= allowed) {
    return NULL;
  }
  msg_len = txq_head_len(l);
  n = msg_len - (uint32_t)l->frag_off;
  if (n > l->params.max_frame_payload) {
    n = l->params.max_frame_payload;
  }
  t = &l->tx[l->snd_nxt & SLOT_MASK];
  memset(t, 0, offsetof(tf_link_tx_slot_t, payload));
  t->seq = l->snd_nxt++;
  t->len = (uint16_t)n;
  memcpy(t->payload, l->txq + TXQ_HDR + l->frag_off, n);
  l->frag_off += n;
  t->more = l->frag_off < msg_len;
  t->last = !t->more;
  t->ticket = get_u32(l->txq + 4u);
  if (t->last) {
    txq_pop(l);
  }
  return t;
}

tf_status_t tf_link_output(tf_link_t *l, uint32_t now, uint8_t *out, size_t cap, size_t *out_len) {
  tf_status_t rc = TF_OK;
  tf_link_header_t h;
  uint8_t payload[TF_LINK_HELLO_PAYLOAD_BYTES + 2u + TF_LINK_ERROR_TEXT_BYTES];
  tf_link_hello_t hello;
  uint16_t s;
  tf_link_tx_slot_t *t;

  *out_len = 0;
  /* timers */
  if (!l->up) {
    if (after(now, l->hello_at)) {
      l->hello_due = true;
      l->hello_at = now + TF_LINK_HELLO_INTERVAL_MS;
    }
  } else if (expire(l, now)) {
    link_down(l, TF_ERR_TIMEOUT, now);
  }
  memset(&h, 0, sizeof h);
  h.version = TF_PROTOCOL_VERSION;
  /* 1. pending HELLO_ACK or ERROR, or a due HELLO */
  if (l->hello_ack_pending) {
    l->hello_ack_pending = false;
    h.type = TF_FRAME_HELLO_ACK;
    tf_link_hello_write(&l->hello_ack, payload);
    rc = put_frame(l, &h, payload, TF_LINK_HELLO_PAYLOAD_BYTES, true, now, out, cap, out_len);
    goto out;
  }
  if (l->error_count > 0) {
    const tf_link_error_entry_t *e = &l->errors[0];
    h.type = TF_FRAME_ERROR;
    payload[0] = (uint8_t)e->code;
    payload[1] = (uint8_t)(e->code >> 8);
    memcpy(payload + 2, e->text, e->text_len);
    rc = put_frame(l, &h, payload, 2u + e->text_len, false, now, out, cap, out_len);
    memmove(&l->errors[0], &l->errors[1], (size_t)(l->error_count - 1u) * sizeof l->errors[0]);
    l->error_count--;
    goto out;
  }
  if (!l->up) {
    if (l->hello_due) {
      l->hello_due = false;
      l->stats.hellos_out++;
      h.type = TF_FRAME_HELLO;
      offer(l, &hello);
      tf_link_hello_write(&hello, payload);
      rc = put_frame(l, &h, payload, TF_LINK_HELLO_PAYLOAD_BYTES, true, now, out, cap, out_len);
    }
    goto out;
  }
  /* 2. an ACK required by §3.5.3 rule 1 */
  if (l->sack_pending) {
    rc = put_ack(l, now, out, cap, out_len);
    goto out;
  }
  /* 3. the lowest lost DATA frame */
  for (s = l->snd_una; s != l->snd_nxt; s++) {
    t = &l->tx[s & SLOT_MASK];
    if (t->lost && !t->sacked) {
      rc = put_data(l, t, now, out, cap, out_len);
      goto out;
    }
  }
  /* 4. a new DATA frame if the window allows */
  t = new_fragment(l);
  if (t != NULL) {
    rc = put_data(l, t, now, out, cap, out_len);
    goto out;
  }
  /* 5. an ACK by rule 2 */
  if (l->ack_pending) {
    rc = put_ack(l, now, out, cap, out_len);
  }
out:
  return rc;
}
