#!/usr/bin/env python3
"""An independent TinyFleet gateway-side client written from protocol/spec/PROTOCOL.md only.

It opens a device's serial port (the virtual MCU's pty), brings the link up (§3.6), completes the
device session handshake (HELLO / HELLO_ACK, §4.2), runs one inference (INFER_REQUEST /
INFER_RESULT, §4.5) and prints one JSON object with the result. Python 3 standard library only.

    client.py --port /dev/pts/N --model m.tfm --input x.bin [--input x2.bin] [--timeout 20] [--trace]

--model reads the input tensor's shape, scale and zero point from the artifact (§5.2, §5.5); they
can also be given with --shape 1,28,28,1 --xs 0.0039 --xz 0.
"""

import argparse
import hashlib
import json
import os
import struct
import sys
import termios
import time
import tty

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import tfcbor  # noqa: E402
from tfendpoint import Endpoint, LinkDown  # noqa: E402

MSG_HELLO, MSG_HELLO_ACK, MSG_ERROR = 0x01, 0x02, 0x05
MSG_INFER_REQUEST, MSG_INFER_RESULT = 0x30, 0x31
REPLY_NAME = {MSG_HELLO: "HELLO", MSG_ERROR: "ERROR", MSG_INFER_RESULT: "INFER_RESULT"}


class SessionError(Exception):
    pass


def read_artifact(path):
    """The model input of an artifact file (§5.2 header, §5.3 directory, §5.5 tensor record)."""
    with open(path, "rb") as f:
        data = f.read()
    magic, _fmt, header_bytes, _flags, content_bytes = struct.unpack_from("<IHHII", data, 0)
    if magic != 0x4D465454 or header_bytes != 192:
        raise SessionError(f"{path}: not a model artifact")
    input_tensor = struct.unpack_from("<H", data, 22)[0]
    tensors_offset, _bytes, count, _r = struct.unpack_from("<IIII", data, 112 + 16 * 1)
    if input_tensor >= count:
        raise SessionError(f"{path}: input tensor {input_tensor} outside the table")
    rec = tensors_offset + 64 * input_tensor
    rank, quant = data[rec + 6], data[rec + 7]
    shape = list(struct.unpack_from("<4I", data, rec + 8))[:rank]
    scale = struct.unpack_from("<f", data, rec + 36)[0]
    zero_point = struct.unpack_from("<i", data, rec + 40)[0]
    if quant != 1:
        raise SessionError(f"{path}: the input is not per-tensor quantized")
    return {
        "shape": shape,
        "xs": scale,
        "xz": zero_point,
        "file_sha256": hashlib.sha256(data).hexdigest(),
        "content_sha256": data[80:112].hex(),  # §5.8, the header's digest field
        "content_bytes": content_bytes,
    }


def open_port(path):
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
    if os.isatty(fd):
        tty.setraw(fd)
        attrs = termios.tcgetattr(fd)
        attrs[3] &= ~termios.ECHO
        termios.tcsetattr(fd, termios.TCSANOW, attrs)
    return fd


def envelope(msg):
    """§4.1.7 steps 3-5 and the envelope of step 6; returns the message type."""
    if not isinstance(msg, dict):
        raise SessionError("MALFORMED: not a map")
    v, t, mid = msg.get("v"), msg.get("t"), msg.get("id")
    if not isinstance(v, int) or isinstance(v, bool) or v < 0:
        raise SessionError("BAD_FIELD: v")
    if v != 1:
        raise SessionError("UNSUPPORTED_VERSION")
    if not isinstance(t, int) or isinstance(t, bool) or t < 0:
        raise SessionError("BAD_FIELD: t")
    if not isinstance(mid, bytes):
        raise SessionError("BAD_FIELD: id")
    if not 8 <= len(mid) <= 16:
        raise SessionError("OUT_OF_RANGE: id")
    return t


def is_uint(x):
    return isinstance(x, int) and not isinstance(x, bool) and x >= 0


def check_hello(msg):
    """§4.2.1: the fields this client relies on, and the rules across fields."""
    for key in ("dev", "fw", "core"):
        if not isinstance(msg.get(key), str):
            raise SessionError(f"BAD_FIELD: HELLO {key}")
    for key in ("abi", "clk", "flash", "ram", "slot", "mmsg", "sbuf", "boot"):
        if not is_uint(msg.get(key)):
            raise SessionError(f"BAD_FIELD: HELLO {key}")
    ops = msg.get("ops")
    if not isinstance(ops, list) or not all(is_uint(o) for o in ops):
        raise SessionError("BAD_FIELD: HELLO ops")
    if any(b <= a for a, b in zip(ops, ops[1:])):
        raise SessionError("OUT_OF_RANGE: HELLO ops not strictly ascending")
    if not isinstance(msg.get("fqt"), bool):
        raise SessionError("BAD_FIELD: HELLO fqt")
    present = [k in msg for k in ("msha", "mver", "aslot")]
    if any(present) and not all(present):
        raise SessionError("BAD_FIELD: HELLO msha/mver/aslot")
    if len(msg["id"]) != 8 or struct.unpack("<I", msg["id"][:4])[0] != msg["boot"]:
        raise SessionError("BAD_FIELD: HELLO id is not (boot, counter)")


def check_result(msg):
    """§4.5.2."""
    if not is_uint(msg.get("cls")) or not is_uint(msg.get("cyc")):
        raise SessionError("BAD_FIELD: INFER_RESULT cls/cyc")
    present = [k in msg for k in ("y", "ys", "yz")]
    if any(present) and not all(present):
        raise SessionError("BAD_FIELD: INFER_RESULT y/ys/yz")
    if all(present):
        if not isinstance(msg["y"], bytes) or not isinstance(msg["ys"], (int, float)):
            raise SessionError("BAD_FIELD: INFER_RESULT y/ys")
        if msg["cls"] >= len(msg["y"]):
            raise SessionError("OUT_OF_RANGE: INFER_RESULT cls")


class Session:
    def __init__(self, fd, trace):
        self.link = Endpoint(fd, trace)
        self.trace = trace
        self.hello = None
        self.received = []  # types of every message, in order

    def new_id(self):
        return os.urandom(16)  # §4.1.5 item 2

    def send(self, msg):
        self.link.send(tfcbor.encode(msg))

    def next_message(self, deadline):
        while not self.link.inbox:
            if time.monotonic() >= deadline:
                raise SessionError("TIMEOUT")
            self.link.poll(min(0.05, max(0.0, deadline - time.monotonic())))
        raw = self.link.inbox.pop(0)
        msg = tfcbor.decode(raw)
        t = envelope(msg)
        self.received.append(t)
        if self.trace:
            sys.stderr.write(f"msg: t={t:#04x} {len(raw)} bytes\n")
        if t == MSG_HELLO:
            check_hello(msg)
            self.hello = msg
            now_ms = int(time.time() * 1000)
            ack = {"v": 1, "t": MSG_HELLO_ACK, "id": self.new_id(), "re": msg["id"]}
            ack.update({"name": "spec-client", "time": now_ms, "hb": 10000})
            self.send(ack)
        return t, msg

    def wait_hello(self, deadline):
        while self.hello is None:
            self.next_message(deadline)

    def infer(self, shape, x, xs, xz, deadline):
        rid = self.new_id()
        req = {"v": 1, "t": MSG_INFER_REQUEST, "id": rid, "shape": shape, "x": x}
        req.update({"xs": tfcbor.F32(xs), "xz": xz, "full": True})
        self.send(req)
        while True:
            t, msg = self.next_message(deadline)
            if msg.get("re") != rid:
                continue
            if t == MSG_ERROR:
                raise SessionError(f"device answered ERROR code {msg.get('code')}: {msg.get('msg')}")
            if t == MSG_INFER_RESULT:
                check_result(msg)
                return msg


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--port", required=True, help="serial device or pty of the device")
    ap.add_argument("--model", help="the artifact the device runs (input shape, scale, zero point)")
    ap.add_argument("--shape", help="input shape, e.g. 1,28,28,1")
    ap.add_argument("--xs", type=float, help="input scale (a binary32 value)")
    ap.add_argument("--xz", type=int, help="input zero point")
    ap.add_argument(
        "--input", action="append", help="file with one uint8 input (repeatable); default all zero points"
    )
    ap.add_argument("--timeout", type=float, default=20.0)
    ap.add_argument("--trace", action="store_true")
    args = ap.parse_args()

    info = read_artifact(args.model) if args.model else {}
    shape = [int(d) for d in args.shape.split(",")] if args.shape else info.get("shape")
    xs = args.xs if args.xs is not None else info.get("xs")
    xz = args.xz if args.xz is not None else info.get("xz")
    if shape is None or xs is None or xz is None:
        ap.error("give --model, or --shape, --xs and --xz")
    n = 1
    for d in shape:
        n *= d
    inputs = []
    for path in args.input or []:
        with open(path, "rb") as f:
            inputs.append(f.read())
    inputs = inputs or [bytes([xz]) * n]
    for x in inputs:
        if len(x) != n:
            ap.error(f"an input has {len(x)} bytes, the shape needs {n}")

    fd = open_port(args.port)
    session = Session(fd, args.trace)
    deadline = time.monotonic() + args.timeout
    try:
        session.wait_hello(deadline)
        results = [session.infer(shape, x, xs, xz, deadline) for x in inputs]
    finally:
        os.close(fd)
    hello = session.hello
    msha = hello.get("msha")
    out = {
        "dev": hello["dev"],
        "core": hello["core"],
        "mmsg": hello["mmsg"],
        "link": {"W": session.link.W, "P": session.link.P, "M": session.link.M, **session.link.counts},
        "msha": msha.hex() if msha else None,
        "msha_is": None,
        "results": [
            {
                "cls": r["cls"],
                "cyc": r["cyc"],
                "y": r["y"].hex() if "y" in r else None,
                "ys_bits": struct.unpack(">I", struct.pack(">f", r["ys"]))[0] if "ys" in r else None,
                "yz": r.get("yz"),
            }
            for r in results
        ],
        "messages": session.received,
    }
    if msha and info:
        if msha.hex() == info["file_sha256"]:
            out["msha_is"] = "file"
        elif msha.hex() == info["content_sha256"]:
            out["msha_is"] = "content"
        else:
            out["msha_is"] = "other"
    print(json.dumps(out))


if __name__ == "__main__":
    try:
        main()
    except (SessionError, tfcbor.CborError, LinkDown, OSError) as e:
        sys.stderr.write(f"spec-client: {e}\n")
        sys.exit(1)
