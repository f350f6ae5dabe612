#!/usr/bin/python3
"""The disk's fdatasync latency where the vault keeps its data: appends a 200-byte record and
fdatasyncs it, N times (default 1000), and prints "p50_ms p99_ms"."""
import os
import sys
import time


def main():
    path = os.path.join(sys.argv[1], "fsync-probe")
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    samples = []
    try:
        for _ in range(n):
            os.write(fd, b"x" * 199 + b"\n")
            start = time.perf_counter()
            os.fdatasync(fd)
            samples.append(time.perf_counter() - start)
    finally:
        os.close(fd)
        os.unlink(path)
    samples.sort()
    print(f"{samples[n // 2] * 1000:.3f} {samples[int(n * 0.99)] * 1000:.3f}")


if __name__ == "__main__":
    main()
