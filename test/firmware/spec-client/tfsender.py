"""The sending half of a PROTOCOL.md §3.5 endpoint: fragmentation (§3.4.1), window (§3.5.2), acks
and SACK (§3.5.3, §3.5.4), RTO (§3.5.6), loss detection (§3.5.7). Written from PROTOCOL.md only.
"""

import time

import tflink as L


class LinkDown(Exception):
    pass


class _Out:
    """One DATA frame in flight (§3.5.2)."""

    def __init__(self, seq, flags, payload):
        self.seq, self.flags, self.payload = seq, flags, payload
        self.sent_at = 0.0
        self.tx_no = 0  # number of its latest transmission (§3.5.7)
        self.count = 0
        self.sacked = False
        self.lost = False


class Sender:
    """Mixed into Endpoint, which owns the session state and _write()."""

    RTO_INITIAL, RTO_MIN, RTO_MAX, GRANULARITY = 1.0, 0.02, 2.0, 0.001
    MAX_RETRANSMISSIONS = 10

    def _transmit(self, out):
        self.tx_counter += 1
        out.tx_no = self.tx_counter
        out.count += 1
        out.sent_at = time.monotonic()
        out.lost = False
        if out.count > 1:
            self.counts["retransmits"] += 1
        else:
            self.counts["data_out"] += 1
        self._write(L.Frame(L.DATA, L.ACK_VALID | out.flags, self.W, out.seq, self.rcv_nxt, out.payload))

    def send(self, message):
        if len(message) > self.M:
            raise ValueError("TOO_LARGE")  # §3.4.1
        self.queue.append(bytes(message))
        self.pump()

    def pump(self):
        """Retransmissions first, then new frames while the window allows (§3.5.9)."""
        if not self.up:
            return
        for seq in sorted(self.flight, key=lambda s: L.seq_diff(s, self.snd_una)):
            if self.flight[seq].lost:
                self._transmit(self.flight[seq])
        while self.queue:
            limit = max(1, min(self.W, self.peer_rwnd))
            frags = max(1, -(-len(self.queue[0]) // self.P))
            if L.seq_diff(self.snd_nxt, self.snd_una) + 1 > limit:
                return
            msg = self.queue[0]
            # cut one fragment at a time so the window check applies per frame
            done = self._cut
            chunk = msg[done * self.P : (done + 1) * self.P]
            more = L.MORE if done + 1 < frags else 0
            out = _Out(self.snd_nxt, more, chunk)
            self.flight[self.snd_nxt] = out
            self.snd_nxt = (self.snd_nxt + 1) & 0xFFFF
            self._transmit(out)
            if more:
                self._cut = done + 1
            else:
                self._cut = 0
                self.queue.pop(0)

    def _take_ack(self, frame, sack):
        ack = frame.ack
        if L.seq_diff(ack, self.snd_una) > L.seq_diff(self.snd_nxt, self.snd_una):
            return  # acknowledges frames never sent
        progress = False
        sample = None
        while L.seq_diff(ack, self.snd_una) > 0:
            out = self.flight.pop(self.snd_una)
            if out.count == 1 and not out.sacked:
                sample = out
            self.snd_una = (self.snd_una + 1) & 0xFFFF
            progress = True
        self.peer_rwnd = frame.rwnd
        if sack:
            for i in range(32):
                out = self.flight.get((ack + 1 + i) & 0xFFFF)
                if sack >> i & 1 and out and not out.sacked:
                    out.sacked = progress = True
                    if out.count == 1 and (sample is None or out.tx_no > sample.tx_no):
                        sample = out
        if sample is not None:
            self._rtt(time.monotonic() - sample.sent_at)
        if progress or (frame.rwnd == 0 and ack == self.snd_una):
            self.expiries = 0
        newest = max((o.tx_no for o in self.flight.values() if o.sacked), default=0)
        for out in self.flight.values():
            if not out.sacked and out.tx_no < newest:
                out.lost = True  # REORDER_THRESHOLD 1 (§3.5.7)

    def _rtt(self, r):
        if self.srtt is None:
            self.srtt, self.rttvar = r, r / 2
        else:
            self.rttvar = 0.75 * self.rttvar + 0.25 * abs(self.srtt - r)
            self.srtt = 0.875 * self.srtt + 0.125 * r
        self.rto = min(self.RTO_MAX, max(self.RTO_MIN, self.srtt + max(self.GRANULARITY, 4 * self.rttvar)))

    def _timers(self):
        now = time.monotonic()
        expired = [o for o in self.flight.values() if not o.sacked and now >= o.sent_at + self.rto]
        if not expired:
            return
        for out in expired:
            out.lost = True
        self.rto = min(self.RTO_MAX, self.rto * 2)
        self.expiries += 1
        if self.expiries > self.MAX_RETRANSMISSIONS:
            raise LinkDown("retransmissions")
