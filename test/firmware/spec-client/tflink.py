"""Frames of the TinyFleet serial link, PROTOCOL.md §3.1-§3.3 and §3.7.2: COBS, CRC-32, header.

Written from PROTOCOL.md only (constants from its table, §1.4).
"""

import struct

VERSION = 1
HEADER_BYTES = 10  # P.LINK_HEADER_BYTES
CRC_BYTES = 4  # P.LINK_CRC_BYTES
HELLO_PAYLOAD_BYTES = 16  # P.LINK_HELLO_PAYLOAD_BYTES
ACK_PAYLOAD_BYTES = 4  # P.LINK_ACK_PAYLOAD_BYTES
MIN_FRAME_PAYLOAD = 64  # P.LINK_MIN_FRAME_PAYLOAD
MAX_FRAME_PAYLOAD = 4096  # P.LINK_MAX_FRAME_PAYLOAD
DEFAULT_FRAME_PAYLOAD = 256  # P.LINK_DEFAULT_FRAME_PAYLOAD
MAX_WINDOW = 32  # P.LINK_MAX_WINDOW
MAX_MESSAGE_BYTES = 65536  # P.LINK_MAX_MESSAGE_BYTES

DATA, ACK, HELLO, HELLO_ACK, ERROR = 0x01, 0x02, 0x03, 0x04, 0x05  # FRAME.*
ACK_VALID, MORE = 0x01, 0x02  # FLAG.*

ERR = {
    "MALFORMED": 1,
    "CRC_MISMATCH": 2,
    "UNSUPPORTED_VERSION": 3,
    "TOO_LARGE": 4,
    "UNKNOWN_TYPE": 5,
    "BAD_FIELD": 6,
    "OUT_OF_RANGE": 7,
    "TRUNCATED": 8,
}


def _crc_table():
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0xEDB88320 if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _crc_table()


def crc32(data):
    """zlib's crc32: IEEE polynomial, reflected, init and final XOR 0xFFFFFFFF (§1.2)."""
    c = 0xFFFFFFFF
    for b in data:
        c = _TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


assert crc32(b"123456789") == 0xCBF43926


def cobs_encode(data):
    """Canonical COBS of §3.1.2."""
    segments = bytes(data).split(b"\x00")
    out = bytearray()
    for i, seg in enumerate(segments):
        last = i == len(segments) - 1
        while len(seg) >= 254:
            out.append(0xFF)
            out += seg[:254]
            seg = seg[254:]
            if not seg and last:
                return bytes(out)  # the final empty block is omitted (rule 2)
        out.append(len(seg) + 1)
        out += seg
    return bytes(out)


def cobs_decode(data):
    """§3.1.3. Raises ValueError (MALFORMED) on a 0x00 or a block running past the end."""
    out = bytearray()
    i = 0
    n = len(data)
    while i < n:
        c = data[i]
        if c == 0:
            raise ValueError("MALFORMED")
        if i + c > n:
            raise ValueError("MALFORMED")
        block = data[i + 1 : i + c]
        if 0 in block:
            raise ValueError("MALFORMED")
        out += block
        i += c
        if c < 0xFF and i < n:
            out.append(0)
    return bytes(out)


def cobs_max(n):
    return n + n // 254 + 1


class Frame:
    def __init__(self, ftype, flags=0, rwnd=0, seq=0, ack=0, payload=b""):
        self.type = ftype
        self.flags = flags
        self.rwnd = rwnd
        self.seq = seq
        self.ack = ack
        self.payload = bytes(payload)

    def raw(self):
        head = struct.pack(
            "<BBBBHHH", VERSION, self.type, self.flags, self.rwnd, self.seq, self.ack, len(self.payload)
        )
        body = head + self.payload
        return body + struct.pack("<I", crc32(body))

    def wire(self):
        """COBS(raw) followed by the delimiter (§3.1.1)."""
        return cobs_encode(self.raw()) + b"\x00"


class FrameError(Exception):
    def __init__(self, code, answer):
        super().__init__(code)
        self.code = code
        self.answer = answer  # steps 5-12: the peer sent it as it is, answer with an ERROR frame


def decode_frame(encoded, max_payload):
    """§3.7.2 on the bytes before a delimiter."""
    try:
        raw = cobs_decode(encoded)
    except ValueError:
        raise FrameError("MALFORMED", False) from None
    if len(raw) < HEADER_BYTES + CRC_BYTES:
        raise FrameError("TRUNCATED", False)
    if len(raw) > HEADER_BYTES + CRC_BYTES + max_payload:
        raise FrameError("TOO_LARGE", False)
    if crc32(raw[:-CRC_BYTES]) != struct.unpack("<I", raw[-CRC_BYTES:])[0]:
        raise FrameError("CRC_MISMATCH", False)
    version, ftype, flags, rwnd, seq, ack, length = struct.unpack("<BBBBHHH", raw[:HEADER_BYTES])
    answer = ftype != ERROR
    if version != VERSION:
        raise FrameError("UNSUPPORTED_VERSION", answer)
    if ftype not in (DATA, ACK, HELLO, HELLO_ACK, ERROR):
        raise FrameError("UNKNOWN_TYPE", answer)
    if length != len(raw) - HEADER_BYTES - CRC_BYTES:
        raise FrameError("MALFORMED", answer)
    if flags & ~(ACK_VALID | MORE):
        raise FrameError("BAD_FIELD", answer)
    if rwnd > MAX_WINDOW:
        raise FrameError("OUT_OF_RANGE", answer)
    if not flags & ACK_VALID and (ack or rwnd):
        raise FrameError("BAD_FIELD", answer)
    if ftype == ACK and (flags != ACK_VALID or seq):
        raise FrameError("BAD_FIELD", answer)
    if ftype in (HELLO, HELLO_ACK, ERROR) and (flags or seq):
        raise FrameError("BAD_FIELD", answer)
    if (
        (ftype == ACK and length != ACK_PAYLOAD_BYTES)
        or (ftype in (HELLO, HELLO_ACK) and length != HELLO_PAYLOAD_BYTES)
        or (ftype == ERROR and length < 2)
    ):
        raise FrameError("MALFORMED", answer)
    return Frame(ftype, flags, rwnd, seq, ack, raw[HEADER_BYTES:-CRC_BYTES])


class Hello:
    """The 16-byte HELLO / HELLO_ACK payload of §3.6.1."""

    def __init__(self, version, window, max_frame_payload, max_message_bytes, epoch, peer_epoch):
        self.version = version
        self.window = window
        self.max_frame_payload = max_frame_payload
        self.max_message_bytes = max_message_bytes
        self.epoch = epoch
        self.peer_epoch = peer_epoch

    def pack(self):
        return struct.pack(
            "<BBHIII",
            self.version,
            self.window,
            self.max_frame_payload,
            self.max_message_bytes,
            self.epoch,
            self.peer_epoch,
        )

    @staticmethod
    def unpack(payload):
        return Hello(*struct.unpack("<BBHIII", payload))

    def check(self):
        """§3.6.2: None when valid, else the error code name."""
        if self.version == 0:
            return "UNSUPPORTED_VERSION"
        if not 1 <= self.window <= MAX_WINDOW:
            return "OUT_OF_RANGE"
        if not MIN_FRAME_PAYLOAD <= self.max_frame_payload <= MAX_FRAME_PAYLOAD:
            return "OUT_OF_RANGE"
        if not MIN_FRAME_PAYLOAD <= self.max_message_bytes <= MAX_MESSAGE_BYTES:
            return "OUT_OF_RANGE"
        if self.epoch == 0:
            return "BAD_FIELD"
        return None


def seq_diff(a, b):
    """d(a, b) of §3.5.1."""
    return ((a - b + 0x8000) % 0x10000) - 0x8000
