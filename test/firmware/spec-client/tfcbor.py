"""Minimal CBOR (RFC 8949) for the TinyFleet message profile of PROTOCOL.md §4.1.2.

Written from the RFC and PROTOCOL.md only. Decoding returns Python values: int, bytes, str, list,
dict, bool, None, float, and Tag for the typed arrays of §4.1.4. Encoding uses preferred
serialization (shortest arguments); a F32 value is written as a CBOR float32 (0xfa), as §4.1.3 asks.
"""

import math
import struct

MAX_DEPTH = 8  # P.MESSAGE_MAX_DEPTH (§4.1.2 item 4)
ALLOWED_TAGS = (69, 78, 85)  # §4.1.4 item 2


class CborError(Exception):
    """A decoding failure with the §1.5 code name (MALFORMED or TRUNCATED)."""

    def __init__(self, code, detail):
        super().__init__(f"{code}: {detail}")
        self.code = code


class Tag:
    def __init__(self, tag, value):
        self.tag = tag
        self.value = value

    def __eq__(self, other):
        return isinstance(other, Tag) and (self.tag, self.value) == (other.tag, other.value)

    def __repr__(self):
        return f"Tag({self.tag}, {self.value!r})"


class F32:
    """A float to be encoded as binary32; the value must be exactly representable (§4.1.3)."""

    def __init__(self, value):
        self.value = value


def _head(major, arg):
    if arg < 24:
        return bytes([(major << 5) | arg])
    for ai, fmt in ((24, ">B"), (25, ">H"), (26, ">I"), (27, ">Q")):
        if arg < 1 << (8 * struct.calcsize(fmt)):
            return bytes([(major << 5) | ai]) + struct.pack(fmt, arg)
    raise ValueError("integer too large for CBOR")


def encode(value):
    if value is False:
        return b"\xf4"
    if value is True:
        return b"\xf5"
    if value is None:
        return b"\xf6"
    if isinstance(value, int):
        return _head(0, value) if value >= 0 else _head(1, -1 - value)
    if isinstance(value, (bytes, bytearray)):
        return _head(2, len(value)) + bytes(value)
    if isinstance(value, str):
        raw = value.encode("utf-8")
        return _head(3, len(raw)) + raw
    if isinstance(value, (list, tuple)):
        return _head(4, len(value)) + b"".join(encode(v) for v in value)
    if isinstance(value, dict):
        out = _head(5, len(value))
        for k, v in value.items():
            if not isinstance(k, str):
                raise ValueError("map keys must be text (§4.1.2)")
            out += encode(k) + encode(v)
        return out
    if isinstance(value, Tag):
        return _head(6, value.tag) + encode(value.value)
    if isinstance(value, F32):
        raw = struct.pack(">f", value.value)
        if struct.unpack(">f", raw)[0] != value.value:
            raise ValueError(f"{value.value} is not exactly a binary32 value")
        return b"\xfa" + raw
    if isinstance(value, float):
        return b"\xfb" + struct.pack(">d", value)
    raise TypeError(f"cannot encode {type(value).__name__}")


def _half(bits):
    # RFC 8949 Appendix D
    exp = (bits >> 10) & 0x1F
    mant = bits & 0x3FF
    if exp == 0:
        val = math.ldexp(mant, -24)
    elif exp != 31:
        val = math.ldexp(mant + 1024, exp - 25)
    else:
        val = math.inf if mant == 0 else math.nan
    return -val if bits & 0x8000 else val


class _Reader:
    def __init__(self, data):
        self.data = data
        self.pos = 0

    def take(self, n):
        if n > len(self.data) - self.pos:
            raise CborError("TRUNCATED", f"need {n} bytes at offset {self.pos}")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def head(self):
        ib = self.take(1)[0]
        major, ai = ib >> 5, ib & 0x1F
        if ai < 24:
            return major, ai, ai
        if ai in (24, 25, 26, 27):
            n = 1 << (ai - 24)
            return major, ai, int.from_bytes(self.take(n), "big")
        # 28..30 reserved, 31 indefinite length or break: outside the profile (§4.1.2 item 2)
        raise CborError("MALFORMED", f"additional information {ai} at offset {self.pos - 1}")

    def item(self, depth):
        # depth counts the containers open around this item (§4.1.2 item 4)
        major, ai, arg = self.head()
        if major == 0:
            return arg
        if major == 1:
            return -1 - arg
        if major in (2, 3):
            raw = bytes(self.take(arg))
            if major == 2:
                return raw
            try:
                return raw.decode("utf-8")
            except UnicodeDecodeError as e:
                raise CborError("MALFORMED", "text string is not UTF-8") from e
        if major in (4, 5, 6) and depth + 1 > MAX_DEPTH:
            raise CborError("MALFORMED", f"nesting deeper than {MAX_DEPTH}")
        if major == 4:
            if arg > len(self.data) - self.pos:
                raise CborError("TRUNCATED", "array count larger than the bytes left")
            return [self.item(depth + 1) for _ in range(arg)]
        if major == 5:
            if arg > len(self.data) - self.pos:
                raise CborError("TRUNCATED", "map count larger than the bytes left")
            out = {}
            for _ in range(arg):
                key = self.item(depth + 1)
                if not isinstance(key, str):
                    raise CborError("MALFORMED", "map key is not a text string")
                if key in out:
                    raise CborError("MALFORMED", f"duplicate map key {key!r}")
                out[key] = self.item(depth + 1)
            return out
        if major == 6:
            if arg not in ALLOWED_TAGS:
                raise CborError("MALFORMED", f"tag {arg} not in the profile")
            inner = self.item(depth + 1)
            if not isinstance(inner, bytes):
                raise CborError("MALFORMED", f"tag {arg} does not wrap a byte string")
            if len(inner) % (2 if arg == 69 else 4) != 0:
                raise CborError("MALFORMED", f"tag {arg} length not a multiple of its element")
            return Tag(arg, inner)
        # major 7
        if ai == 20:
            return False
        if ai == 21:
            return True
        if ai == 22:
            return None
        if ai == 25:
            return _half(arg)
        if ai == 26:
            return struct.unpack(">f", arg.to_bytes(4, "big"))[0]
        if ai == 27:
            return struct.unpack(">d", arg.to_bytes(8, "big"))[0]
        raise CborError("MALFORMED", f"simple value {arg} not in the profile")


def decode(data):
    """Decode exactly one item filling `data` (§4.1.2 item 1)."""
    r = _Reader(bytes(data))
    value = r.item(0)
    if r.pos != len(r.data):
        raise CborError("MALFORMED", f"{len(r.data) - r.pos} bytes after the item")
    return value
