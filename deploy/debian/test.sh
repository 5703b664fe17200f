#!/usr/bin/env bash
# Installs the Debian package on this machine and checks it the way an operator would use it:
# `systemd-analyze verify` on the installed unit, the service user and files in place, the
# installed binary started as the unit's ExecStart line with the packaged configuration, as the
# service user (a container has no systemd as PID 1 to start it), answering /healthz and
# /readyz; `dpkg -r` and `dpkg --purge` leave /var/lib/gatehouse (database, server key) in place.
# Removes everything it installed at the end. Root only (`.ci/run` calls it when run as root).
#
#   deploy/debian/test.sh [PATH.deb]      # without a path: builds one with deploy/debian/build.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

say() { echo "deploy/debian/test.sh: $*" >&2; }
fail() { say "FAIL: $*"; exit 1; }

if [[ $(id -u) -ne 0 ]]; then
  say "SKIPPED: installing a package needs root"
  exit 0
fi
# Never touch an operator's installation: this test installs, then purges and deletes.
if dpkg-query -W -f='${Status}' gatehouse 2>/dev/null | grep -q 'installed'; then
  say "SKIPPED: a gatehouse package is already installed on this machine"
  exit 0
fi
if [[ -e /var/lib/gatehouse ]] || getent passwd gatehouse >/dev/null; then
  say "SKIPPED: /var/lib/gatehouse or a gatehouse user already exists on this machine"
  exit 0
fi

if ! command -v systemd-analyze >/dev/null; then
  say "installing systemd (for systemd-analyze)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends systemd >/dev/null
fi

deb=${1:-}
if [[ -z $deb ]]; then
  deb=$(deploy/debian/build.sh | tail -n 1)
fi
[[ -f $deb ]] || fail "no package at $deb"
say "package: $deb ($(du -h "$deb" | cut -f1))"

scratch=$(mktemp -d /tmp/gatehouse-deb-test.XXXXXX)
server_pid=""
cleanup() {
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then kill "$server_pid" 2>/dev/null || true; fi
  dpkg --purge gatehouse >/dev/null 2>&1 || true
  rm -rf /var/lib/gatehouse "$scratch"
  if getent passwd gatehouse >/dev/null; then deluser --quiet --system gatehouse >/dev/null 2>&1 || true; fi
  if getent group gatehouse >/dev/null; then delgroup --quiet --system gatehouse >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

dpkg-deb --info "$deb" | sed -n '/Package:/,/Description:/p' >&2
contents=$(dpkg-deb --contents "$deb")
for path in ./usr/bin/gatehouse ./usr/lib/gatehouse/terraform/terraform-provider-cloudflare \
  ./etc/gatehouse/gatehouse.toml ./etc/gatehouse/gatehouse.env \
  ./usr/share/bash-completion/completions/gatehouse ./usr/share/zsh/vendor-completions/_gatehouse \
  ./usr/share/fish/vendor_completions.d/gatehouse.fish ./usr/share/man/man1/gatehouse.1.gz \
  ./usr/share/man/man1/gatehouse-serve.1.gz ./usr/share/doc/gatehouse/configuration.md; do
  grep -q " $path\$" <<<"$contents" || grep -q " $path -> " <<<"$contents" || fail "the package lacks $path"
done
# The unit: /usr/lib/systemd/system (cargo-deb's default since Debian's merged /usr) or /lib.
grep -Eq " \./(usr/)?lib/systemd/system/gatehouse\.service\$" <<<"$contents" || fail "the package lacks the systemd unit"

say "dpkg -i"
dpkg -i "$deb" >&2
getent passwd gatehouse >/dev/null || fail "postinst did not create the gatehouse user"
[[ $(stat -c '%U %a' /var/lib/gatehouse) == "gatehouse 700" ]] || fail "/var/lib/gatehouse: $(stat -c '%U %a' /var/lib/gatehouse)"
[[ $(stat -c '%a' /etc/gatehouse/gatehouse.env) == 600 ]] || fail "gatehouse.env is not 0600"
unit=/lib/systemd/system/gatehouse.service
[[ -f $unit ]] || unit=/usr/lib/systemd/system/gatehouse.service
/usr/bin/gatehouse --version >&2
# The Terraform provider runs (without Terraform's handshake variables it says so and exits).
tf_status=0
timeout 10 /usr/lib/gatehouse/terraform/terraform-provider-cloudflare </dev/null >/dev/null 2>&1 || tf_status=$?
[[ $tf_status -ne 126 && $tf_status -ne 127 && $tf_status -ne 124 ]] || fail "the Terraform provider does not run ($tf_status)"
gatehouse config check /etc/gatehouse/gatehouse.toml >&2 || fail "the packaged configuration does not pass config check"

say "systemd-analyze verify $unit"
man_check=()
command -v man >/dev/null || man_check=(--man=no)
systemd-analyze verify "${man_check[@]}" "$unit" >&2 || fail "systemd-analyze verify"
systemd-analyze security --offline=yes "$unit" 2>/dev/null | tail -n 1 >&2 || true
grep -qx 'NoNewPrivileges=yes' "$unit" && grep -qx 'ProtectSystem=strict' "$unit" &&
  grep -qx 'CapabilityBoundingSet=' "$unit" && grep -qx 'StateDirectory=gatehouse' "$unit" ||
  fail "the unit lost part of its hardening"

# The unit's ExecStart, as its User, in its WorkingDirectory, with its EnvironmentFile. Port 0
# instead of the packaged ports so as not to collide with anything on this machine (the
# environment wins over the file, as an operator's gatehouse.env would).
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
user=$(sed -n 's/^User=//p' "$unit")
workdir=$(sed -n 's/^WorkingDirectory=//p' "$unit")
[[ -n $exec_start && -n $user && -n $workdir ]] || fail "cannot read ExecStart, User, WorkingDirectory from $unit"
say "starting as $user: $exec_start"
chmod 0755 "$scratch"
(
  cd "$workdir"
  set -a
  # shellcheck disable=SC1091
  . /etc/gatehouse/gatehouse.env
  set +a
  export GATEHOUSE_API_LISTEN=127.0.0.1:0 GATEHOUSE_GATEWAY_LISTEN=127.0.0.1:0
  umask 0077
  # shellcheck disable=SC2086
  exec runuser -u "$user" -- $exec_start >"$scratch/stdout" 2>"$scratch/stderr"
) &
server_pid=$!

api=""
for _ in $(seq 1 300); do
  if api=$(python3 - "$scratch/stdout" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    if line.startswith("{"):
        ready = json.loads(line)
        if ready.get("event") == "ready":
            print(ready["api"]); sys.exit(0)
sys.exit(1)
PY
  ); then break; fi
  kill -0 "$server_pid" 2>/dev/null || { cat "$scratch/stderr" >&2; fail "the installed gatehouse exited before its ready line"; }
  sleep 0.1
done
[[ -n $api ]] || { cat "$scratch/stderr" >&2; fail "no ready line within 30 s"; }
say "ready: $api"

probe() {
  python3 - "$1" <<'PY'
import sys, urllib.request, urllib.error
try:
    with urllib.request.urlopen(sys.argv[1], timeout=10) as reply:
        print(reply.status, reply.read().decode())
except urllib.error.HTTPError as error:
    print(error.code, error.read().decode())
PY
}
health=$(probe "$api/healthz")
ready=$(probe "$api/readyz")
say "/healthz: $health"
say "/readyz:  $ready"
[[ $health == 200* ]] || fail "/healthz did not answer 200"
[[ $ready == 200* ]] || fail "/readyz did not answer 200"

# SIGTERM to gatehouse itself, as systemd sends it (runuser, signalled, would report 143 itself).
gatehouse_pid=$(pgrep -P "$server_pid" -x gatehouse || true)
[[ -n $gatehouse_pid ]] || fail "cannot find the gatehouse process under runuser ($server_pid)"
kill -TERM "$gatehouse_pid"
status=0
wait "$server_pid" || status=$?
server_pid=""
[[ $status -eq 0 ]] || { cat "$scratch/stderr" >&2; fail "gatehouse exited $status on SIGTERM"; }
for file in gatehouse.db secret.key; do
  [[ $(stat -c '%U' "/var/lib/gatehouse/$file") == gatehouse ]] || fail "/var/lib/gatehouse/$file is not the service user's"
done
checksum=$(sha256sum /var/lib/gatehouse/secret.key)

say "dpkg -r"
dpkg -r gatehouse >&2
[[ ! -e /usr/bin/gatehouse ]] || fail "dpkg -r left /usr/bin/gatehouse"
[[ -f /var/lib/gatehouse/gatehouse.db ]] || fail "dpkg -r removed the database"
[[ $(sha256sum /var/lib/gatehouse/secret.key) == "$checksum" ]] || fail "dpkg -r changed or removed the server key"
[[ -f /etc/gatehouse/gatehouse.toml ]] || fail "dpkg -r removed the configuration (a conffile)"
say "dpkg --purge"
dpkg --purge gatehouse >&2
[[ -f /var/lib/gatehouse/gatehouse.db && -f /var/lib/gatehouse/secret.key ]] || fail "purge removed the data"
say "OK: installed, verified, started as $user with the packaged configuration, removed; data kept"
