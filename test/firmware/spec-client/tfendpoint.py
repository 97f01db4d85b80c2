"""A link endpoint of PROTOCOL.md §3.4-§3.9 over a file descriptor (a pty).

Written from PROTOCOL.md only. Simplifications the spec allows: it acknowledges every DATA frame at
once with an ACK frame (ACK_DELAY 0, §3.5.3), never closes its receive window (§3.5.5), and sends
frames as soon as they are built (a pty transmitter never runs dry for long).
"""

import os
import select
import struct
import sys
import time

import tflink as L
from tfsender import Sender, LinkDown  # noqa: F401 (re-exported)

OFFER_WINDOW = 16
OFFER_PAYLOAD = 256
OFFER_MESSAGE = 65536
HELLO_INTERVAL = 0.25
IDLE_DELIMITER = 0.05


class Endpoint(Sender):
    def __init__(self, fd, trace=False):
        self.fd = fd
        self.trace = trace
        self.epoch = self._new_epoch(0)
        self.up = False
        self.rx = bytearray()
        self.rx_overflow = False
        self.last_tx = 0.0
        self.next_hello = 0.0
        self.inbox = []  # delivered messages
        self.peer_errors = []
        self.counts = {"frames_in": 0, "frames_bad": 0, "data_out": 0, "retransmits": 0}
        self._reset_session()

    @staticmethod
    def _new_epoch(previous):
        while True:
            e = struct.unpack("<I", os.urandom(4))[0]
            if e not in (0, previous):
                return e

    def _reset_session(self):
        self.peer_epoch = 0
        self.hello_ack = None  # the HELLO_ACK payload we answered with (repeated HELLO, §3.6.3)
        self.W, self.P, self.M = L.MAX_WINDOW, L.DEFAULT_FRAME_PAYLOAD, OFFER_MESSAGE
        self.snd_una = self.snd_nxt = self.epoch & 0xFFFF
        self.peer_rwnd = 0
        self.flight = {}  # seq -> _Out
        self.queue = []  # messages not yet cut into frames
        self.tx_counter = 0
        self.rto, self.srtt, self.rttvar = self.RTO_INITIAL, None, None
        self.expiries = 0
        self.rcv_nxt = 0
        self.held = {}  # seq -> Frame, out of order
        self.reasm = bytearray()
        self.reasm_discard = False
        self._cut = 0  # fragments of queue[0] already cut

    def log(self, text):
        if self.trace:
            sys.stderr.write(f"link: {text}\n")

    # --- transmit -------------------------------------------------------------------------------
    def _write(self, frame, lead=False):
        now = time.monotonic()
        data = frame.wire()
        if lead or now - self.last_tx >= IDLE_DELIMITER:
            data = b"\x00" + data  # §3.7.3
        view = memoryview(data)
        while view:
            n = os.write(self.fd, view)
            view = view[n:]
        self.last_tx = time.monotonic()

    def _send_hello(self):
        offer = L.Hello(1, OFFER_WINDOW, OFFER_PAYLOAD, OFFER_MESSAGE, self.epoch, self.peer_epoch)
        self._write(L.Frame(L.HELLO, payload=offer.pack()), lead=True)
        self.next_hello = time.monotonic() + HELLO_INTERVAL

    def _send_error(self, code, text=""):
        payload = struct.pack("<H", L.ERR[code]) + text.encode()[: L.DEFAULT_FRAME_PAYLOAD - 2]
        self._write(L.Frame(L.ERROR, payload=payload), lead=True)

    def _send_ack(self):
        bitmap = 0
        for s in self.held:
            bitmap |= 1 << (L.seq_diff(s, self.rcv_nxt) - 1)
        self._write(L.Frame(L.ACK, L.ACK_VALID, self.W, 0, self.rcv_nxt, struct.pack("<I", bitmap)))

    # --- receive --------------------------------------------------------------------------------
    def poll(self, timeout):
        """Read what arrives within `timeout` seconds, run timers; returns when something happened."""
        now = time.monotonic()
        if not self.up and now >= self.next_hello:
            self._send_hello()
        deadline = min(now + timeout, self.next_hello if not self.up else now + timeout)
        for out in self.flight.values():
            if not out.sacked:
                deadline = min(deadline, out.sent_at + self.rto)
        wait = max(0.0, deadline - time.monotonic())
        ready, _, _ = select.select([self.fd], [], [], wait)
        if ready:
            try:
                data = os.read(self.fd, 4096)
            except OSError as e:
                raise LinkDown(f"read: {e}") from e
            if not data:
                raise LinkDown("end of file")
            for b in data:
                self._byte(b)
        self._timers()
        self.pump()

    def _byte(self, b):
        if b != 0:
            if len(self.rx) < L.cobs_max(14 + max(OFFER_PAYLOAD, L.DEFAULT_FRAME_PAYLOAD)):
                self.rx.append(b)
            else:
                self.rx_overflow = True
            return
        encoded, overflow = bytes(self.rx), self.rx_overflow
        self.rx.clear()
        self.rx_overflow = False
        if overflow:
            self.counts["frames_bad"] += 1  # TOO_LARGE, §3.7.1
        elif encoded:
            self._encoded_frame(encoded)

    def _encoded_frame(self, encoded):
        try:
            frame = L.decode_frame(encoded, max(OFFER_PAYLOAD, L.DEFAULT_FRAME_PAYLOAD))
        except L.FrameError as e:
            self.counts["frames_bad"] += 1
            self.log(f"bad frame {e.code}")
            if e.answer:
                self._send_error(e.code)
            return
        self.counts["frames_in"] += 1
        handler = {
            L.HELLO: self._on_hello,
            L.HELLO_ACK: self._on_hello_ack,
            L.DATA: self._on_data,
            L.ACK: self._on_ack,
            L.ERROR: self._on_error,
        }[frame.type]
        handler(frame)

    def _on_hello(self, frame):
        hello = L.Hello.unpack(frame.payload)
        code = hello.check()
        if code:
            self._send_error(code)
            return
        if self.up and hello.epoch == self.peer_epoch:
            self._write(L.Frame(L.HELLO_ACK, payload=self.hello_ack), lead=True)  # repeated HELLO
            return
        if self.up:
            self.log("peer reset")
            self.epoch = self._new_epoch(self.epoch)
            self._reset_session()
        ack = L.Hello(
            min(1, hello.version),
            min(OFFER_WINDOW, hello.window),
            min(OFFER_PAYLOAD, hello.max_frame_payload),
            min(OFFER_MESSAGE, hello.max_message_bytes),
            self.epoch,
            hello.epoch,
        )
        self._go_up(ack, hello.epoch)
        self.hello_ack = ack.pack()
        self._write(L.Frame(L.HELLO_ACK, payload=self.hello_ack), lead=True)

    def _on_hello_ack(self, frame):
        ack = L.Hello.unpack(frame.payload)
        code = ack.check()
        if code:
            self._send_error(code)
            return
        if ack.peer_epoch != self.epoch:
            return  # answers an older HELLO
        if self.up:
            if ack.epoch != self.peer_epoch:
                self.log("peer restarted while answering")
                self.epoch = self._new_epoch(self.epoch)
                self._reset_session()
                self.up = False
            return
        if (
            ack.version > 1
            or ack.window > OFFER_WINDOW
            or ack.max_frame_payload > OFFER_PAYLOAD
            or ack.max_message_bytes > OFFER_MESSAGE
        ):
            self._send_error("OUT_OF_RANGE")
            return
        self._go_up(ack, ack.epoch)

    def _go_up(self, values, peer_epoch):
        self.up = True
        self.peer_epoch = peer_epoch
        self.W, self.P, self.M = values.window, values.max_frame_payload, values.max_message_bytes
        self.peer_rwnd = self.W
        self.rcv_nxt = peer_epoch & 0xFFFF
        self.log(f"up: W={self.W} P={self.P} M={self.M} peer epoch {peer_epoch:#010x}")

    def _on_error(self, frame):
        code = struct.unpack("<H", frame.payload[:2])[0]
        text = frame.payload[2:].decode("utf-8", "replace")
        self.peer_errors.append((code, text))
        self.log(f"peer ERROR frame {code} {text!r}")

    def _on_ack(self, frame):
        if self.up:
            self._take_ack(frame, struct.unpack("<I", frame.payload)[0])

    def _on_data(self, frame):
        if not self.up:
            return  # ignored while connecting (§3.6.3)
        if len(frame.payload) > self.P:
            self._send_error("TOO_LARGE")  # dropped, not acknowledged (§3.5.8)
            return
        if frame.flags & L.ACK_VALID:
            self._take_ack(frame, None)
        d = L.seq_diff(frame.seq, self.rcv_nxt)
        if d == 0:
            self._reassemble(frame)
            self.rcv_nxt = (self.rcv_nxt + 1) & 0xFFFF
            while self.rcv_nxt in self.held:
                self._reassemble(self.held.pop(self.rcv_nxt))
                self.rcv_nxt = (self.rcv_nxt + 1) & 0xFFFF
        elif 0 < d < self.W and frame.seq not in self.held:
            self.held[frame.seq] = frame
        self._send_ack()  # every DATA frame is acknowledged (§3.5.3)

    def _reassemble(self, frame):
        self.reasm += frame.payload
        if len(self.reasm) > self.M:
            self.reasm_discard = True
        if not frame.flags & L.MORE:
            if self.reasm_discard:
                self._send_error("TOO_LARGE")
            else:
                self.inbox.append(bytes(self.reasm))
            self.reasm = bytearray()
            self.reasm_discard = False
