/**
 * @file tf_link.h
 * @brief The serial link layer of PROTOCOL.md §3: frame codec, streaming deframer and the
 *        selective-repeat endpoint (HELLO negotiation, windows, SACK, RTO, fragmentation).
 *
 * Frame codec (§3.1-§3.3, §3.7.2)
 * -------------------------------
 *   tf_link_frame_encode()   header + payload + CRC-32, COBS, delimiter(s) into a caller buffer
 *   tf_link_frame_decode()   one decoded (un-COBSed) raw frame, checks in the order of §3.7.2
 *   tf_link_deframer_*()     byte stream -> raw frames; resyncs at every 0x00 (§3.7.1)
 *
 * Endpoint (§3.4-§3.6, §3.8, §3.9)
 * --------------------------------
 * A pure state machine fed bytes and time, like the TypeScript LinkEndpoint:
 *   tf_link_init()           offer + callbacks; starts connecting (HELLO every HELLO_INTERVAL)
 *   tf_link_input()          bytes read from the line (never fails on any input)
 *   tf_link_output()         at a transmit opportunity: the next whole encoded frame, built now
 *                            so it carries the newest ack; 0 bytes when nothing is due
 *   tf_link_send()           queues one message (copied); fragments are cut at transmit time
 *   tf_link_reset()          ends the session from this side (link down, reason local)
 * Events (connected, message, peer reset, link down, local error, peer ERROR frame) go to one
 * callback, called from tf_link_input()/tf_link_output(); the callback may call tf_link_send().
 * Time is the HAL's millisecond clock (uint32_t, wraps; compared by signed difference).
 *
 * Differences from the TypeScript endpoint, all allowed by §3: a session end reports the
 * *counts* of unacked and unsent messages (their bytes are freed, not handed back); receive flow
 * control (rwnd 0) is not used (the device consumes every message at once). Instead of handing
 * bytes back, the link numbers every accepted message with a *ticket* (tf_link_last_ticket) and
 * tells which was delivered last (tf_link_delivered_ticket): an application that must re-send
 * after a session end (§3.6.4 item 2) keeps its own copy until its ticket is delivered; the agent
 * does so for its training reports (tf_agent.h, TF_AGENT_REPLAY_BYTES).
 *
 * Static memory (no malloc), set by the TF_LINK_CFG_* macros below; one tf_link_t holds all:
 *   tx slots      TF_LINK_CFG_WINDOW x (TF_LINK_CFG_FRAME_PAYLOAD + 24)   frames in flight
 *   rx held       TF_LINK_CFG_WINDOW x (TF_LINK_CFG_FRAME_PAYLOAD + 4)    out-of-order frames
 *   reassembly    TF_LINK_CFG_MESSAGE_BYTES                             message being received
 *   send queue    TF_LINK_CFG_TXQ_BYTES                                 messages not yet cut
 *   deframer      TF_LINK_RX_FRAME_BYTES                                one decoded raw frame
 * With the defaults (W 8, P 256, M 4352, queue 2048): sizeof(tf_link_t) = 11,496 bytes on
 * x86-64 (2,240 tx slots + 2,080 held + 4,352 reassembly + 2,048 queue + 294 deframer + state;
 * tf_link_ram_bytes() returns the exact figure; the vmcu logs it); the caller also needs one transmit buffer of
 * TF_LINK_TX_FRAME_BYTES (275 bytes).
 */
#ifndef TF_LINK_H
#define TF_LINK_H

#include "tinyfleet/tf_cobs.h"
#include "tinyfleet/tf_protocol.h"
#include "tinyfleet/tf_status.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- compile-time configuration (PROTOCOL.md §3.9, §3.10) ---- */

/** Offered window W; a power of two, 1..32 (sequence slots are indexed seq mod W). */
#ifndef TF_LINK_CFG_WINDOW
#define TF_LINK_CFG_WINDOW 8u
#endif
/** Offered max_frame_payload P, 64..4096. */
#ifndef TF_LINK_CFG_FRAME_PAYLOAD
#define TF_LINK_CFG_FRAME_PAYLOAD 256u
#endif
/** Offered max_message_bytes M (the reassembly buffer), 64..65536. */
#ifndef TF_LINK_CFG_MESSAGE_BYTES
#define TF_LINK_CFG_MESSAGE_BYTES 4352u
#endif
/** Bytes of queued outgoing messages (8 bytes of length and ticket each + the message). */
#ifndef TF_LINK_CFG_TXQ_BYTES
#define TF_LINK_CFG_TXQ_BYTES 2048u
#endif
/** Pending ERROR frames (beyond this they are dropped and counted). */
#ifndef TF_LINK_CFG_ERROR_QUEUE
#define TF_LINK_CFG_ERROR_QUEUE 4u
#endif
/** Longest text of an ERROR frame this side sends. */
#define TF_LINK_ERROR_TEXT_BYTES 48u

/* Timers, PROTOCOL.md §3.9 defaults. */
#define TF_LINK_HELLO_INTERVAL_MS 250u
#define TF_LINK_RTO_INITIAL_MS 1000u
#define TF_LINK_RTO_MIN_MS 20u
#define TF_LINK_RTO_MAX_MS 2000u
#define TF_LINK_MAX_RETRANSMISSIONS 10u
#define TF_LINK_IDLE_DELIMITER_MS 50u

#if (TF_LINK_CFG_WINDOW & (TF_LINK_CFG_WINDOW - 1u)) != 0 || TF_LINK_CFG_WINDOW < 1u || TF_LINK_CFG_WINDOW > 32u
#error "TF_LINK_CFG_WINDOW must be a power of two in 1..32"
#endif
#if TF_LINK_CFG_FRAME_PAYLOAD < 64u || TF_LINK_CFG_FRAME_PAYLOAD > 4096u
#error "TF_LINK_CFG_FRAME_PAYLOAD must be in 64..4096"
#endif
#if TF_LINK_CFG_MESSAGE_BYTES < 64u || TF_LINK_CFG_MESSAGE_BYTES > 65536u
#error "TF_LINK_CFG_MESSAGE_BYTES must be in 64..65536"
#endif

/** Raw frame overhead: header + CRC (§3.1.1). */
#define TF_LINK_OVERHEAD (TF_LINK_HEADER_BYTES + TF_LINK_CRC_BYTES)
/** Largest payload the deframer accepts: max(own offer, default) (§3.7.1). */
#define TF_LINK_RX_PAYLOAD_MAX \
  (TF_LINK_CFG_FRAME_PAYLOAD > TF_LINK_DEFAULT_FRAME_PAYLOAD ? TF_LINK_CFG_FRAME_PAYLOAD : TF_LINK_DEFAULT_FRAME_PAYLOAD)
/** Decoded raw frame buffer of the deframer. */
#define TF_LINK_RX_FRAME_BYTES (TF_LINK_OVERHEAD + TF_LINK_RX_PAYLOAD_MAX)
/** Largest encoded frame tf_link_output() writes: leading 0x00 + COBS + delimiter (§3.10). */
#define TF_LINK_TX_FRAME_BYTES (TF_COBS_MAX_ENCODED_LEN(TF_LINK_OVERHEAD + TF_LINK_RX_PAYLOAD_MAX) + 2u)

/** Decoded header (§3.2.1). */
typedef struct tf_link_header {
  uint8_t version;
  uint8_t type;
  uint8_t flags;
  uint8_t rwnd;
  uint16_t seq;
  uint16_t ack;
  uint16_t length;
} tf_link_header_t;

/** A decoded frame: header and a view of the payload inside the raw frame. */
typedef struct tf_link_frame {
  tf_link_header_t h;
  const uint8_t *payload;
} tf_link_frame_t;

/** HELLO / HELLO_ACK payload (§3.6.1). */
typedef struct tf_link_hello {
  uint8_t version;
  uint8_t window;
  uint16_t max_frame_payload;
  uint32_t max_message_bytes;
  uint32_t epoch;
  uint32_t peer_epoch;
} tf_link_hello_t;

/**
 * Encodes one frame: header @p h (its length field is ignored and set from @p len), payload,
 * CRC-32 (§3.3), COBS (§3.1.2), then the 0x00 delimiter; with @p leading_delimiter a 0x00 first
 * (§3.7.3). @return TF_OK, TF_STATUS_NO_SPACE, TF_STATUS_TOO_LARGE (len > 4096).
 */
tf_status_t tf_link_frame_encode(const tf_link_header_t *h, const uint8_t *payload, size_t len,
                                 bool leading_delimiter, uint8_t *out, size_t cap, size_t *out_len);

/**
 * Checks one raw (COBS-decoded) frame in the order of §3.7.2, steps 2-12, accepting payloads up
 * to @p max_payload. Fills @p f (header even on failure when len >= 10). @p after_crc is set
 * when the CRC was good (so a failure must be answered with an ERROR frame, §3.8.2).
 */
tf_status_t tf_link_frame_decode(const uint8_t *raw, size_t len, size_t max_payload, tf_link_frame_t *f,
                                 bool *after_crc);

/** Serializes / parses the 16-byte HELLO payload (§3.6.1). Parsing checks only the length. */
void tf_link_hello_write(const tf_link_hello_t *h, uint8_t out[16]);
void tf_link_hello_read(const uint8_t in[16], tf_link_hello_t *h);
/** §3.6.2 value checks: UNSUPPORTED_VERSION, OUT_OF_RANGE or BAD_FIELD; TF_OK when valid. */
tf_status_t tf_link_hello_check(const tf_link_hello_t *h);

/** Signed sequence distance d(a, b) of §3.5.1. */
int32_t tf_link_seq_diff(uint16_t a, uint16_t b);

/** Streaming deframer: COBS stream decoder with its own raw-frame buffer (§3.7.1). */
typedef struct tf_link_deframer {
  tf_cobs_decoder_t cobs;
  uint8_t buf[TF_LINK_RX_FRAME_BYTES];
} tf_link_deframer_t;

void tf_link_deframer_init(tf_link_deframer_t *d);

/**
 * Feeds bytes. Stops after a frame boundary that produced a frame or an error:
 * @p consumed bytes were used; @p raw_len > 0 when a raw frame is in d->buf; a COBS or size
 * failure (§3.7.2 steps 1, 3) returns TF_STATUS_MALFORMED / TF_STATUS_TOO_LARGE.
 */
tf_status_t tf_link_deframer_feed(tf_link_deframer_t *d, const uint8_t *data, size_t len, size_t *consumed,
                                  size_t *raw_len);

/* ---- endpoint ---- */

typedef enum tf_link_event_type {
  TF_LINK_EV_CONNECTED = 1,  /**< session up; params in the event */
  TF_LINK_EV_MESSAGE = 2,    /**< data/len: one reassembled message (valid during the callback) */
  TF_LINK_EV_PEER_RESET = 3, /**< peer started a new session (§3.6.4 a) */
  TF_LINK_EV_LINK_DOWN = 4,  /**< this side ended it: retransmissions (code TIMEOUT) or local */
  TF_LINK_EV_ERROR = 5,      /**< a violation by the peer detected here (code); also sent as ERROR */
  TF_LINK_EV_PEER_ERROR = 6  /**< an ERROR frame from the peer: code, data/len = text */
} tf_link_event_type_t;

typedef struct tf_link_event {
  tf_link_event_type_t type;
  uint16_t code;
  const uint8_t *data;
  size_t len;
  uint32_t unacked;           /**< session end: messages sent in part, not known delivered */
  uint32_t unsent;            /**< session end: messages never sent */
  uint32_t discarded_inbound; /**< session end: bytes of a partly received message */
} tf_link_event_t;

typedef void (*tf_link_event_fn)(void *ctx, const tf_link_event_t *ev);

/** Negotiated parameters (§3.6.2). */
typedef struct tf_link_params {
  uint8_t version;
  uint8_t window;
  uint16_t max_frame_payload;
  uint32_t max_message_bytes;
} tf_link_params_t;

/** Counters for diagnostics and tests. */
typedef struct tf_link_stats {
  uint32_t frames_in, frames_out, data_out, retransmissions, timeouts, acks_out;
  uint32_t crc_errors, framing_errors, frame_errors, ignored, duplicates, out_of_window;
  uint32_t messages_in, messages_out, hellos_out, connects, peer_resets, link_downs;
  uint32_t errors_in, errors_out, errors_dropped;
} tf_link_stats_t;

/** One DATA frame in flight (send side). */
typedef struct tf_link_tx_slot {
  uint16_t seq;
  uint16_t len;
  uint8_t more;   /**< MORE flag */
  uint8_t last;   /**< last fragment of its message */
  uint8_t sacked; /**< selectively acknowledged */
  uint8_t lost;   /**< waiting for retransmission */
  uint8_t tx_count;
  uint32_t ticket; /**< last fragment: its message's ticket (tf_link_last_ticket) */
  uint32_t sent_at;
  uint32_t order; /**< transmission number of its latest transmission (§3.5.7) */
  uint8_t payload[TF_LINK_CFG_FRAME_PAYLOAD];
} tf_link_tx_slot_t;

/** One DATA frame held out of order (receive side). */
typedef struct tf_link_rx_slot {
  uint8_t used;
  uint8_t more;
  uint16_t len;
  uint8_t payload[TF_LINK_CFG_FRAME_PAYLOAD];
} tf_link_rx_slot_t;

typedef struct tf_link_error_entry {
  uint16_t code;
  uint8_t text_len;
  char text[TF_LINK_ERROR_TEXT_BYTES];
} tf_link_error_entry_t;

/** The endpoint; all fields private. */
typedef struct tf_link {
  tf_link_event_fn on_event;
  void *ctx;
  uint32_t rng;
  bool up;
  uint32_t epoch, peer_epoch;
  tf_link_params_t params;
  /* control frames (§3.5.9 rule 1) */
  bool hello_due;
  uint32_t hello_at;
  bool hello_ack_pending;
  tf_link_hello_t hello_ack;
  tf_link_error_entry_t errors[TF_LINK_CFG_ERROR_QUEUE];
  uint8_t error_count;
  /* transmitter */
  bool ever_sent;
  uint32_t last_tx;
  /* send side (§3.5.2, §3.5.6, §3.5.7) */
  uint16_t snd_una, snd_nxt;
  uint8_t peer_rwnd;
  uint32_t tx_order;
  uint32_t rto, srtt_x8, rttvar_x4;
  bool have_rtt;
  uint32_t expiries;
  tf_link_tx_slot_t tx[TF_LINK_CFG_WINDOW];
  /* send queue: [u32 len LE][u32 ticket LE][bytes] ... */
  uint32_t ticket;    /**< ticket of the message last accepted (0: none yet) */
  uint32_t delivered; /**< ticket of the newest message delivered (0: none yet) */
  uint8_t txq[TF_LINK_CFG_TXQ_BYTES];
  size_t txq_len;
  uint32_t txq_count;
  size_t frag_off; /**< bytes of the head message already cut into fragments */
  /* receive side (§3.4.2, §3.5.8) */
  uint16_t rcv_nxt;
  bool ack_pending, sack_pending;
  uint8_t held_count;
  tf_link_rx_slot_t held[TF_LINK_CFG_WINDOW];
  uint8_t msg[TF_LINK_CFG_MESSAGE_BYTES];
  size_t msg_len;
  bool msg_skipping;
  size_t msg_skipped;
  tf_link_deframer_t deframer;
  tf_link_stats_t stats;
} tf_link_t;

/**
 * Starts an endpoint connecting. @p seed feeds the epoch generator (§3.6.3: SHOULD be
 * unpredictable: a hardware RNG value, or a hash of a unique id, a boot counter and a timer).
 */
void tf_link_init(tf_link_t *l, uint32_t seed, uint32_t now, tf_link_event_fn on_event, void *ctx);

/** Feeds bytes read from the line (§3.7). */
void tf_link_input(tf_link_t *l, const uint8_t *data, size_t len, uint32_t now);

/**
 * Runs the timers and writes the next due frame into @p out (capacity >= TF_LINK_TX_FRAME_BYTES);
 * @p out_len 0 when nothing is due. Call until it returns 0 bytes whenever the UART can take more.
 */
tf_status_t tf_link_output(tf_link_t *l, uint32_t now, uint8_t *out, size_t cap, size_t *out_len);

/**
 * Queues a message of @p len bytes (copied). @return TF_OK; TF_STATUS_TOO_LARGE above the
 * negotiated (before a session: the offered) M (§3.4.1); TF_STATUS_BUSY when the queue is full.
 */
tf_status_t tf_link_send(tf_link_t *l, const uint8_t *data, size_t len);

/**
 * Ticket of the message the last successful tf_link_send() accepted: 1, 2, 3, ... in acceptance
 * order (wraps, skipping 0; compare by signed difference). Never reset, not even by a session end.
 */
uint32_t tf_link_last_ticket(const tf_link_t *l);

/**
 * Ticket of the newest message known delivered: its last fragment was cumulatively acknowledged
 * (§3.5.3); 0 before any. Within a session messages are delivered in ticket order, so every
 * message accepted in this session (or queued while connecting) with a ticket at or before it is
 * delivered too. A session end (§3.6.4) discards the others: a message whose ticket predates the
 * end and was not delivered by then never will be, whatever this value does afterwards.
 */
uint32_t tf_link_delivered_ticket(const tf_link_t *l);

/** Ends the session from this side (§3.6.4 c) and starts a new handshake. */
void tf_link_reset(tf_link_t *l, uint32_t now);

bool tf_link_is_up(const tf_link_t *l);
/** Negotiated parameters; only meaningful while up. */
const tf_link_params_t *tf_link_params(const tf_link_t *l);
const tf_link_stats_t *tf_link_stats(const tf_link_t *l);
/** Bytes of RAM the endpoint uses (sizeof(tf_link_t)). */
size_t tf_link_ram_bytes(void);

#endif /* TF_LINK_H */
