#!/usr/bin/env python3
"""Side-by-side gateway benchmark: gatehouse against nginx on the same machine, same origin, same
load generator, interleaved rounds.

  A  the origin hit directly (nginx, one worker, `return 200 "ok"`): the physical limit
  B  nginx, one worker, plain reverse proxy to A (HTTP/1.1, upstream keep-alive)
  D  nginx `auth_request` to a separate auth endpoint, then proxy to A (forward-auth shape)
  F  the floor of gatehouse's engine: a bare hyper reverse proxy (`gatehouse-floor bare`, one
     thread, mimalloc, the same origin pool policy as gatehouse)
  W  the same with gatehouse's visible work imitated (`gatehouse-floor work`: a 10,000-entry
     lookup, HMAC of the secret, 2 headers stripped, a 750-byte JWT header, Cf-Ray)
  G  gatehouse doing the full job: 10,000 tokens in its store, an application with a
     `non_identity` policy, credentials checked, the secret stripped, the JWT header added

The proxy under test is pinned to one core, the load generator (wrk) and the origin to the other.
For each configuration and connection count it reports the median and min–max over rounds of
requests/s, p50 and p99 latency, and the proxy's CPU microseconds per request (from /proc), then
G's ratios to B, A, D and W (its engine's floor). Everything it starts, it stops.

Usage: bench/run [--rounds N] [--duration SECONDS] [--connections 64,256]
"""

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TICKS = os.sysconf("SC_CLK_TCK")
PROXY_CPU, LOAD_CPU = "1", "0"
HOST = "bench.local"


def free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=30.0):
    import socket

    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listens on port {port} after {timeout}s")


def cpu_ticks(pids):
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime + stime
    return total


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


NGINX_MAIN = """
worker_processes 1;
daemon off;
pid {dir}/{name}.pid;
error_log {dir}/{name}.error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  keepalive_requests 1000000;
  {body}
}}
"""

ORIGIN = """
  server {{
    listen 127.0.0.1:{port} backlog=4096;
    location = /auth {{ return 200; }}
    location / {{ return 200 "ok"; }}
  }}
"""

PROXY = """
  upstream origin {{ server 127.0.0.1:{origin}; keepalive 256; }}
  server {{
    listen 127.0.0.1:{port} backlog=4096;
    location / {{
      {auth}
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }}
    location = /_auth {{
      internal;
      proxy_pass http://origin/auth;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
    }}
  }}
"""


class Stack:
    def __init__(self, work):
        self.work = work
        self.procs = []

    def spawn(self, argv, cpu, **kw):
        proc = subprocess.Popen(["taskset", "-c", cpu] + argv, **kw)
        self.procs.append(proc)
        return proc

    def nginx(self, name, body, cpu):
        conf = os.path.join(self.work, f"{name}.conf")
        with open(conf, "w") as f:
            f.write(NGINX_MAIN.format(dir=self.work, name=name, body=body))
        return self.spawn(["nginx", "-p", self.work, "-c", conf], cpu, stderr=subprocess.DEVNULL)

    def stop(self):
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def api(conn, method, path, token, body=None):
    conn.request(method, path, body=json.dumps(body) if body is not None else None,
                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    response = conn.getresponse()
    data = json.loads(response.read())
    if response.status >= 300:
        raise SystemExit(f"{method} {path}: {response.status} {data}")
    return data["result"]


def start_gatehouse(stack, binary, origin_port, tokens, name="gatehouse"):
    data = os.path.join(stack.work, f"{name}-data")
    admin = "gatehouse_at_benchmark-admin-token-0000000000000"
    env = dict(os.environ, GATEHOUSE_BOOTSTRAP_API_TOKEN=admin, GATEHOUSE_LOG="warn")
    proc = stack.spawn([binary, "serve", "--data-dir", data, "--api-listen", "127.0.0.1:0",
                        "--gateway-listen", "127.0.0.1:0"], PROXY_CPU, stdout=subprocess.PIPE, env=env)
    ready = json.loads(proc.stdout.readline())
    api_port = int(ready["api"].rsplit(":", 1)[1])
    gateway_port = int(ready["gateway"].rsplit(":", 1)[1])
    base = f"/client/v4/accounts/{ready['account_id']}/access"
    conn = http.client.HTTPConnection("127.0.0.1", api_port)
    started = time.time()
    first = None
    for i in range(tokens):
        created = api(conn, "POST", f"{base}/service_tokens", admin, {"name": f"bench {i}"})
        first = first or created
    print(f"  created {tokens} tokens in {time.time() - started:.1f}s", file=sys.stderr)
    policy = api(conn, "POST", f"{base}/policies", admin,
                 {"name": "bench", "decision": "non_identity", "include": [{"service_token": {}}]})
    api(conn, "POST", f"{base}/apps", admin,
        {"name": "bench", "type": "self_hosted", "domain": HOST,
         "origin": f"http://127.0.0.1:{origin_port}", "policies": [{"id": policy["id"], "precedence": 1}]})
    headers = [f"CF-Access-Client-Id: {first['client_id']}", f"CF-Access-Client-Secret: {first['client_secret']}"]
    return proc, gateway_port, headers


WRK_RPS = re.compile(r"Requests/sec:\s+([\d.]+)")
WRK_REQS = re.compile(r"(\d+) requests in")
WRK_NON2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")


def to_ms(text):
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(stack, port, connections, duration, headers, cpu_pids):
    argv = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "-H", f"Host: {HOST}"]
    for h in headers:
        argv += ["-H", h]
    argv.append(f"http://127.0.0.1:{port}/")
    before = cpu_ticks(cpu_pids)
    out = subprocess.run(["taskset", "-c", LOAD_CPU] + argv, capture_output=True, text=True, check=True).stdout
    after = cpu_ticks(cpu_pids)
    requests = int(WRK_REQS.search(out).group(1))
    non2xx = WRK_NON2XX.search(out)
    if non2xx and int(non2xx.group(1)) > 0:
        raise SystemExit(f"{non2xx.group(1)} non-2xx responses on port {port}:\n{out}")
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.M))
    return {
        "rps": float(WRK_RPS.search(out).group(1)),
        "p50": to_ms(latency["50"]),
        "p99": to_ms(latency["99"]),
        "cpu_us": (after - before) / TICKS * 1e6 / max(requests, 1),
    }


def summary(values):
    return statistics.median(values), min(values), max(values)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", default="64,256")
    parser.add_argument("--tokens", type=int, default=10000)
    parser.add_argument("--binary", default=os.path.join(ROOT, "target/release/gatehouse"))
    parser.add_argument("--floor", help="the gatehouse-floor binary (configurations F and W)")
    parser.add_argument("--configs", default="A,B,D,F,W,G", help="which configurations to run, e.g. B,G")
    parser.add_argument("--compare", metavar="BINARY",
                        help="also run another gatehouse binary (config H, set up like G), e.g. a "
                             "build before a change, for a before/after figure in the same session")
    parser.add_argument("--profile", metavar="FILE",
                        help="record gatehouse with `perf record -g` during its runs, into FILE")
    args = parser.parse_args()
    connections = [int(c) for c in args.connections.split(",")]

    work = tempfile.mkdtemp(prefix="gatehouse-bench-")
    stack = Stack(work)
    try:
        ports = {name: free_port() for name in "ABD"}
        stack.nginx("origin", ORIGIN.format(port=ports["A"]), LOAD_CPU)
        proxy_b = stack.nginx("proxy", PROXY.format(port=ports["B"], origin=ports["A"], auth=""), PROXY_CPU)
        proxy_d = stack.nginx("forward_auth", PROXY.format(port=ports["D"], origin=ports["A"], auth="auth_request /_auth;"), PROXY_CPU)
        for port in ports.values():
            wait_port(port)
        origin_pids = [p.pid for p in stack.procs[:1]]
        wanted = args.configs.split(",")
        floors = {}
        for name, mode in (("F", "bare"), ("W", "work")):
            if name in wanted:
                if not args.floor:
                    raise SystemExit(f"configuration {name} needs --floor")
                proc = stack.spawn([args.floor, mode, "--origin", f"127.0.0.1:{ports['A']}",
                                    "--tokens", str(args.tokens)], PROXY_CPU, stdout=subprocess.PIPE)
                ready = json.loads(proc.stdout.readline())
                ports[name] = int(ready["listen"].rsplit(":", 1)[1])
                hdrs = [] if mode == "bare" else [f"CF-Access-Client-Id: {ready['client_id']}",
                                                  f"CF-Access-Client-Secret: {ready['client_secret']}"]
                floors[name] = (proc, hdrs)
        gatehouse, ports["G"], headers = start_gatehouse(stack, args.binary, ports["A"], args.tokens)
        other = None
        if args.compare:
            other, ports["H"], other_headers = start_gatehouse(stack, args.compare, ports["A"], args.tokens, "other")
        cpu = {
            "A": lambda: origin_pids + [c for p in origin_pids for c in children(p)],
            "B": lambda: [c for c in children(proxy_b.pid)] or [proxy_b.pid],
            "D": lambda: [c for c in children(proxy_d.pid)] or [proxy_d.pid],
            "F": lambda: [floors["F"][0].pid],
            "W": lambda: [floors["W"][0].pid],
            "G": lambda: [gatehouse.pid],
            "H": lambda: [other.pid],
        }
        configs = {"A": [], "B": [], "D": []}
        configs.update({name: hdrs for name, (_, hdrs) in floors.items()})
        configs["G"] = headers
        configs = {name: hdrs for name, hdrs in configs.items() if name in wanted}
        if other:
            configs["H"] = other_headers
        results = {(name, c): [] for name in configs for c in connections}
        for round_ in range(1, args.rounds + 1):
            for c in connections:
                for name, hdrs in configs.items():
                    # taskset pins the launcher; nginx workers are children of the pinned master.
                    profiler = None
                    if args.profile and name == "G":
                        profiler = subprocess.Popen(["perf", "record", "-q", "-e", "cpu-clock", "-g", "-o", args.profile,
                                                     "-p", str(gatehouse.pid)], stderr=subprocess.DEVNULL)
                    result = wrk(stack, ports[name], c, args.duration, hdrs, cpu[name]())
                    if profiler:
                        profiler.send_signal(signal.SIGINT)
                        profiler.wait()
                    results[(name, c)].append(result)
                    print(f"  round {round_} c={c} {name}: {result['rps']:.0f} req/s p99 {result['p99']:.2f} ms "
                          f"{result['cpu_us']:.1f} µs CPU/req", file=sys.stderr)
        print_table(results, connections, args)
    finally:
        stack.stop()
        shutil.rmtree(work, ignore_errors=True)


def print_table(results, connections, args):
    print(f"\n{args.rounds} rounds × {args.duration}s, wrk -t1, proxy pinned to CPU {PROXY_CPU}, "
          f"wrk and origin to CPU {LOAD_CPU}; median (min–max)\n")
    print("| config | conns | req/s | p50 ms | p99 ms | proxy CPU µs/req |")
    print("|---|---|---|---|---|---|")
    for c in connections:
        for name in "ABDFWGH":
            rows = results.get((name, c))
            if not rows:
                continue
            cells = []
            for key, fmt in (("rps", "{:.0f}"), ("p50", "{:.2f}"), ("p99", "{:.2f}"), ("cpu_us", "{:.1f}")):
                med, lo, hi = summary([r[key] for r in rows])
                cells.append(f"{fmt.format(med)} ({fmt.format(lo)}–{fmt.format(hi)})")
            print(f"| {name} | {c} | " + " | ".join(cells) + " |")
    print()
    for c in connections:
        median = {name: statistics.median(r["rps"] for r in results[(name, c)])
                  for name in "ABDFWGH" if results.get((name, c))}
        cpu = {name: statistics.median(r["cpu_us"] for r in results[(name, c)])
               for name in "ABDFWGH" if results.get((name, c))}
        ratios = [f"G/{name} = {median['G'] / median[name]:.2f}" for name in "BADFWH" if name in median and "G" in median]
        ratios += [f"{name}/B = {median[name] / median['B']:.2f}" for name in "FW" if name in median and "B" in median]
        line = ", ".join(ratios)
        if "W" in cpu and "G" in cpu:
            line += f"; CPU µs/req G − W = {cpu['G'] - cpu['W']:.1f}"
        if "H" in cpu and "G" in cpu:
            line += f"; CPU µs/req G/H = {cpu['G'] / cpu['H']:.2f}"
        print(f"c={c}: {line}")


if __name__ == "__main__":
    main()
