/* Host port HAL (tf_port_host.h): flash in a file, clock, cycles, reset, log; the UART is tf_host_uart.c. */
#define _XOPEN_SOURCE 700

#include "tf_port_host.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- Flash in a file ------------------------------------------------------------------------ */

static tf_status_t pread_all(int fd, uint8_t *buf, uint32_t len, uint32_t off) {
  ssize_t n;

  while (len > 0) {
    n = pread(fd, buf, len, (off_t)off);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return TF_STATUS_FLASH_ERROR;
    }
    buf += n;
    len -= (uint32_t)n;
    off += (uint32_t)n;
  }
  return TF_OK;
}

static tf_status_t pwrite_all(int fd, const uint8_t *buf, uint32_t len, uint32_t off) {
  ssize_t n;

  while (len > 0) {
    n = pwrite(fd, buf, len, (off_t)off);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return TF_STATUS_FLASH_ERROR;
    }
    buf += n;
    len -= (uint32_t)n;
    off += (uint32_t)n;
  }
  return TF_OK;
}

static tf_status_t file_check(const tf_host_flash_t *f, uint32_t addr, uint32_t len) {
  if (addr > f->size || len > f->size - addr) {
    return TF_STATUS_OUT_OF_RANGE;
  }
  return TF_OK;
}

/* Erase and program move whole chunks of this size per system call (a 4 KiB page or an OTA block in
 * one pwrite), so the virtual MCU's flash writes cost little next to its UART. */
#define FILE_CHUNK 4096u

void tf_host_flash_power_cut_at(tf_host_flash_t *f, uint32_t n) {
  f->ops = 0;
  f->cut_at = n;
}

/* Counts one erase or program; true when power is cut at this one (it is then done half). */
static int cut_here(tf_host_flash_t *f, const char *what, uint32_t addr, uint32_t len) {
  char line[128];
  int n;

  if (f->cut_at == 0 || ++f->ops != f->cut_at) {
    return 0;
  }
  n = snprintf(line, sizeof line, "tinyfleet-vmcu: power cut at flash operation %u: %s 0x%x, %u of %u bytes\n",
               (unsigned)f->ops, what, (unsigned)addr, (unsigned)(len / 2u), (unsigned)len);
  if (n > 0) {
    (void)!write(STDERR_FILENO, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1u);
  }
  return 1;
}

static void power_off(void) {
  _exit(75); /* no flush, no cleanup: what reached the file stays, the rest is lost */
}

static tf_status_t file_erase(void *ctx, uint32_t addr) {
  tf_host_flash_t *f = (tf_host_flash_t *)ctx;
  static uint8_t ff[FILE_CHUNK];
  uint32_t off, n;
  tf_status_t rc = file_check(f, addr, f->page_size);

  if (rc == TF_OK && (addr & (f->page_size - 1u)) != 0) {
    rc = TF_STATUS_BAD_FIELD;
  }
  memset(ff, 0xFF, sizeof ff);
  if (rc == TF_OK && cut_here(f, "erase", addr, f->page_size)) {
    (void)pwrite_all(f->fd, ff, f->page_size / 2u < FILE_CHUNK ? f->page_size / 2u : FILE_CHUNK, addr);
    power_off();
  }
  for (off = 0; rc == TF_OK && off < f->page_size; off += n) {
    n = f->page_size - off < FILE_CHUNK ? f->page_size - off : FILE_CHUNK;
    rc = pwrite_all(f->fd, ff, n, addr + off);
  }
  return rc;
}

static tf_status_t file_program(void *ctx, uint32_t addr, const uint8_t *data, uint32_t len) {
  tf_host_flash_t *f = (tf_host_flash_t *)ctx;
  static uint8_t old[FILE_CHUNK];
  uint32_t off, n, i;
  tf_status_t rc = file_check(f, addr, len);

  if (rc == TF_OK && (data == NULL || ((addr | len) & (f->write_align - 1u)) != 0)) {
    rc = TF_STATUS_BAD_FIELD;
  }
  if (rc == TF_OK && cut_here(f, "program", addr, len)) {
    len /= 2u; /* torn: the first half reaches the cells */
    for (off = 0; off < len; off += n) {
      n = len - off < FILE_CHUNK ? len - off : FILE_CHUNK;
      if (pread_all(f->fd, old, n, addr + off) != TF_OK) break;
      for (i = 0; i < n; i++) old[i] &= data[off + i];
      if (pwrite_all(f->fd, old, n, addr + off) != TF_OK) break;
    }
    power_off();
  }
  for (off = 0; rc == TF_OK && off < len; off += n) {
    n = len - off < FILE_CHUNK ? len - off : FILE_CHUNK;
    rc = pread_all(f->fd, old, n, addr + off);
    for (i = 0; rc == TF_OK && i < n; i++) {
      old[i] &= data[off + i]; /* NOR: programming only clears bits */
    }
    if (rc == TF_OK) {
      rc = pwrite_all(f->fd, old, n, addr + off);
    }
  }
  return rc;
}

static tf_status_t file_read(void *ctx, uint32_t addr, uint8_t *buf, uint32_t len) {
  tf_host_flash_t *f = (tf_host_flash_t *)ctx;
  tf_status_t rc = file_check(f, addr, len);

  if (rc == TF_OK && len > 0) {
    rc = buf == NULL ? TF_STATUS_BAD_FIELD : pread_all(f->fd, buf, len, addr);
  }
  return rc;
}

tf_status_t tf_host_flash_open(tf_host_flash_t *f, tf_flash_t *flash, const char *path, uint32_t size,
                               uint32_t page_size, uint32_t write_align) {
  tf_status_t rc = TF_OK;
  struct stat st;
  uint32_t addr;
  int fd = -1;

  f->fd = -1;
  if (page_size < 256u || (page_size & (page_size - 1u)) != 0 || write_align == 0 ||
      (write_align & (write_align - 1u)) != 0 || write_align > TF_FLASH_MAX_WRITE_ALIGN || size == 0 ||
      (size & (page_size - 1u)) != 0) {
    rc = TF_STATUS_BAD_FIELD;
    goto out;
  }
  fd = open(path, O_RDWR | O_CREAT, 0644);
  if (fd < 0 || fstat(fd, &st) != 0) {
    rc = TF_STATUS_FLASH_ERROR;
    goto out;
  }
  f->fd = fd;
  f->size = size;
  f->page_size = page_size;
  f->write_align = write_align;
  if (st.st_size == 0) {
    for (addr = 0; rc == TF_OK && addr < size; addr += page_size) {
      rc = file_erase(f, addr); /* a new part comes erased */
    }
  } else if ((uint64_t)st.st_size < size && (uint64_t)st.st_size % page_size == 0) {
    for (addr = (uint32_t)st.st_size; rc == TF_OK && addr < size; addr += page_size) {
      rc = file_erase(f, addr); /* a file of an older, smaller layout: new pages come erased */
    }
  } else if ((uint64_t)st.st_size != size) {
    rc = TF_STATUS_BAD_FIELD;
  }
  if (rc != TF_OK) {
    goto out;
  }
  flash->ctx = f;
  flash->size = size;
  flash->page_size = page_size;
  flash->write_align = write_align;
  flash->erase = file_erase;
  flash->program = file_program;
  flash->read = file_read;
  fd = -1;
out:
  if (fd >= 0) {
    close(fd);
    f->fd = -1;
  }
  return rc;
}

void tf_host_flash_close(tf_host_flash_t *f) {
  if (f->fd >= 0) {
    close(f->fd);
  }
  f->fd = -1;
}

/* ---- Clock, cycles, reset, log -------------------------------------------------------------- */

static struct timespec g_start;
static uint32_t g_clock_hz;
static int g_log_fd = -1;

static uint64_t elapsed_ns(void) {
  struct timespec now;

  clock_gettime(CLOCK_MONOTONIC, &now);
  return (uint64_t)(now.tv_sec - g_start.tv_sec) * 1000000000u + (uint64_t)now.tv_nsec - (uint64_t)g_start.tv_nsec;
}

static uint32_t host_millis(void *ctx) {
  (void)ctx;
  return (uint32_t)(elapsed_ns() / 1000000u);
}

static uint32_t host_cycles(void *ctx) {
  (void)ctx;
  /* a virtual cycle counter at the advertised clock (wraps like DWT CYCCNT) */
  return (uint32_t)(elapsed_ns() * (uint64_t)g_clock_hz / 1000000000u);
}

static void host_reset(void *ctx) {
  tf_host_port_t *p = (tf_host_port_t *)ctx;
  static char fd_arg[16];
  static char *args[64];
  int i, n = 0, flags;

  /* keep the UART: hand its descriptor to the new image with --uart-fd */
  flags = fcntl(p->uart.in_fd, F_GETFD);
  if (flags >= 0) {
    (void)fcntl(p->uart.in_fd, F_SETFD, flags & ~FD_CLOEXEC);
  }
  (void)snprintf(fd_arg, sizeof fd_arg, "%d", p->uart.in_fd);
  args[n++] = p->argv[0];
  for (i = 1; i < p->argc && n < 60; i++) {
    const char *a = p->argv[i];
    if (strcmp(a, "--pty") == 0 || strcmp(a, "--stdio") == 0) {
      continue;
    }
    if ((strcmp(a, "--tty") == 0 || strcmp(a, "--uart-fd") == 0) && i + 1 < p->argc) {
      i++;
      continue;
    }
    args[n++] = p->argv[i];
  }
  if (p->uart.in_fd == STDIN_FILENO) {
    args[n++] = (char *)"--stdio";
  } else {
    args[n++] = (char *)"--uart-fd";
    args[n++] = fd_arg;
  }
  args[n] = NULL;
  execv("/proc/self/exe", args);
  _exit(3); /* exec failed: stop, as a hung reset would */
}

static void host_log(void *ctx, const char *line) {
  size_t n = strlen(line);
  (void)ctx;
  if (g_log_fd >= 0) {
    (void)!write(g_log_fd, line, n);
    (void)!write(g_log_fd, "\n", 1);
  }
}

void tf_host_hal_init(tf_hal_t *hal, tf_host_port_t *port, tf_flash_t *flash, const tf_device_caps_t *caps,
                      int log_fd) {
  clock_gettime(CLOCK_MONOTONIC, &g_start);
  g_clock_hz = caps->clock_hz;
  g_log_fd = log_fd;
  memset(hal, 0, sizeof *hal);
  hal->uart.ctx = &port->uart;
  hal->uart.write = tf_host_uart_write;
  hal->uart.read = tf_host_uart_read;
  hal->flash = *flash;
  hal->caps = *caps;
  hal->ctx = port;
  hal->millis = host_millis;
  hal->cycles = host_cycles;
  hal->reset = host_reset;
  hal->log = host_log;
}
