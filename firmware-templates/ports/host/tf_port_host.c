/* Host port HAL (tf_port_host.h). POSIX.1-2008 with XSI (posix_openpt, grantpt, unlockpt). */
#define _XOPEN_SOURCE 700

#include "tf_port_host.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

/* ---- UART ---------------------------------------------------------------------------------- */

/* Raw 8N1: no echo, no line discipline, no translation (the link is binary). */
static tf_status_t make_raw(int fd) {
  struct termios t;

  if (tcgetattr(fd, &t) != 0) {
    return TF_OK; /* not a terminal (pipe, file): nothing to do */
  }
  t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON | IXOFF);
  t.c_oflag &= ~(tcflag_t)OPOST;
  t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
  t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB | CSTOPB);
  t.c_cflag |= (tcflag_t)(CS8 | CREAD | CLOCAL);
  t.c_cc[VMIN] = 1;
  t.c_cc[VTIME] = 0;
  if (cfsetispeed(&t, B115200) != 0 || cfsetospeed(&t, B115200) != 0 || tcsetattr(fd, TCSANOW, &t) != 0) {
    return TF_STATUS_LINK_DOWN;
  }
  return TF_OK;
}

tf_status_t tf_host_uart_open_pty(tf_host_uart_t *u, char *path, size_t cap) {
  tf_status_t rc = TF_OK;
  const char *name;
  int fd = posix_openpt(O_RDWR | O_NOCTTY);

  if (fd < 0 || grantpt(fd) != 0 || unlockpt(fd) != 0 || (name = ptsname(fd)) == NULL) {
    rc = TF_STATUS_LINK_DOWN;
    goto out;
  }
  if (strlen(name) >= cap) {
    rc = TF_STATUS_NO_SPACE;
    goto out;
  }
  memcpy(path, name, strlen(name) + 1u);
  rc = make_raw(fd);
  if (rc != TF_OK) {
    goto out;
  }
  u->in_fd = fd;
  u->out_fd = fd;
  u->owns_fds = 1;
  fd = -1;
out:
  if (fd >= 0) {
    close(fd);
  }
  return rc;
}

tf_status_t tf_host_uart_open_path(tf_host_uart_t *u, const char *path) {
  tf_status_t rc = TF_OK;
  int fd = open(path, O_RDWR | O_NOCTTY);

  if (fd < 0) {
    rc = TF_STATUS_LINK_DOWN;
    goto out;
  }
  rc = make_raw(fd);
  if (rc != TF_OK) {
    close(fd);
    goto out;
  }
  u->in_fd = fd;
  u->out_fd = fd;
  u->owns_fds = 1;
out:
  return rc;
}

tf_status_t tf_host_uart_open_fd(tf_host_uart_t *u, int fd) {
  if (fd < 0 || fcntl(fd, F_GETFD) < 0) {
    return TF_STATUS_LINK_DOWN;
  }
  u->in_fd = fd;
  u->out_fd = fd;
  u->owns_fds = 1;
  return TF_OK;
}

tf_status_t tf_host_uart_open_stdio(tf_host_uart_t *u) {
  u->in_fd = STDIN_FILENO;
  u->out_fd = STDOUT_FILENO;
  u->owns_fds = 0;
  return TF_OK;
}

void tf_host_uart_close(tf_host_uart_t *u) {
  if (u->owns_fds && u->in_fd >= 0) {
    close(u->in_fd);
  }
  u->in_fd = -1;
  u->out_fd = -1;
}

void tf_host_uart_wait(const tf_host_uart_t *u, int timeout_ms) {
  struct pollfd p;
  struct timespec ts;

  p.fd = u->in_fd;
  p.events = POLLIN;
  p.revents = 0;
  if (poll(&p, 1, timeout_ms) > 0 && (p.revents & POLLIN) == 0 && timeout_ms > 0) {
    /* hang-up (no peer on the pty yet): poll returns at once, so sleep instead */
    ts.tv_sec = timeout_ms / 1000;
    ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
  }
}

static tf_status_t uart_write(void *ctx, const uint8_t *data, size_t len) {
  tf_host_uart_t *u = (tf_host_uart_t *)ctx;
  struct pollfd p;
  ssize_t n;

  while (len > 0) {
    n = write(u->out_fd, data, len);
    if (n > 0) {
      data += n;
      len -= (size_t)n;
      continue;
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      p.fd = u->out_fd;
      p.events = POLLOUT;
      p.revents = 0;
      if (poll(&p, 1, 1000) <= 0) {
        return TF_STATUS_TIMEOUT; /* nobody is draining the line */
      }
      continue;
    }
    if (n < 0 && errno == EIO) {
      return TF_OK; /* pty without a peer: like a UART with nothing attached, bytes are lost */
    }
    return TF_STATUS_LINK_DOWN;
  }
  return TF_OK;
}

static tf_status_t uart_read(void *ctx, uint8_t *buf, size_t cap, size_t *got) {
  tf_host_uart_t *u = (tf_host_uart_t *)ctx;
  struct pollfd p;
  ssize_t n;

  *got = 0;
  p.fd = u->in_fd;
  p.events = POLLIN;
  p.revents = 0;
  if (cap == 0 || poll(&p, 1, 0) <= 0) {
    return TF_OK;
  }
  if ((p.revents & POLLIN) == 0) {
    /* POLLHUP without data: a pty whose peer is closed is waiting for the next one; a pipe or
     * file has ended */
    return u->in_fd == u->out_fd ? TF_OK : TF_STATUS_LINK_DOWN;
  }
  n = read(u->in_fd, buf, cap);
  if (n > 0) {
    *got = (size_t)n;
    return TF_OK;
  }
  if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EIO)) {
    return TF_OK; /* EIO: pty peer closed */
  }
  return TF_STATUS_LINK_DOWN; /* end of stdin */
}

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

static tf_status_t file_erase(void *ctx, uint32_t addr) {
  tf_host_flash_t *f = (tf_host_flash_t *)ctx;
  uint8_t ff[256];
  uint32_t off;
  tf_status_t rc = file_check(f, addr, f->page_size);

  if (rc == TF_OK && (addr & (f->page_size - 1u)) != 0) {
    rc = TF_STATUS_BAD_FIELD;
  }
  memset(ff, 0xFF, sizeof ff);
  for (off = 0; rc == TF_OK && off < f->page_size; off += (uint32_t)sizeof ff) {
    rc = pwrite_all(f->fd, ff, (uint32_t)sizeof ff, addr + off);
  }
  return rc;
}

static tf_status_t file_program(void *ctx, uint32_t addr, const uint8_t *data, uint32_t len) {
  tf_host_flash_t *f = (tf_host_flash_t *)ctx;
  uint8_t old[256];
  uint32_t off, n, i;
  tf_status_t rc = file_check(f, addr, len);

  if (rc == TF_OK && (data == NULL || ((addr | len) & (f->write_align - 1u)) != 0)) {
    rc = TF_STATUS_BAD_FIELD;
  }
  for (off = 0; rc == TF_OK && off < len; off += n) {
    n = len - off < (uint32_t)sizeof old ? len - off : (uint32_t)sizeof old;
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
  hal->uart.write = uart_write;
  hal->uart.read = uart_read;
  hal->flash = *flash;
  hal->caps = *caps;
  hal->ctx = port;
  hal->millis = host_millis;
  hal->cycles = host_cycles;
  hal->reset = host_reset;
  hal->log = host_log;
}
