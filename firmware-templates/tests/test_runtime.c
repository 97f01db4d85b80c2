/* Runtime identity, self test and status mapping (tf_runtime.h, tf_status.h). */
#include "tf_test.h"

#include "tinyfleet/tf_runtime.h"

#include <string.h>

static void selftest_passes_on_host(void) {
  tf_selftest_result_t r;

  tf_selftest_run(&r);
  TF_CHECK_EQ(r.failed, 0u);
  TF_CHECK_EQ(r.passed, 4u);
  TF_CHECK(r.first_failure == NULL);
}

static void banner_format(void) {
  tf_device_caps_t caps = {"cortex-m4", "mps2-an386", 25000000u, 4194304u, 4194304u};
  char buf[200];
  size_t n;

  n = tf_runtime_banner(&caps, buf, sizeof buf);
  TF_CHECK(strcmp(buf, "TinyFleet runtime " TF_RUNTIME_VERSION
                       " (protocol 1) on mps2-an386 (cortex-m4, 25000000 Hz, 4194304 B RAM, 4194304 B flash)") == 0);
  TF_CHECK_EQ(n, strlen(buf));
  TF_CHECK_EQ(tf_runtime_banner(&caps, buf, 20), 0u);
  TF_CHECK_EQ(buf[0], 0u);
  buf[0] = '\0';
  TF_CHECK_EQ(tf_str_append_u32(buf, sizeof buf, 4294967295u), 10u);
  TF_CHECK(strcmp(buf, "4294967295") == 0);
}

static void status_maps_to_protocol_errors(void) {
  TF_CHECK_EQ(tf_status_to_error(TF_OK), TF_ERR_OK);
  TF_CHECK_EQ(tf_status_to_error(TF_STATUS_MALFORMED), TF_ERR_MALFORMED);
  TF_CHECK_EQ(tf_status_to_error(TF_STATUS_FLASH_ERROR), TF_ERR_FLASH_ERROR);
  TF_CHECK_EQ(tf_status_to_error(TF_STATUS_INTERNAL), TF_ERR_INTERNAL);
  TF_CHECK_EQ(tf_status_to_error((tf_status_t)-999), TF_ERR_INTERNAL);
  TF_CHECK(strcmp(tf_status_name(TF_STATUS_SHA_MISMATCH), "SHA_MISMATCH") == 0);
  TF_CHECK(strcmp(tf_status_name(TF_OK), "OK") == 0);
  TF_CHECK(strcmp(tf_status_name((tf_status_t)5), "INTERNAL") == 0);
}

int main(void) {
  TF_TEST_RUN(selftest_passes_on_host);
  TF_TEST_RUN(banner_format);
  TF_TEST_RUN(status_maps_to_protocol_errors);
  return tf_test_finish();
}
