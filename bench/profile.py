#!/usr/bin/env python3
"""Deterministic per-request cost of each proxy: instructions and heap allocations per request
under valgrind's callgrind, then CPU µs per request from /proc over a bounded native run.

  hyper  the bare hyper reverse proxy (`gatehouse-floor bare`): the floor of gatehouse's engine
  work   the same with gatehouse's visible work imitated (`gatehouse-floor work`: 10k-entry lookup,
         HMAC, 2 headers stripped, 750-byte JWT header, Cf-Ray)
  G      gatehouse doing the full job, set up as in bench/side_by_side.py (10,000 tokens in its
         SQLite store, a `non_identity` application, the access log and `last_seen_at` written)
  H      (--compare) a second gatehouse binary set up exactly like G

The origin is `gatehouse-floor origin` (200 "ok"), the load a fixed number of keep-alive requests
over a few connections, every response checked to be a 200. Instructions are counted for the
proxy only, on all its threads (the access-log writer and SQLite included) and on its busiest
thread (the one serving the connections), from `callgrind_control --zero` after a warm-up and
once the process is idle (gatehouse's start-up jobs done) to `--dump` once it is idle again
after the measured requests (their access-log records and `last_seen_at` written). Allocations are the calls to the allocator's entry points
in the same window: mimalloc's (`mi_malloc_aligned`, `mi_zalloc_aligned`, `mi_realloc_aligned`,
everything Rust allocates) and the C library's `malloc`/`calloc`/`realloc` (SQLite's). Unlike
requests per second, neither figure depends on what else the machine is doing.

Usage: bench/profile [--requests 2000] [--cpu-requests 30000] [--configs hyper,work,G]
                     [--compare OTHER_GATEHOUSE_BINARY] [--annotate 40] [--keep DIR]

The table names every thread's instructions per request (the busiest, then the others: the
access-log and usage writer's runtime thread, SQLite's connection thread); `--annotate N` prints
the busiest thread's N costliest functions, inclusive, from `callgrind_annotate`.
"""

import argparse
import glob
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import side_by_side as sbs  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")
ALLOCATORS = {"mi_malloc_aligned", "mi_zalloc_aligned", "mi_realloc_aligned"}
C_ALLOCATORS = {"malloc", "calloc", "realloc"}


def load(port, headers, requests, connections, host=sbs.HOST):
    """Sends `requests` GETs over `connections` keep-alive connections, each one request at a
    time; fails unless every response is a 200."""
    head = "".join(f"{h}\r\n" for h in headers)
    request = f"GET / HTTP/1.1\r\nHost: {host}\r\n{head}\r\n".encode()
    socks = []
    for _ in range(min(connections, requests)):
        s = socket.create_connection(("127.0.0.1", port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        socks.append(s)
    buffers = {s: b"" for s in socks}
    sent = 0
    done = 0
    for s in socks:
        s.sendall(request)
        sent += 1
    while done < requests:
        ready, _, _ = select.select(list(buffers), [], [], 600)
        if not ready:
            raise SystemExit(f"no response within 600 s after {done} requests")
        for s in ready:
            chunk = s.recv(65536)
            if not chunk:
                raise SystemExit(f"connection closed after {done} requests")
            buffers[s] += chunk
            while True:
                data = buffers[s]
                end = data.find(b"\r\n\r\n")
                if end < 0:
                    break
                status_line, _, rest = data[:end].partition(b"\r\n")
                length = re.search(rb"(?im)^content-length:\s*(\d+)", rest)
                if not length:
                    raise SystemExit(f"response without a content-length: {data[:end]!r}")
                total = end + 4 + int(length.group(1))
                if len(data) < total:
                    break
                if not status_line.startswith(b"HTTP/1.1 200"):
                    raise SystemExit(f"not a 200: {status_line!r}")
                buffers[s] = data[total:]
                done += 1
                if sent < requests:
                    s.sendall(request)
                    sent += 1
    for s in socks:
        s.close()


def process_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def wait_quiet(pid, timeout=600.0):
    """Waits until the process has stopped using the CPU (start-up jobs done, queued writes
    flushed): at most one clock tick in each of three half-second samples."""
    deadline = time.time() + timeout
    calm = 0
    last = process_ticks(pid)
    while time.time() < deadline:
        time.sleep(0.5)
        now = process_ticks(pid)
        calm = calm + 1 if now - last <= 1 else 0
        last = now
        if calm >= 3:
            return
    raise SystemExit(f"process {pid} still busy after {timeout} s")


def parse_callgrind(path):
    """(instructions, allocator calls, C allocator calls) in one callgrind output file."""
    names = {}
    instructions = 0
    alloc_calls = 0
    c_alloc_calls = 0
    callee = None
    with open(path, errors="replace") as f:
        for line in f:
            if line.startswith(("summary:", "totals:")):
                instructions = max(instructions, int(line.split()[1]))
            elif line.startswith(("cfn=", "cfi=", "fn=")):
                if not line.startswith(("cfn=", "fn=")):
                    continue
                key, _, value = line.rstrip("\n").partition("=")
                m = re.match(r"\((\d+)\)(?: (.*))?", value)
                name = value
                if m:
                    if m.group(2) is not None:
                        names[m.group(1)] = m.group(2)
                    name = names.get(m.group(1), "")
                if key == "cfn":
                    callee = name
            elif line.startswith("calls=") and callee is not None:
                count = int(line[6:].split()[0])
                if callee in ALLOCATORS:
                    alloc_calls += count
                elif callee in C_ALLOCATORS:
                    c_alloc_calls += count
                callee = None
    return instructions, alloc_calls, c_alloc_calls


class Proxy:
    """How to start one configuration, natively or under a wrapper (valgrind)."""

    def __init__(self, name, argv, headers, env=None):
        self.name, self.argv, self.headers, self.env = name, argv, headers, env

    def start(self, stack, wrapper=()):
        proc = stack.spawn(list(wrapper) + self.argv, sbs.PROXY_CPU, stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL if wrapper else None, env=self.env)
        ready = json.loads(proc.stdout.readline())
        address = ready.get("gateway") or ready["listen"]
        return proc, int(address.rsplit(":", 1)[1])


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def gatehouse_proxy(stack, name, binary, origin_port, tokens):
    """Creates the tokens and the application through a native run, then returns how to start
    that data directory again (the slow part does not run under valgrind)."""
    proc, _, headers = sbs.start_gatehouse(stack, binary, origin_port, tokens, name)
    stop(proc)
    data = os.path.join(stack.work, f"{name}-data")
    env = dict(os.environ, GATEHOUSE_LOG="warn")
    argv = [binary, "serve", "--data-dir", data, "--api-listen", "127.0.0.1:0", "--gateway-listen", "127.0.0.1:0"]
    return Proxy(name, argv, headers, env)


def callgrind(stack, proxy, args, out):
    os.makedirs(out, exist_ok=True)
    wrapper = ["valgrind", "--tool=callgrind", "--separate-threads=yes", "--dump-instr=no",
               f"--callgrind-out-file={out}/cg.%p"]
    bursts = args.bursts and proxy.name.upper() in ("G", "H")
    if bursts:
        # A dump (and zeroing) each time a statement step returns: each dump of SQLite's thread is
        # what it ran since its previous step, the binds of the next statement and its step.
        wrapper.append("--dump-after=sqlite3_step")
    proc, port = proxy.start(stack, wrapper)
    # The valgrind process is the proxy (taskset execs it).
    load(port, proxy.headers, args.warmup, args.connections)
    # Start-up work (gatehouse's monitoring jobs read every token once) is not the requests'.
    wait_quiet(proc.pid)
    control(proc.pid, "--zero")
    earlier = set(glob.glob(f"{out}/cg.{proc.pid}.*"))
    load(port, proxy.headers, args.requests, args.connections)
    # What the requests left queued (access log, last_seen_at) is theirs: written before the dump.
    wait_quiet(proc.pid)
    control(proc.pid, "--dump")
    stop(proc)
    # Parts named cg.PID.N-TT: dump N, thread TT. Every dump after the zeroing is the window's.
    dumps = {}
    for path in set(glob.glob(f"{out}/cg.{proc.pid}.*-*")) - earlier:
        m = re.search(rf"cg\.{proc.pid}\.(\d+)-(\d+)$", path)
        if m:
            dumps.setdefault(m.group(2), []).append((int(m.group(1)), path))
    if not dumps:
        raise SystemExit(f"callgrind wrote no dump for {proxy.name} in {out}")
    per_thread = []
    burst_sizes = []
    for thread, parts in dumps.items():
        counted = [(parse_callgrind(path), path) for _, path in sorted(parts)]
        per_thread.append(tuple(sum(c[0][i] for c in counted) for i in range(3)))
        if bursts:
            # The writer's connection thread is the one that inserts (readers only read).
            texts = [(c[0][0], open(c[1], errors="replace").read()) for c in counted]
            if any("sqlite3BtreeInsert" in text for _, text in texts):
                burst_sizes = [n for n, text in texts if n and "sqlite3_step" in text]
    if bursts and burst_sizes:
        ordered = sorted(burst_sizes)
        print(f"  {proxy.name}: SQLite's writer thread ran {len(ordered)} bursts (binds + one step); "
              f"longest {ordered[-1]:,} instructions, median {ordered[len(ordered) // 2]:,}, "
              f"total {sum(ordered):,} (a dump per step slows the run: take the per-request figures "
              f"from a run without --bursts, which periodic jobs are less likely to fall into)", file=sys.stderr)
    dumps = [max(parts)[1] for parts in dumps.values()]
    total = [sum(t[i] for t in per_thread) for i in range(3)]
    busiest_dump, busiest = max(zip(dumps, per_thread), key=lambda d: d[1][0])
    n = args.requests
    if args.annotate:
        annotate(busiest_dump, args.annotate, proxy.name)
    return {
        "instructions": total[0] / n,
        "busiest": busiest[0] / n,
        "busiest_allocs": busiest[1] / n,
        "allocs": total[1] / n,
        "c_allocs": total[2] / n,
        # Every thread that ran in the window, busiest first: (instructions, Rust allocs) per request.
        "threads": sorted(((round(t[0] / n), round(t[1] / n, 1)) for t in per_thread if t[0]), reverse=True),
    }


def annotate(dump, lines, name):
    """The busiest thread's functions by inclusive cost (callgrind_annotate), to stderr."""
    done = subprocess.run(["callgrind_annotate", "--inclusive=yes", f"--threshold=99", dump],
                          capture_output=True, text=True)
    rows = [r for r in done.stdout.splitlines() if re.match(r"\s*[\d,]+ \(", r)]
    print(f"  {name}, busiest thread, inclusive instructions ({dump}):", file=sys.stderr)
    for row in rows[:lines]:
        print(f"    {row[:220]}", file=sys.stderr)


def control(pid, what):
    done = subprocess.run(["callgrind_control", what, str(pid)], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"callgrind_control {what} {pid} failed:\n{done.stdout}{done.stderr}")


def cpu(stack, proxy, args):
    proc, port = proxy.start(stack)
    load(port, proxy.headers, args.warmup * 5, args.connections)
    wait_quiet(proc.pid)
    before = process_ticks(proc.pid)
    started = time.time()
    load(port, proxy.headers, args.cpu_requests, args.connections)
    elapsed = time.time() - started
    wait_quiet(proc.pid)
    after = process_ticks(proc.pid)
    stop(proc)
    return {"cpu_us": (after - before) / TICKS * 1e6 / args.cpu_requests, "rate": args.cpu_requests / elapsed}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True, help="the gatehouse binary")
    parser.add_argument("--floor", required=True, help="the gatehouse-floor binary")
    parser.add_argument("--compare", metavar="BINARY", help="another gatehouse binary, as H")
    parser.add_argument("--configs", default="hyper,work,G")
    parser.add_argument("--requests", type=int, default=2000, help="measured under callgrind")
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--cpu-requests", type=int, default=30000, help="measured natively from /proc; 0: skip")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--tokens", type=int, default=10000)
    parser.add_argument("--keep", metavar="DIR", help="keep the callgrind files in DIR")
    parser.add_argument("--bursts", action="store_true",
                        help="G/H: dump after every SQLite statement step and report the longest run of SQLite's "
                             "writer thread between two steps (how long one write holds the core)")
    parser.add_argument("--annotate", type=int, default=0, metavar="N",
                        help="print the busiest thread's N costliest functions (inclusive)")
    args = parser.parse_args()
    configs = args.configs.split(",")
    if args.compare:
        configs.append("H")

    work = tempfile.mkdtemp(prefix="gatehouse-profile-")
    out = args.keep or os.path.join(work, "callgrind")
    stack = sbs.Stack(work)
    results = {}
    try:
        origin = stack.spawn([args.floor, "origin"], sbs.LOAD_CPU, stdout=subprocess.PIPE)
        origin_port = int(json.loads(origin.stdout.readline())["listen"].rsplit(":", 1)[1])
        origin_addr = f"127.0.0.1:{origin_port}"
        proxies = {}
        for name in configs:
            if name in ("hyper", "work"):
                mode = "bare" if name == "hyper" else "work"
                argv = [args.floor, mode, "--origin", origin_addr, "--tokens", str(args.tokens)]
                # The floor's first token (its ready line names it too).
                headers = [f"CF-Access-Client-Id: {0:032x}.access", f"CF-Access-Client-Secret: {1:064x}"]
                proxies[name] = Proxy(name, argv, headers if mode == "work" else [])
            elif name in ("G", "H"):
                binary = args.binary if name == "G" else args.compare
                proxies[name] = gatehouse_proxy(stack, name.lower(), binary, origin_port, args.tokens)
            else:
                raise SystemExit(f"unknown configuration {name}")
        for name, proxy in proxies.items():
            result = callgrind(stack, proxy, args, os.path.join(out, name))
            if args.cpu_requests:
                result.update(cpu(stack, proxy, args))
            results[name] = result
            print(f"  {name}: {result}", file=sys.stderr)
    finally:
        stack.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print_table(results, args)


def print_table(results, args):
    print(f"\n{args.requests} keep-alive requests over {args.connections} connections under callgrind "
          f"(after {args.warmup} warm-up); CPU from /proc over {args.cpu_requests} requests\n")
    print("| proxy | instructions/req (all threads) | busiest thread | other threads | allocations/req (Rust, busiest) | C mallocs/req | CPU µs/req | req/s (1 client) |")
    print("|---|---:|---:|---|---:|---:|---:|---:|")
    for name, r in results.items():
        cpu_us = f"{r['cpu_us']:.1f}" if "cpu_us" in r else "–"
        rate = f"{r['rate']:.0f}" if "rate" in r else "–"
        others = ", ".join(f"{i:,}" for i, _ in r["threads"][1:]) or "–"
        print(f"| {name} | {r['instructions']:,.0f} | {r['busiest']:,.0f} | {others} | {r['allocs']:.1f} ({r['busiest_allocs']:.1f}) "
              f"| {r['c_allocs']:.1f} | {cpu_us} | {rate} |")


if __name__ == "__main__":
    main()
