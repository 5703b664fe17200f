#!/usr/bin/env python3
"""Management API benchmark: service token creation rate and list-page latency at N tokens,
against the real `gatehouse serve` (release build), plus the server's resident memory when idle
and after the tokens exist. See docs/benchmarks.md.

  bench/api.py --binary target/release/gatehouse [--tokens 100000] [--clients 4]
               [--database-url postgres://...]        # default: the embedded SQLite store
"""

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ADMIN = "gatehouse_at_benchmark-admin-token-0000000000000"


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise SystemExit("no VmRSS")


def call(conn, method, path, body=None):
    conn.request(method, path, body=json.dumps(body) if body is not None else None,
                 headers={"Authorization": f"Bearer {ADMIN}", "Content-Type": "application/json"})
    response = conn.getresponse()
    data = json.loads(response.read())
    if response.status >= 300:
        raise SystemExit(f"{method} {path}: {response.status} {data}")
    return data


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p / 100))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default="target/release/gatehouse")
    parser.add_argument("--tokens", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--list-samples", type=int, default=200)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="gatehouse-api-bench-")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEHOUSE_", "CLOUDFLARE_"))}
    env.update(GATEHOUSE_BOOTSTRAP_API_TOKEN=ADMIN, GATEHOUSE_LOG="warn")
    argv = [args.binary, "serve", "--data-dir", work, "--api-listen", "127.0.0.1:0",
            "--gateway-listen", "127.0.0.1:0"]
    if args.database_url:
        argv += ["--database-url", args.database_url]
    store = "PostgreSQL" if args.database_url else "SQLite"
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, env=env)
    try:
        ready = json.loads(proc.stdout.readline())
        port = int(ready["api"].rsplit(":", 1)[1])
        base = f"/client/v4/accounts/{ready['account_id']}/access/service_tokens"
        # Idle: started, nothing asked of it yet but one request, then left alone for a moment.
        call(http.client.HTTPConnection("127.0.0.1", port), "GET", f"{base}?per_page=1")
        time.sleep(2)
        idle = rss_mb(proc.pid)

        latencies = []
        lock = threading.Lock()
        counter = iter(range(args.tokens))

        def creator():
            conn = http.client.HTTPConnection("127.0.0.1", port)
            mine = []
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    break
                t = time.perf_counter()
                call(conn, "POST", base, {"name": f"bench {i}", "duration": "8760h"})
                mine.append(time.perf_counter() - t)
            with lock:
                latencies.extend(mine)

        started = time.perf_counter()
        threads = [threading.Thread(target=creator) for _ in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        if len(latencies) != args.tokens:
            raise SystemExit(f"created {len(latencies)} of {args.tokens}")
        loaded = rss_mb(proc.pid)

        conn = http.client.HTTPConnection("127.0.0.1", port)
        total = call(conn, "GET", f"{base}?per_page=1")["result_info"]["total_count"]
        if total != args.tokens:
            raise SystemExit(f"list says {total} tokens, expected {args.tokens}")
        per_page = 50
        last = (total + per_page - 1) // per_page
        pages = {"first": 1, "middle": last // 2, "last": last}
        listing = {}
        for label, page in pages.items():
            samples = []
            for _ in range(args.list_samples):
                t = time.perf_counter()
                result = call(conn, "GET", f"{base}?page={page}&per_page={per_page}")["result"]
                samples.append(time.perf_counter() - t)
                if not result:
                    raise SystemExit(f"page {page} is empty")
            listing[label] = (page, samples)

        print(f"store: {store}; {args.tokens} tokens created by {args.clients} clients in {elapsed:.1f} s: "
              f"{args.tokens / elapsed:.0f} tokens/s (p50 {percentile(latencies, 50) * 1e3:.2f} ms, "
              f"p99 {percentile(latencies, 99) * 1e3:.2f} ms per create)")
        for label, (page, samples) in listing.items():
            print(f"store: {store}; list page {page} of {last} ({label}, per_page={per_page}) at {total} tokens: "
                  f"p50 {statistics.median(samples) * 1e3:.2f} ms, p99 {percentile(samples, 99) * 1e3:.2f} ms "
                  f"({len(samples)} requests)")
        print(f"store: {store}; resident memory: idle {idle:.1f} MB, with {total} tokens {loaded:.1f} MB")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
