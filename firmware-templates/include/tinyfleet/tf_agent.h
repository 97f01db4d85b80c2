/**
 * @file tf_agent.h
 * @brief The device agent: the link (tf_link.h) over the HAL UART, the device session of
 *        PROTOCOL.md §4.2, inference (§4.5) and OTA (§4.6).
 *
 * After every link HELLO (§3.6) the agent sends the §4.2.1 HELLO message (capabilities from the
 * HAL caps and this config, runtime ABI, op kinds the interpreter implements (tf_interp.h: all
 * of §5.4), slot size, the model in the active slot: sha256, version, slot) and repeats it (new id) every 5 s until a
 * HELLO_ACK arrives (60 s after an ERROR answer). After HELLO_ACK it sends HEARTBEAT at once and
 * then every `hb` ms. A message that fails decoding, or a valid request this runtime does not
 * implement yet, is answered with an ERROR message (§4.2.5; re = its id when it could be read);
 * reports and ERROR messages are never answered (§4.1.7). Nothing is sent before HELLO_ACK but
 * HELLO (§4.2 item 1).
 *
 * Model and inference (§4.5): the port passes the active slot as a memory-mapped view (cfg.model,
 * as a Cortex-M maps its flash; the host port maps its flash file) plus an arena and a RAM buffer
 * (tf_interp.h). tf_agent_init validates it (tf_artifact_open, §5.10) and prepares the interpreter;
 * the result is tf_agent_t.model_status. INFER_REQUEST is answered with INFER_RESULT, or ERROR:
 * BAD_STATE without a usable model, INCOMPATIBLE when shape, xs or xz differ from the model input,
 * the codec's OUT_OF_RANGE for a malformed shape. Weights stay in place in the slot.
 *
 * OTA (§4.6, tf_ota.h): with cfg.slots and cfg.map_slot set, the agent owns the model: at init
 * it opens the transfer record (tf_ota_open, which may revert an unconfirmed trial) and maps the
 * slot that runs; OTA_OFFER / BLOCK / COMMIT / TEST_BOOT / CONFIRM / REVERT are answered with
 * OTA_STATUS (re = the request) or ERROR; after HELLO_ACK an OTA_STATUS is sent when the state is
 * not IDLE (§4.2 item 3). The test boot runs in place: the new slot is mapped, prepared and smoke
 * tested (§4.6.5: the given input and SHA-256 of the output against ysha, or an input of zero
 * points that must run). Without cfg.slots, OTA requests get ERROR INCOMPATIBLE.
 *
 * Training (§4.3, §4.4, tf_train.h; src/core/tf_agent_train.c): with cfg.train_buf and cfg.sample_buf
 * set, HELLO says `fqt` true and `sbuf` = the samples the sample buffer holds for the active model.
 * TRAIN_START is checked against the model (its TRAIN record, the trainable ops, the RAM of the
 * training buffers: NO_SPACE), restarts the interpreter from the slot's weights and answers
 * TRAIN_STATUS RUNNING then SAMPLE_CREDIT. SAMPLE_BATCH samples are buffered under the credit
 * window of §4.3; each pass of tf_agent_step() runs at most one step (bs samples) when the link's send
 * queue has room, then sends TRAIN_METRICS (every `me` steps and the last), GRAD_UPDATE per trained
 * layer (every `ge` steps, split to fit TF_AGENT_MSG_BYTES) and TRAIN_STATUS DONE / FAILED. Trained
 * weights live in the interpreter's RAM copies only: flash is never written (§4.4), a reboot or
 * the next session starts again from the slot.
 *
 * Reports survive a link reset (§3.6.4 item 2): every TRAIN_STATUS, TRAIN_METRICS and GRAD_UPDATE
 * the agent hands to the link is also kept, byte for byte, in a replay buffer (TF_AGENT_REPLAY_BYTES)
 * until the link says it was delivered (tf_link_delivered_ticket). When a session ends (peer reset,
 * link down, local reset) the kept reports are marked unsent; after the next HELLO_ACK and what §4.2
 * item 3 sends at once (OTA_STATUS, HEARTBEAT) they are queued again, in their original order, with
 * the same bytes and ids, as fast as the link queue takes them (keeping room for one message of other
 * traffic). While some wait to be re-sent, or the buffer lacks room
 * for a report of TF_AGENT_MSG_BYTES, no report is made and no training step runs (backpressure).
 * The one report that cannot wait is a TRAIN_STATUS answering TRAIN_START / STOP / CONFIG (made when
 * the request is handled): without room it is sent but not kept, and counted in replay_unkept; the
 * gateway gets it again by repeating the request (§4.4.8).
 *
 * Message ids (§4.1.5): boot counter (u32 LE) || message counter (u32 LE); the port persists the
 * boot counter and passes it in the config.
 *
 * RAM: sizeof(tf_agent_t) = tf_link_t + one transmit frame + one message buffer
 * (TF_AGENT_MSG_BYTES) + the replay buffer (TF_AGENT_REPLAY_BYTES) + the interpreter, OTA and
 * training state; no allocation. Call tf_agent_step() from the main loop.
 */
#ifndef TF_AGENT_H
#define TF_AGENT_H

#include "tinyfleet/tf_artifact.h"
#include "tinyfleet/tf_hal.h"
#include "tinyfleet/tf_interp.h"
#include "tinyfleet/tf_link.h"
#include "tinyfleet/tf_msg.h"
#include "tinyfleet/tf_ota.h"
#include "tinyfleet/tf_slots.h"
#include "tinyfleet/tf_train.h"

#include <stdbool.h>
#include <stdint.h>

/** Largest message the agent builds (HELLO's largest encoding is 548 bytes, §4.2.1; an
 *  INFER_RESULT needs about 60 bytes plus the output tensor). */
#ifndef TF_AGENT_MSG_BYTES
#define TF_AGENT_MSG_BYTES 1024u
#endif
/**
 * Replay buffer of training reports not yet known delivered (§3.6.4 item 2): 8 bytes (length,
 * ticket) per report + its bytes. Default: the link's send queue + one window of frame payloads,
 * what the link can hold undelivered (host port, W 16: 6,144 bytes; MCU ports, W 8: 4,096 bytes).
 * Smaller values are allowed down to one largest report (TF_AGENT_MSG_BYTES + 8): training then
 * waits for acknowledgements sooner (backpressure), it never drops a report.
 */
#ifndef TF_AGENT_REPLAY_BYTES
#define TF_AGENT_REPLAY_BYTES (TF_LINK_CFG_TXQ_BYTES + TF_LINK_CFG_WINDOW * TF_LINK_CFG_FRAME_PAYLOAD)
#endif
#if TF_AGENT_REPLAY_BYTES < TF_AGENT_MSG_BYTES + 8u
#error "TF_AGENT_REPLAY_BYTES must hold at least one report of TF_AGENT_MSG_BYTES (+ 8)"
#endif
/** HELLO repeat without an answer, and after an ERROR answer (§4.2 items 1, 2). */
#define TF_AGENT_HELLO_RETRY_MS 5000u
#define TF_AGENT_HELLO_RETRY_AFTER_ERROR_MS 60000u
/** Default heartbeat period (§4.2.2). */
#define TF_AGENT_DEFAULT_HB_MS 10000u

typedef struct tf_agent_config {
  const tf_hal_t *hal;
  const char *device_id;  /**< [A-Za-z0-9_-], 1..64 */
  const char *fw_version; /**< 1..64 bytes */
  uint32_t slot_bytes;
  uint32_t boot_counter;
  uint32_t baud; /**< 0: unknown (not sent) */
  bool has_model;
  uint8_t model_sha256[32];
  uint32_t model_version;
  uint8_t active_slot;
  uint32_t seed; /**< epoch seed for the link (§3.6.3) */
  const uint8_t *model; /**< the active slot, memory-mapped, 4-aligned; NULL: no model */
  uint32_t model_len;
  uint8_t *arena; /**< inference arena (>= the artifact's arena_infer_bytes), 4-aligned */
  size_t arena_len;
  uint8_t *ram; /**< interpreter RAM (>= tf_interp_ram_size), 8-aligned */
  size_t ram_len;
  /* OTA (optional) */
  tf_slots_t *slots;              /**< opened and booted; NULL: no OTA, cfg.model is used */
  tf_slots_boot_result_t boot;    /**< what tf_slots_boot() chose at start */
  uint32_t ota_region_addr;       /**< transfer record (tf_ota.h), whole pages */
  uint32_t ota_region_bytes;
  /** The bytes of @p slot (@p len), memory-mapped or copied to RAM, 16-aligned; NULL: read error. */
  const uint8_t *(*map_slot)(void *ctx, uint8_t slot, uint32_t len);
  void *map_ctx;
  /* Training (optional; NULL: `fqt` false, TRAIN_START answered INCOMPATIBLE) */
  uint8_t *train_buf; /**< tf_train_prepare() buffers, 16-aligned */
  size_t train_len;
  uint8_t *sample_buf; /**< received samples (inputs + labels) */
  size_t sample_len;
} tf_agent_config_t;

/** A training session (§4.4) as the agent runs it (private). */
typedef struct tf_agent_session {
  uint32_t sid;       /**< 0: no session yet */
  uint8_t st;         /**< TRAIN_STATES */
  uint16_t err;       /**< ERROR_CODES value when FAILED */
  uint32_t step, n;   /**< steps and samples trained */
  uint32_t steps, smax, me, ge;
  uint32_t next;      /**< §4.3: lowest sequence number not received */
  uint32_t limit;     /**< next + cr of the last SAMPLE_CREDIT */
  uint32_t credit_at; /**< when the last SAMPLE_CREDIT was sent */
  uint32_t head, count, cap; /**< sample ring */
  uint32_t input_bytes;
  bool metrics_pending, status_pending;
  uint32_t grad_layer, grad_row; /**< next GRAD_UPDATE rows to send; grad_layer >= layer count: none */
  float win_loss;                /**< §4.4.6: loss summed over the samples since the last TRAIN_METRICS */
  uint32_t win_correct, win_n;   /**< and how many of those samples, classified correctly and in all */
  tf_msg_train_metrics_t metrics;
} tf_agent_session_t;

typedef enum tf_agent_state {
  TF_AGENT_LINK_DOWN = 0,  /**< link connecting */
  TF_AGENT_WAIT_HELLO_ACK, /**< HELLO sent */
  TF_AGENT_RUNNING         /**< HELLO_ACK received */
} tf_agent_state_t;

typedef struct tf_agent {
  tf_agent_config_t cfg;
  tf_agent_state_t state;
  tf_link_t link;
  uint32_t now;       /**< millis at the current step */
  uint64_t uptime_ms; /**< 64-bit uptime from the wrapping HAL clock */
  uint32_t last_millis;
  uint32_t msg_counter;
  uint32_t hello_at; /**< when to repeat HELLO */
  uint32_t hb_ms;
  uint32_t hb_at;
  uint32_t rx, tx, nerr;
  uint32_t msg_type; /**< type of the message last given an id (tf_agent_next_id) */
  /* replay buffer (§3.6.4 item 2): [u32 len LE][u32 ticket LE, 0: to re-send][bytes] ..., oldest first */
  uint8_t replay[TF_AGENT_REPLAY_BYTES];
  size_t replay_len;
  uint32_t replay_count;   /**< reports kept */
  uint32_t replay_pending; /**< of them, waiting to be re-sent (ticket 0) */
  uint32_t replayed;       /**< reports re-sent since boot */
  uint32_t replay_unkept;  /**< TRAIN_STATUS answers sent without room to keep them */
  uint32_t replay_lost;    /**< kept reports larger than a new session's M (§3.4.1): cannot be re-sent */
  tf_status_t model_status; /**< TF_OK: the model is prepared; else why not (BAD_STATE: none) */
  tf_artifact_t art;
  tf_interp_t interp;
  bool has_ota;
  tf_status_t ota_status; /**< tf_ota_open result */
  tf_ota_t ota;
  tf_agent_session_t session;
  tf_train_t train;
  uint8_t tx_frame[TF_LINK_TX_FRAME_BYTES];
  uint8_t msg[TF_AGENT_MSG_BYTES];
} tf_agent_t;

/** Starts the agent: the link begins its handshake. */
void tf_agent_init(tf_agent_t *a, const tf_agent_config_t *cfg);

/**
 * One pass of the main loop: read the UART, run the link and the session timers, write frames.
 * @return TF_OK, or TF_STATUS_LINK_DOWN when the UART has ended (stdin closed).
 */
tf_status_t tf_agent_step(tf_agent_t *a);

#endif /* TF_AGENT_H */
