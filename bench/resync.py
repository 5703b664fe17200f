#!/usr/bin/env python3
"""The periodic resync's cost on PostgreSQL (docs/benchmarks.md, "The periodic resync").

Starts `gatehouse serve` in cluster mode on the PostgreSQL server named by
GATEHOUSE_TEST_DATABASE_URL (bench/resync runs it under scripts/with-postgres, which starts a
throwaway one), resyncing every 2 s; creates one token through the API and clones it N times in
SQL; then reports the CPU of the gatehouse process and of PostgreSQL's processes over a window of
resyncs. With --compare, a second binary gets the same run right after (a build from before a
change), on a database of its own.

Usage: bench/resync [--tokens N] [--window SECONDS] [--compare BINARY]
"""

import argparse
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

TICKS = os.sysconf("SC_CLK_TCK")
ADMIN = "gatehouse_at_resync-bench-admin-token-000000000000"
RESYNC_SECS = 2


def psql():
    found = shutil.which("psql")
    if found:
        return found
    for bindir in sorted(os.listdir("/usr/lib/postgresql"), reverse=True):
        candidate = os.path.join("/usr/lib/postgresql", bindir, "bin", "psql")
        if os.access(candidate, os.X_OK):
            return candidate
    raise SystemExit("bench/resync: psql not found")


def sql(url, statement):
    subprocess.run([psql(), url, "-qAtc", statement], check=True, stdout=subprocess.PIPE)


def ticks(pid):
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def postgres_ticks():
    """CPU of every process named `postgres` (the throwaway server is the only one here)."""
    total = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/comm") as comm:
                if comm.read().strip() != "postgres":
                    continue
            total += ticks(pid)
        except OSError:
            continue
    return total


def run(binary, server_url, tokens, window):
    database = "resync_" + uuid.uuid4().hex[:12]
    sql(server_url, f"CREATE DATABASE {database}")
    url = server_url.rsplit("/", 1)[0] + "/" + database
    work = tempfile.mkdtemp(prefix="gatehouse-resync-")
    config = os.path.join(work, "gatehouse.toml")
    with open(config, "w") as f:
        f.write(f"resync_interval_secs = {RESYNC_SECS}\nmax_staleness_secs = 60\n")
    env = dict(os.environ, GATEHOUSE_BOOTSTRAP_API_TOKEN=ADMIN, GATEHOUSE_LOG="warn")
    proc = subprocess.Popen([binary, "serve", "--data-dir", os.path.join(work, "data"), "--database-url", url,
                             "--config", config, "--api-listen", "127.0.0.1:0", "--gateway-listen", "127.0.0.1:0"],
                            stdout=subprocess.PIPE, env=env)
    try:
        ready = json.loads(proc.stdout.readline())
        api = http.client.HTTPConnection("127.0.0.1", int(ready["api"].rsplit(":", 1)[1]))
        api.request("POST", f"/client/v4/accounts/{ready['account_id']}/access/service_tokens",
                    body=json.dumps({"name": "template"}),
                    headers={"Authorization": f"Bearer {ADMIN}", "Content-Type": "application/json"})
        response = api.getresponse()
        assert response.status in (200, 201), response.read()
        response.read()
        sql(url, "INSERT INTO service_tokens (id, account_id, name, client_id, duration, created_at, updated_at, "
                 "expires_at, enabled, secret_hash, secret_version, revision, secret_key_id) "
                 "SELECT gen_random_uuid()::text, account_id, name || i, md5(i::text) || '.access', duration, "
                 "created_at, updated_at, expires_at, enabled, secret_hash, secret_version, revision, secret_key_id "
                 f"FROM service_tokens, generate_series(1, {tokens}) AS i WHERE name = 'template'")
        sql(url, "VACUUM ANALYZE service_tokens")
        # Three resyncs: the tokens are in the node's snapshot, the start-up work is over.
        time.sleep(3 * RESYNC_SECS)
        g0, p0 = ticks(proc.pid), postgres_ticks()
        time.sleep(window)
        g1, p1 = ticks(proc.pid), postgres_ticks()
        return (g1 - g0) * 1000 // TICKS, (p1 - p0) * 1000 // TICKS
    finally:
        proc.terminate()
        proc.wait()
        shutil.rmtree(work, ignore_errors=True)
        sql(server_url, f"DROP DATABASE IF EXISTS {database}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--compare", metavar="BINARY")
    parser.add_argument("--tokens", type=int, default=100_000)
    parser.add_argument("--window", type=int, default=20)
    args = parser.parse_args()
    server_url = os.environ.get("GATEHOUSE_TEST_DATABASE_URL")
    if not server_url:
        raise SystemExit("bench/resync: GATEHOUSE_TEST_DATABASE_URL is not set (run it through bench/resync)")
    print(f"{args.tokens} tokens, a resync every {RESYNC_SECS} s, CPU over {args.window} s")
    print("| build | gatehouse CPU ms | PostgreSQL CPU ms |\n|---|---|---|")
    for binary in [args.binary] + ([args.compare] if args.compare else []):
        node, server = run(binary, server_url, args.tokens, args.window)
        print(f"| {binary} | {node} | {server} |", flush=True)


if __name__ == "__main__":
    sys.exit(main())
