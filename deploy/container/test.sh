#!/usr/bin/env bash
# Builds the image's runtime stage (Dockerfile) with podman and runs it: non-root user, /data
# volume, HEALTHCHECK, ENTRYPOINT/CMD, SIGTERM stop. Registries of container images are out of
# reach here, so two things differ from a plain `podman build .`, both by build arguments of the
# Dockerfile itself: BINARIES=prebuilt takes the gatehouse binary built on this machine with
# `cargo build --release --locked -p gatehouse` instead of compiling in the Rust image, and
# RUNTIME_IMAGE is a distroless-like base made here from Debian's libc6 and libgcc-s1 packages.
# Without a working podman it runs the same layout and entrypoint in a temporary root (chroot).
#
#   deploy/container/test.sh [PATH/TO/release/gatehouse]
set -euo pipefail
cd "$(dirname "$0")/../.."

say() { echo "deploy/container/test.sh: $*" >&2; }
fail() { say "FAIL: $*"; exit 1; }

binary=${1:-}
if [[ -z $binary ]]; then
  target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
  cargo build --release --locked -p gatehouse
  binary="$target/release/gatehouse"
fi
[[ -x $binary ]] || fail "no gatehouse binary at $binary"

scratch=$(mktemp -d /tmp/gatehouse-image-test.XXXXXX)
container=""
volume=""
cleanup() {
  if [[ -n $container ]]; then podman rm -f "$container" >/dev/null 2>&1 || true; fi
  if [[ -n $volume ]]; then podman volume rm -f "$volume" >/dev/null 2>&1 || true; fi
  podman rmi -f localhost/gatehouse:test >/dev/null 2>&1 || true
  rm -rf "$scratch"
}
trap cleanup EXIT

# The runtime base: what distroless/cc carries that gatehouse needs (glibc, libgcc), a nonroot
# user 65532 and a /tmp; no shell, no package manager.
make_base_root() {
  local root=$1 debs="$scratch/debs"
  mkdir -p "$debs" "$root"
  chmod 0777 "$debs"
  (cd "$debs" && apt-get download -qq libc6 libgcc-s1 >/dev/null) || return 1
  for deb in "$debs"/*.deb; do dpkg-deb -x "$deb" "$root"; done
  mkdir -p "$root/etc" "$root/tmp" "$root/home/nonroot"
  chmod 1777 "$root/tmp"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnonroot:x:65532:\n' >"$root/etc/group"
  chown 65532:65532 "$root/home/nonroot"
}

# The Dockerfile's build context, with the prebuilt binary where BINARIES=prebuilt takes it.
context="$scratch/context"
mkdir -p "$context/dist/usr/bin" "$context/deploy/container"
cp Dockerfile .dockerignore "$context/"
cp -r deploy/container/data "$context/deploy/container/"
install -m 0755 "$binary" "$context/dist/usr/bin/gatehouse"

probe() {
  python3 - "$1" <<'PY'
import sys, urllib.request, urllib.error
try:
    with urllib.request.urlopen(sys.argv[1], timeout=10) as reply:
        print(reply.status, reply.read().decode())
except urllib.error.HTTPError as error:
    print(error.code, error.read().decode())
except OSError as error:
    print(0, error)
PY
}

# The API address from the ready line in a log file or text.
ready_api() {
  python3 -c '
import json, sys
for line in sys.stdin:
    line = line.strip()
    if line.startswith("{") and "\"ready\"" in line:
        ready = json.loads(line)
        if ready.get("event") == "ready":
            print(ready["api"]); sys.exit(0)
sys.exit(1)'
}

podman_runs=false
if command -v podman >/dev/null && podman info >/dev/null 2>&1; then
  podman_runs=true
  base=localhost/gatehouse-test-runtime:bookworm
  if ! podman image exists "$base"; then
    say "making the runtime base image $base from Debian packages"
    make_base_root "$scratch/base" || fail "cannot download libc6 and libgcc-s1 with apt-get"
    tar -C "$scratch/base" -c . | podman import - "$base" >/dev/null
  fi
  say "podman build (BINARIES=prebuilt, RUNTIME_IMAGE=$base)"
  podman build -q --format docker --build-arg BINARIES=prebuilt --build-arg RUNTIME_IMAGE="$base" \
    -t localhost/gatehouse:test "$context" >/dev/null
  podman image inspect localhost/gatehouse:test --format \
    'user={{.Config.User}} volumes={{.Config.Volumes}} entrypoint={{.Config.Entrypoint}} cmd={{.Config.Cmd}} size={{.Size}}' >&2
  [[ $(podman image inspect localhost/gatehouse:test --format '{{.Config.User}}') == 65532:65532 ]] || fail "the image does not run as 65532"
  podman image inspect localhost/gatehouse:test --format '{{json .Config.Volumes}}' | grep -q '"/data"' || fail "no /data volume"
  podman image inspect localhost/gatehouse:test --format '{{json .Config.Healthcheck}}' | grep -q 'probe' ||
    podman image inspect localhost/gatehouse:test --format '{{json .Healthcheck}}' | grep -q 'probe' || fail "no HEALTHCHECK"

  if ! run_error=$(podman run --rm --network host localhost/gatehouse:test --version 2>&1); then
    say "podman built the image but cannot run a container on this machine: $(tail -n 1 <<<"$run_error")"
    podman_runs=false
  fi
fi
if $podman_runs; then
  volume=gatehouse-test-data-$$
  podman volume create "$volume" >/dev/null
  # Host networking with port 0: nothing else on this machine is disturbed; the ready line says
  # where it listens. Everything else is the image's own ENTRYPOINT, CMD, USER and ENV.
  container=$(podman run -d --network host --ulimit host --read-only --cap-drop ALL -v "$volume:/data" \
    -e GATEHOUSE_API_LISTEN=127.0.0.1:0 -e GATEHOUSE_GATEWAY_LISTEN=127.0.0.1:0 localhost/gatehouse:test)
  api=""
  for _ in $(seq 1 300); do
    if api=$(podman logs "$container" 2>/dev/null | ready_api); then break; fi
    [[ $(podman inspect "$container" --format '{{.State.Running}}') == true ]] || { podman logs "$container" >&2; fail "the container exited"; }
    sleep 0.1
  done
  [[ -n $api ]] || { podman logs "$container" >&2; fail "no ready line within 30 s"; }
  say "ready: $api"
  health=$(probe "$api/healthz")
  say "/healthz: $health"
  [[ $health == 200* ]] || fail "/healthz"
  # The HEALTHCHECK probes the default port; this run moved it, so run the same command on it.
  podman exec "$container" /usr/bin/gatehouse probe "$api/readyz" || fail "gatehouse probe inside the container"
  [[ $(podman exec "$container" /usr/bin/gatehouse --version) == gatehouse* ]] || fail "--version in the container"
  mountpoint=$(podman volume inspect "$volume" --format '{{.Mountpoint}}')
  [[ $(stat -c '%u' "$mountpoint/secret.key") == 65532 ]] || fail "secret.key on the volume is not the nonroot user's"
  [[ -f $mountpoint/gatehouse.db ]] || fail "no database on the volume"
  podman stop -t 20 "$container" >/dev/null
  code=$(podman inspect "$container" --format '{{.State.ExitCode}}')
  [[ $code == 0 ]] || { podman logs "$container" >&2; fail "exit code $code after SIGTERM"; }
  say "OK: image built with podman, ran as 65532 with /data on a volume, answered /healthz and /readyz, stopped cleanly"
else
  say "no container can run here: running the image's layout and entrypoint in a temporary root"
  root="$scratch/root"
  make_base_root "$root" || fail "cannot download libc6 and libgcc-s1 with apt-get"
  install -D -m 0755 "$binary" "$root/usr/bin/gatehouse"
  cp -r deploy/container/data "$root/data"
  chown -R 65532:65532 "$root/data"
  env -i GATEHOUSE_DATA_DIR=/data GATEHOUSE_API_LISTEN=127.0.0.1:0 GATEHOUSE_GATEWAY_LISTEN=127.0.0.1:0 \
    GATEHOUSE_LOG_FORMAT=json "$(command -v chroot)" --userspec=65532:65532 "$root" /usr/bin/gatehouse serve >"$scratch/stdout" 2>"$scratch/stderr" &
  pid=$!
  api=""
  for _ in $(seq 1 300); do
    if api=$(ready_api <"$scratch/stdout"); then break; fi
    kill -0 "$pid" 2>/dev/null || { cat "$scratch/stderr" >&2; fail "gatehouse exited in the temporary root"; }
    sleep 0.1
  done
  [[ -n $api ]] || fail "no ready line within 30 s"
  health=$(probe "$api/healthz")
  [[ $health == 200* ]] || fail "/healthz: $health"
  chroot --userspec=65532:65532 "$root" /usr/bin/gatehouse probe "$api/readyz" || fail "probe"
  kill -TERM "$pid"
  wait "$pid" || fail "exit code $? after SIGTERM"
  say "OK (temporary root): ran as 65532 with /data, answered /healthz and /readyz, stopped cleanly"
fi
