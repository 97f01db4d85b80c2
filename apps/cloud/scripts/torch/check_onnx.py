"""Run onnx.checker (full check, with shape inference) on ONNX files; print {path: error or null} as JSON.

Usage: /usr/bin/python3 check_onnx.py MODEL.onnx [MODEL.onnx ...]   (needs Debian's python3-onnx)
"""
import json
import sys

import onnx


def main() -> None:
    results = {}
    for path in sys.argv[1:]:
        try:
            onnx.checker.check_model(onnx.load(path), full_check=True)
            results[path] = None
        except Exception as e:  # report every failure, keep going
            results[path] = f"{type(e).__name__}: {e}"
    print(json.dumps(results))


if __name__ == "__main__":
    main()
