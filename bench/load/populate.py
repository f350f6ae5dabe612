#!/usr/bin/python3
"""Fills a dev vault for bench/load.sh: ENVS environments env-00.. with KEYS secrets each
(KEY_00000..), random 32-character values, and the 16 keys the dense BPMN refers to in env-00 (with
versions up to the highest one it pins).

Usage: populate.py PORT ENVS KEYS BPMN   (token in SVAULT_TOKEN). One keep-alive connection.
"""
import http.client
import json
import os
import re
import secrets
import sys


def main():
    port, envs, keys, bpmn = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    headers = {"Authorization": "Bearer " + os.environ["SVAULT_TOKEN"],
               "Content-Type": "application/json"}
    conn = http.client.HTTPConnection("127.0.0.1", port)

    def call(method, path, body, expected):
        conn.request(method, path, body=json.dumps(body), headers=headers)
        answer = conn.getresponse()
        text = answer.read()
        if answer.status not in expected:
            sys.exit(f"populate: {method} {path} answered {answer.status}: {text[:200]!r}")

    for e in range(envs):
        call("POST", "/api/v1/environments", {"id": f"env-{e:02d}"}, (201,))
        for k in range(keys):
            call("PUT", f"/api/v1/environments/env-{e:02d}/secrets/KEY_{k:05d}",
                 {"value": secrets.token_hex(16)}, (201,))
    with open(bpmn, encoding="utf-8") as f:
        names = sorted(set(re.findall(r"secrets\.([A-Za-z0-9_./-]+)", f.read())))
    # The document pins some references (@2, @5): give every key versions up to the highest pin.
    with open(bpmn, encoding="utf-8") as f:
        pins = [int(n) for n in re.findall(r"secrets\.[A-Za-z0-9_./-]+@([0-9]+)", f.read())]
    for name in names:
        for _ in range(max(pins, default=1)):
            call("PUT", f"/api/v1/environments/env-00/secrets/{name}",
                 {"value": "bench <&'\"> value " + secrets.token_hex(8)}, (200, 201))
    print(f"populate: {envs} environments x {keys} secrets, and {len(names)} BPMN keys")


if __name__ == "__main__":
    main()
