/* Agent internals shared by tf_agent.c and tf_agent_train.c (not a public header). */
#ifndef TF_AGENT_INTERNAL_H
#define TF_AGENT_INTERNAL_H

#include "tinyfleet/tf_agent.h"

/* §4.1.5 id into @p id, envelope of @p type. */
void tf_agent_next_id(tf_agent_t *a, uint8_t id[8], tf_msg_envelope_t *env, uint32_t type);
/* Queues a->msg[0..len) on the link when @p rc is TF_OK; a training report (the type last given to
 * tf_agent_next_id: TRAIN_STATUS, TRAIN_METRICS, GRAD_UPDATE) is also kept for replay (§3.6.4 item 2). */
void tf_agent_queue(tf_agent_t *a, tf_status_t rc, size_t len);
/* True when a new report may be made: the link queue and the replay buffer each have room for one of
 * TF_AGENT_MSG_BYTES and no kept report waits to be re-sent (§3.6.4 item 2: backpressure, no drop). */
bool tf_agent_report_room(const tf_agent_t *a);
/* §4.2.5 ERROR with re = @p re (may be NULL). */
void tf_agent_send_error(tf_agent_t *a, const tf_msg_str_t *re, tf_status_t status, const char *text);

/* Training (tf_agent_train.c): */
bool tf_agent_fqt(const tf_agent_t *a);
uint32_t tf_agent_sample_capacity(const tf_agent_t *a);
void tf_agent_on_train(tf_agent_t *a, const tf_msg_t *m);
/* Called from tf_agent_step(): pending reports, one training step, periodic credit. */
void tf_agent_train_poll(tf_agent_t *a);
/* The model changes (OTA test boot or revert, §4.6.1): a running session ends STOPPED, reason in msg. */
void tf_agent_train_model_changed(tf_agent_t *a);

#endif /* TF_AGENT_INTERNAL_H */
