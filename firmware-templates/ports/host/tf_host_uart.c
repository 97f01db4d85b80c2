/* Host port UART (tf_port_host.h): a pty, tty, inherited fd or stdio, optionally paced at a baud rate
 * like a real UART (tf_uart_pace.h). POSIX.1-2008 with XSI (posix_openpt, grantpt, unlockpt). */
#define _XOPEN_SOURCE 700

#include "tf_port_host.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

/* Paced reads are woken for this many bytes at a time, about one 256-byte link frame (2.8 ms at 921600
 * baud): a DMA ring with an idle-line interrupt hands bytes over in chunks too. Paced writes go out in
 * chunks of this size. */
#define PACE_CHUNK 1024u

static uint64_t now_ns(void) {
  struct timespec t;

  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void sleep_until_ns(uint64_t at) {
  struct timespec t;

  t.tv_sec = (time_t)(at / 1000000000u);
  t.tv_nsec = (long)(at % 1000000000u);
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR) {
  }
}

/* Bytes waiting to be read (FIONREAD); 0 when unknown. */
static size_t waiting(int fd) {
  int n = 0;

  return ioctl(fd, FIONREAD, &n) == 0 && n > 0 ? (size_t)n : 0u;
}

void tf_host_uart_set_baud(tf_host_uart_t *u, uint32_t baud) {
  tf_uart_pace_init(&u->rx, baud);
  tf_uart_pace_init(&u->tx, baud);
  u->rx_pos = 0;
  u->rx_len = 0;
}

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

  tf_host_uart_set_baud(u, 0); /* unthrottled until set */
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

  tf_host_uart_set_baud(u, 0); /* unthrottled until set */
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
  tf_host_uart_set_baud(u, 0); /* unthrottled until set */
  if (fd < 0 || fcntl(fd, F_GETFD) < 0) {
    return TF_STATUS_LINK_DOWN;
  }
  u->in_fd = fd;
  u->out_fd = fd;
  u->owns_fds = 1;
  return TF_OK;
}

tf_status_t tf_host_uart_open_stdio(tf_host_uart_t *u) {
  tf_host_uart_set_baud(u, 0); /* unthrottled until set */
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

void tf_host_uart_wait(tf_host_uart_t *u, int timeout_ms) {
  struct pollfd p;
  struct timespec ts;
  size_t avail;

  if (u->rx_pos < u->rx_len) {
    return; /* received bytes the device has not taken yet */
  }
  avail = u->rx.baud != 0 ? waiting(u->in_fd) : 0u;
  if (avail > 0) {
    /* paced, bytes wait: sleep until the line has delivered a chunk of them (or the timeout) */
    uint64_t now = now_ns();
    size_t want = avail < PACE_CHUNK ? avail : PACE_CHUNK;
    uint64_t due, end = now + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000000u;
    if (tf_uart_pace_rx_allow(&u->rx, now, avail, want) < want) {
      due = tf_uart_pace_due_ns(&u->rx, now, want);
      sleep_until_ns(due < end ? due : end);
    }
    return;
  }
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

static tf_status_t write_all(tf_host_uart_t *u, const uint8_t *data, size_t len) {
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

/* A paced write hands each chunk to the pty when its last bit would have left a UART at the rate. */
tf_status_t tf_host_uart_write(void *ctx, const uint8_t *data, size_t len) {
  tf_host_uart_t *u = (tf_host_uart_t *)ctx;
  tf_status_t rc = TF_OK;
  size_t n;

  if (u->tx.baud == 0) {
    return write_all(u, data, len);
  }
  while (rc == TF_OK && len > 0) {
    n = len < PACE_CHUNK ? len : PACE_CHUNK;
    sleep_until_ns(tf_uart_pace_tx_due(&u->tx, now_ns(), n));
    rc = write_all(u, data, n);
    data += n;
    len -= n;
  }
  return rc;
}

/* Hands the device up to @p cap staged bytes. */
static size_t take_staged(tf_host_uart_t *u, uint8_t *buf, size_t cap) {
  size_t n = u->rx_len - u->rx_pos;

  if (n > cap) {
    n = cap;
  }
  memcpy(buf, u->rx_stage + u->rx_pos, n);
  u->rx_pos += n;
  return n;
}

/* A paced read takes only the bytes a UART at the rate has delivered by now (tf_uart_pace.h), with one
 * read(2) into the stage; the device takes them from there. */
tf_status_t tf_host_uart_read(void *ctx, uint8_t *buf, size_t cap, size_t *got) {
  tf_host_uart_t *u = (tf_host_uart_t *)ctx;
  struct pollfd p;
  size_t avail = 0;
  size_t want = sizeof u->rx_stage;
  ssize_t n;

  *got = 0;
  if (cap > 0 && u->rx_pos < u->rx_len) {
    *got = take_staged(u, buf, cap);
    return TF_OK;
  }
  p.fd = u->in_fd;
  p.events = POLLIN;
  p.revents = 0;
  if (cap == 0 || poll(&p, 1, 0) <= 0) {
    (void)tf_uart_pace_rx_allow(&u->rx, now_ns(), 0, 0); /* nothing waits: the line is idle */
    return TF_OK;
  }
  if ((p.revents & POLLIN) == 0) {
    /* POLLHUP without data: a pty whose peer is closed is waiting for the next one; a pipe or
     * file has ended */
    return u->in_fd == u->out_fd ? TF_OK : TF_STATUS_LINK_DOWN;
  }
  if (u->rx.baud != 0 && (avail = waiting(u->in_fd)) > 0) {
    want = tf_uart_pace_rx_allow(&u->rx, now_ns(), avail, want);
    if (want == 0) {
      return TF_OK; /* still on the line */
    }
  }
  n = read(u->in_fd, u->rx_stage, want);
  if (n > 0) {
    if (avail > 0) {
      tf_uart_pace_rx_took(&u->rx, (size_t)n, avail);
    }
    u->rx_pos = 0;
    u->rx_len = (size_t)n;
    *got = take_staged(u, buf, cap);
    return TF_OK;
  }
  if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EIO)) {
    return TF_OK; /* EIO: pty peer closed */
  }
  return TF_STATUS_LINK_DOWN; /* end of stdin */
}
