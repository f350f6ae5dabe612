#!/usr/bin/python3
"""Reads the wrk outputs of bench/load.sh (DIR/<case>.txt) and prints one table: requests/s,
p50 and p99 latency, answers that were not 2xx, and each case's ratio to health measured in the
same run."""
import re
import sys

CASES = [
    ("health", "(a) GET /sys/health (the stack's limit)"),
    ("reveal", "(b) reveal one value"),
    ("resolve", "(c) batch resolve, 10 keys"),
    ("render", "(d) render the 60 KB BPMN, 50 references"),
    ("put", "(e) put a new version (durable)"),
    ("mixed", "(f) 90 % reveal, 10 % put"),
]


def millis(text):
    value, unit = re.match(r"([0-9.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def parse(path):
    text = open(path).read()
    rps = float(re.search(r"Requests/sec:\s+([0-9.]+)", text).group(1))
    p50 = millis(re.search(r"\s50%\s+(\S+)", text).group(1))
    p99 = millis(re.search(r"\s99%\s+(\S+)", text).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    errors = re.search(r"Socket errors: (.*)", text)
    return rps, p50, p99, int(bad.group(1)) if bad else 0, errors.group(1) if errors else ""


def cpu_per_request(path):
    """Server CPU (user + system) per request in microseconds, from DIR/<case>.cpu."""
    try:
        ticks, per_second = map(int, open(path).read().split())
    except (OSError, ValueError):
        return float("nan")
    text = open(path[:-4] + ".txt").read()
    requests = int(re.search(r"(\d+) requests in", text).group(1))
    return ticks / per_second / max(requests, 1) * 1e6


def main():
    directory = sys.argv[1]
    import os
    cases = [(n, t) for n, t in CASES if os.path.exists(f"{directory}/{n}.txt")]
    rows = {name: parse(f"{directory}/{name}.txt") for name, _ in cases}
    health = rows["health"][0] if "health" in rows else float("nan")
    print("| case | requests/s | × health | p50 ms | p99 ms | server CPU µs/request | not 2xx |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, title in cases:
        rps, p50, p99, bad, errors = rows[name]
        cpu = cpu_per_request(f"{directory}/{name}.cpu")
        note = f" ({errors})" if errors else ""
        print(f"| {title} | {rps:,.0f} | {rps / health:.2f} | {p50:.2f} | {p99:.2f} | {cpu:.0f} "
              f"| {bad}{note} |")
    if any(rows[name][3] for name, _ in cases):
        sys.exit("report: some answers were not 2xx: the figures above are not valid")


if __name__ == "__main__":
    main()
