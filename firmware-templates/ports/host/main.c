/*
 * tinyfleet-vmcu: the virtual MCU. The portable runtime on a POSIX host, attached over a
 * pseudo-terminal (default; its path is the first line on stdout), an existing tty, or stdio.
 *
 * Boots (banner, self test, A/B slot decision on the flash file), then runs the device agent
 * (tf_agent.h): the link layer of PROTOCOL.md §3 on the UART, HELLO / HEARTBEAT / ERROR of §4.2,
 * INFER_REQUEST of §4.5 on the active model, OTA of §4.6 (tf_ota.h, transfer record after the
 * slot state pages; a flash file made before OTA is extended with erased pages). `--model FILE.tfm`
 * installs an artifact into the slots when they hold no model (first boot). `--baud N` paces the UART
 * at N baud, 8N1, like a real line (tf_uart_pace.h); without it the pty is unthrottled. The active slot
 * is read into a 16-aligned RAM mirror at boot, standing in for memory-mapped flash (weights are used
 * in place from it).
 * Logs go to stderr, never to the link. The boot counter (§4.1.5) persists in <flash-file>.boot.
 */
#define _XOPEN_SOURCE 700

#include "tf_port_host.h"

#include "tinyfleet/tf_agent.h"
#include "tinyfleet/tf_runtime.h"
#include "tinyfleet/tf_slots.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_PAGE 4096u
#define DEFAULT_ALIGN 8u
#define MAX_SLOT (4u * 1024u * 1024u)
#define ARENA_BYTES (512u * 1024u)
#define INTERP_RAM_BYTES (128u * 1024u)

/* 16-aligned like a model slot (PROTOCOL.md §5.1): the mapped active slot, the arena, the RAM */
static union {
  uint8_t b[MAX_SLOT];
  uint64_t align;
} g_slot_map[2], g_file;
static union {
  uint8_t b[ARENA_BYTES];
  uint64_t align;
} g_arena;
static union {
  uint8_t b[INTERP_RAM_BYTES];
  uint64_t align;
} g_ram;
/* Training (tf_train.h): saved values, errors, gradient rows; and the received samples (§4.3) */
#define TRAIN_BYTES (256u * 1024u)
#define SAMPLE_BYTES (64u * 1024u)
static union {
  uint8_t b[TRAIN_BYTES];
  uint64_t align;
} g_train;
static union {
  uint8_t b[SAMPLE_BYTES];
  uint64_t align;
} g_samples;

/* The agent's view of a slot (tf_agent_config_t.map_slot): read from the flash file into that
 * slot's 16-aligned mirror, standing in for memory-mapped flash. */
static const uint8_t *map_slot(void *ctx, uint8_t slot, uint32_t len) {
  const tf_slots_t *slots = (const tf_slots_t *)ctx;
  const tf_flash_t *fl = slots->cfg.flash;

  if (slot > 1u || len > sizeof g_slot_map[0].b ||
      fl->read(fl->ctx, slots->cfg.slot_addr[slot], g_slot_map[slot].b, len) != TF_OK) {
    return NULL;
  }
  return g_slot_map[slot].b;
}

/* --model: the artifact goes into the slots through the update path (tf_runtime_install_model). */
static void install_model(const tf_hal_t *hal, tf_slots_t *slots, const char *path, tf_slots_boot_result_t *boot) {
  FILE *f = fopen(path, "rb");
  size_t n = 0;
  tf_status_t rc;
  char line[160] = "model: ";

  if (f != NULL) {
    n = fread(g_file.b, 1, sizeof g_file.b, f);
    fclose(f);
  }
  if (f == NULL || n == 0) {
    (void)tf_str_append(line, sizeof line, "cannot read ");
    (void)tf_str_append(line, sizeof line, path);
    hal->log(hal->ctx, line);
    return;
  }
  rc = tf_runtime_install_model(slots, g_file.b, (uint32_t)n, boot);
  (void)tf_str_append(line, sizeof line, rc == TF_OK ? "installed " : "install failed: ");
  (void)tf_str_append(line, sizeof line, rc == TF_OK ? path : tf_status_name(rc));
  hal->log(hal->ctx, line);
}

typedef struct options {
  enum { UART_PTY, UART_TTY, UART_STDIO, UART_FD } uart;
  const char *tty;
  int uart_fd;
  const char *flash_file;
  const char *model_file;
  uint32_t slot_size;
  uint32_t exit_after_ms;
  int quiet;
  const char *device_id;
  uint32_t baud;
  uint32_t power_cut_at;
  tf_device_caps_t caps;
} options_t;

static volatile sig_atomic_t g_stop;

static void on_signal(int sig) {
  (void)sig;
  g_stop = 1;
}

static void usage(FILE *to) {
  fputs("usage: tinyfleet-vmcu [options]\n"
        "  --pty                open a pseudo-terminal and print its path as the first stdout line (default)\n"
        "  --tty PATH           use an existing tty or pty slave as the UART\n"
        "  --stdio              use stdin/stdout as the UART (logs stay on stderr)\n"
        "  --uart-fd N          use an inherited descriptor (set by the runtime on reset)\n"
        "  --flash-file PATH    model flash file, created erased (default tinyfleet-flash.bin)\n"
        "  --slot-size BYTES    size of each of the two model slots (default 512K, at most 4M)\n"
        "  --model FILE.tfm     install this artifact when the slots hold no model (first boot)\n"
        "capabilities reported in HELLO:\n"
        "  --core NAME          CPU core (default cortex-m4)\n"
        "  --board NAME         board name (default host)\n"
        "  --clock-hz N         core clock (default 64000000)\n"
        "  --ram BYTES          RAM (default 256K)\n"
        "  --flash BYTES        flash of the part (default 1M)\n"
        "  --device-id ID       device id, [A-Za-z0-9_-] 1..64 (default vmcu-0001)\n"
        "  --baud N             UART line rate in bit/s: reported in HELLO, and enforced: both directions\n"
        "                       of the pty are paced like a UART at N baud, 8N1 (10 bits per byte), on a\n"
        "                       monotonic clock; 0 or absent: unthrottled and not reported\n"
        "other:\n"
        "  --exit-after-ms N    exit after N ms (tests)\n"
        "  --power-cut-at-flash-op N\n"
        "                       fault injection (tests): once the agent runs, the N-th flash erase or\n"
        "                       program is torn (half written) and the process ends at once, exit\n"
        "                       status 75, like a power cut; restart it on the same --flash-file\n"
        "  --quiet              no log lines on stderr\n"
        "  --help\n"
        "Numbers accept 0x prefixes and K/M suffixes.\n",
        to);
}

/* Parses a size: decimal or 0x hex, optional K or M suffix (binary). */
static int parse_u32(const char *s, uint32_t *out) {
  char *end = NULL;
  unsigned long long v;

  errno = 0;
  v = strtoull(s, &end, 0);
  if (errno != 0 || end == s) {
    return -1;
  }
  if (*end == 'k' || *end == 'K') {
    v *= 1024u;
    end++;
  } else if (*end == 'm' || *end == 'M') {
    v *= 1024u * 1024u;
    end++;
  }
  if (*end != '\0' || v > 0xFFFFFFFFull) {
    return -1;
  }
  *out = (uint32_t)v;
  return 0;
}

/* PROTOCOL.md §4.2.1: dev is [A-Za-z0-9_-], 1..64 bytes. */
static int valid_device_id(const char *s) {
  size_t n = strlen(s);
  size_t i;

  if (n < 1 || n > 64) {
    return 0;
  }
  for (i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '-')) {
      return 0;
    }
  }
  return 1;
}

/* Reads, increments and writes back the boot counter in <flash-file>.boot (§4.1.5). */
static uint32_t next_boot_counter(const char *flash_file) {
  char path[512];
  FILE *f;
  uint8_t b[4] = {0, 0, 0, 0};
  uint32_t n = 0;

  if (snprintf(path, sizeof path, "%s.boot", flash_file) >= (int)sizeof path) {
    return 1;
  }
  f = fopen(path, "rb");
  if (f != NULL) {
    if (fread(b, 1, 4, f) == 4) {
      n = (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24);
    }
    fclose(f);
  }
  n++;
  b[0] = (uint8_t)n;
  b[1] = (uint8_t)(n >> 8);
  b[2] = (uint8_t)(n >> 16);
  b[3] = (uint8_t)(n >> 24);
  f = fopen(path, "wb");
  if (f != NULL) {
    (void)fwrite(b, 1, 4, f);
    fclose(f);
  }
  return n;
}

static int parse_args(int argc, char **argv, options_t *o) {
  int i;
  uint32_t v;

  memset(o, 0, sizeof *o);
  o->uart = UART_PTY;
  o->uart_fd = -1;
  o->flash_file = "tinyfleet-flash.bin";
  o->slot_size = 512u * 1024u;
  o->caps.core = "cortex-m4";
  o->caps.board = "host";
  o->caps.clock_hz = 64000000u;
  o->caps.ram_bytes = 256u * 1024u;
  o->caps.flash_bytes = 1024u * 1024u;
  o->device_id = "vmcu-0001";
  for (i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *val = i + 1 < argc ? argv[i + 1] : NULL;
    int takes = 1;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage(stdout);
      exit(0);
    } else if (strcmp(a, "--pty") == 0) {
      o->uart = UART_PTY;
      takes = 0;
    } else if (strcmp(a, "--stdio") == 0) {
      o->uart = UART_STDIO;
      takes = 0;
    } else if (strcmp(a, "--quiet") == 0) {
      o->quiet = 1;
      takes = 0;
    } else if (val == NULL) {
      fprintf(stderr, "tinyfleet-vmcu: %s needs a value (or is unknown); see --help\n", a);
      return -1;
    } else if (strcmp(a, "--tty") == 0) {
      o->uart = UART_TTY;
      o->tty = val;
    } else if (strcmp(a, "--uart-fd") == 0 && parse_u32(val, &v) == 0 && v < 65536u) {
      o->uart = UART_FD;
      o->uart_fd = (int)v;
    } else if (strcmp(a, "--model") == 0) {
      o->model_file = val;
    } else if (strcmp(a, "--flash-file") == 0) {
      o->flash_file = val;
    } else if (strcmp(a, "--slot-size") == 0 && parse_u32(val, &o->slot_size) == 0) {
    } else if (strcmp(a, "--core") == 0) {
      o->caps.core = val;
    } else if (strcmp(a, "--device-id") == 0 && valid_device_id(val)) {
      o->device_id = val;
    } else if (strcmp(a, "--baud") == 0 && parse_u32(val, &o->baud) == 0) {
    } else if (strcmp(a, "--board") == 0) {
      o->caps.board = val;
    } else if (strcmp(a, "--clock-hz") == 0 && parse_u32(val, &o->caps.clock_hz) == 0) {
    } else if (strcmp(a, "--ram") == 0 && parse_u32(val, &o->caps.ram_bytes) == 0) {
    } else if (strcmp(a, "--flash") == 0 && parse_u32(val, &o->caps.flash_bytes) == 0) {
    } else if (strcmp(a, "--exit-after-ms") == 0 && parse_u32(val, &o->exit_after_ms) == 0) {
    } else if (strcmp(a, "--power-cut-at-flash-op") == 0 && parse_u32(val, &o->power_cut_at) == 0) {
    } else {
      fprintf(stderr, "tinyfleet-vmcu: bad option or value: %s %s; see --help\n", a, val);
      return -1;
    }
    i += takes;
  }
  if (o->slot_size == 0 || o->slot_size % DEFAULT_PAGE != 0 || o->slot_size > MAX_SLOT) {
    fprintf(stderr, "tinyfleet-vmcu: --slot-size must be a non-zero multiple of %u\n", DEFAULT_PAGE);
    return -1;
  }
  return 0;
}

int main(int argc, char **argv) {
  static tf_host_port_t port;
  static tf_slots_t slots;
  static tf_agent_t agent;
  tf_agent_config_t acfg;
  options_t o;
  tf_hal_t hal;
  tf_flash_t flash;
  tf_slots_config_t cfg;
  tf_slots_boot_result_t boot;
  char pty_path[128];
  tf_status_t rc;
  uint32_t ota_bytes;
  int exit_code = 1;

  if (parse_args(argc, argv, &o) != 0) {
    return 2;
  }
  port.argv = argv;
  port.argc = argc;
  port.uart.in_fd = -1;
  port.flash.fd = -1;
  switch (o.uart) {
  case UART_PTY:
    rc = tf_host_uart_open_pty(&port.uart, pty_path, sizeof pty_path);
    if (rc == TF_OK) {
      printf("%s\n", pty_path); /* first stdout line: the slave path for the gateway */
      fflush(stdout);
    }
    break;
  case UART_TTY:
    rc = tf_host_uart_open_path(&port.uart, o.tty);
    break;
  case UART_FD:
    rc = tf_host_uart_open_fd(&port.uart, o.uart_fd);
    break;
  default:
    rc = tf_host_uart_open_stdio(&port.uart);
    break;
  }
  if (rc != TF_OK) {
    fprintf(stderr, "tinyfleet-vmcu: cannot open the UART: %s\n", tf_status_name(rc));
    goto out;
  }
  tf_host_uart_set_baud(&port.uart, o.baud); /* 0: unthrottled */
  /* layout: slot A | slot B | 2 state pages (tf_slots.h) | OTA transfer record (tf_ota.h) */
  ota_bytes = tf_ota_region_bytes(o.slot_size, DEFAULT_ALIGN, DEFAULT_PAGE);
  rc = tf_host_flash_open(&port.flash, &flash, o.flash_file, 2u * o.slot_size + 2u * DEFAULT_PAGE + ota_bytes,
                          DEFAULT_PAGE, DEFAULT_ALIGN);
  if (rc != TF_OK) {
    fprintf(stderr, "tinyfleet-vmcu: cannot open flash file %s (%s; a file made with another --slot-size?)\n",
            o.flash_file, tf_status_name(rc));
    goto out;
  }
  tf_host_hal_init(&hal, &port, &flash, &o.caps, o.quiet ? -1 : 2);

  memset(&cfg, 0, sizeof cfg);
  cfg.flash = &hal.flash;
  cfg.slot_addr[0] = 0;
  cfg.slot_addr[1] = o.slot_size;
  cfg.slot_size = o.slot_size;
  cfg.state_addr[0] = 2u * o.slot_size;
  cfg.state_addr[1] = 2u * o.slot_size + DEFAULT_PAGE;
  if (tf_runtime_start(&hal, &slots, &cfg, &boot) != TF_OK) {
    goto out;
  }
  if (boot.slot == TF_SLOT_NONE && o.model_file != NULL) {
    install_model(&hal, &slots, o.model_file, &boot);
  }
  memset(&acfg, 0, sizeof acfg);
  acfg.hal = &hal;
  acfg.device_id = o.device_id;
  acfg.fw_version = TF_RUNTIME_VERSION;
  acfg.slot_bytes = o.slot_size;
  acfg.boot_counter = next_boot_counter(o.flash_file);
  acfg.baud = o.baud;
  acfg.seed = (uint32_t)getpid() ^ (uint32_t)time(NULL) ^ (acfg.boot_counter << 16);
  /* the agent owns the model and OTA (tf_agent.h): it maps the slot that runs after tf_ota_open */
  acfg.slots = &slots;
  acfg.boot = boot;
  acfg.ota_region_addr = 2u * o.slot_size + 2u * DEFAULT_PAGE;
  acfg.ota_region_bytes = ota_bytes;
  acfg.map_slot = map_slot;
  acfg.map_ctx = &slots;
  acfg.arena = g_arena.b;
  acfg.arena_len = sizeof g_arena.b;
  acfg.ram = g_ram.b;
  acfg.ram_len = sizeof g_ram.b;
  acfg.train_buf = g_train.b;
  acfg.train_len = sizeof g_train.b;
  acfg.sample_buf = g_samples.b;
  acfg.sample_len = sizeof g_samples.b;
  tf_agent_init(&agent, &acfg);
  if (agent.cfg.has_model) {
    char line[160] = "model: ";
    if (agent.model_status == TF_OK) {
      (void)tf_str_append(line, sizeof line, "ready, arena ");
      (void)tf_str_append_u32(line, sizeof line, agent.interp.arena_required);
      (void)tf_str_append(line, sizeof line, " B measured, ");
      (void)tf_str_append_u32(line, sizeof line, agent.art.arena_infer_bytes);
      (void)tf_str_append(line, sizeof line, " B planned");
    } else {
      (void)tf_str_append(line, sizeof line, "not usable: ");
      (void)tf_str_append(line, sizeof line, tf_status_name(agent.model_status));
    }
    hal.log(hal.ctx, line);
  }
  if (agent.has_ota && agent.ota.state != TF_OTA_STATE_IDLE) {
    char line[160] = "ota: state ";
    (void)tf_str_append_u32(line, sizeof line, agent.ota.state);
    (void)tf_str_append(line, sizeof line, ", blocks ");
    (void)tf_str_append_u32(line, sizeof line, agent.ota.have_count);
    (void)tf_str_append(line, sizeof line, "/");
    (void)tf_str_append_u32(line, sizeof line, agent.ota.nb);
    hal.log(hal.ctx, line);
  }
  {
    char line[160] = "ready: device agent (link RAM ";
    (void)tf_str_append_u32(line, sizeof line, (uint32_t)tf_link_ram_bytes());
    (void)tf_str_append(line, sizeof line, " B, agent RAM ");
    (void)tf_str_append_u32(line, sizeof line, (uint32_t)sizeof agent);
    (void)tf_str_append(line, sizeof line, " B, boot ");
    (void)tf_str_append_u32(line, sizeof line, acfg.boot_counter);
    (void)tf_str_append(line, sizeof line, ")");
    hal.log(hal.ctx, line);
  }

  /* counted from here: the flash operations of the device agent (OTA), not those of the boot */
  tf_host_flash_power_cut_at(&port.flash, o.power_cut_at);
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  signal(SIGPIPE, SIG_IGN);
  while (!g_stop) {
    if (o.exit_after_ms != 0 && hal.millis(hal.ctx) >= o.exit_after_ms) {
      break;
    }
    tf_host_uart_wait(&port.uart, 5);
    if (tf_agent_step(&agent) == TF_STATUS_LINK_DOWN) {
      hal.log(hal.ctx, "uart closed");
      break;
    }
  }
  exit_code = 0;
out:
  tf_host_flash_close(&port.flash);
  tf_host_uart_close(&port.uart);
  return exit_code;
}
