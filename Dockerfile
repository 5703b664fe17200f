# gatehouse as a container image: a Rust build stage, then a small runtime (distroless: glibc,
# libgcc and CA certificates, no shell) that runs as a non-root user with its state in /data.
#
#   podman build -t gatehouse .            (or docker build; GATEHOUSE_COMMIT names the commit)
#   podman run -p 8080:8080 -p 8787:8787 -v gatehouse-data:/data gatehouse
#
# The API listens on 0.0.0.0:8787 inside the container: publish it only where it is private.
ARG RUST_IMAGE=docker.io/library/rust:1.95-slim-bookworm
ARG RUNTIME_IMAGE=gcr.io/distroless/cc-debian12:nonroot
# `build` compiles from source; `prebuilt` takes dist/usr/bin/gatehouse from the build context
# (a binary built by `cargo build --release --locked -p gatehouse` on a compatible glibc).
ARG BINARIES=build

FROM ${RUST_IMAGE} AS build
WORKDIR /src
COPY . .
ARG GATEHOUSE_COMMIT=unknown
ENV GATEHOUSE_COMMIT=${GATEHOUSE_COMMIT}
RUN cargo build --release --locked -p gatehouse \
    && install -D -m 0755 target/release/gatehouse /out/usr/bin/gatehouse

FROM scratch AS prebuilt
COPY dist/usr/bin/gatehouse /out/usr/bin/gatehouse

FROM ${BINARIES} AS binaries

FROM scratch AS layout
COPY --from=binaries /out/usr/bin/gatehouse /usr/bin/gatehouse
# An empty, writable state directory for the volume.
COPY --chown=65532:65532 deploy/container/data/ /data/

FROM ${RUNTIME_IMAGE} AS runtime
COPY --from=layout / /
USER 65532:65532
ENV GATEHOUSE_DATA_DIR=/data \
    GATEHOUSE_API_LISTEN=0.0.0.0:8787 \
    GATEHOUSE_GATEWAY_LISTEN=0.0.0.0:8080 \
    GATEHOUSE_LOG_FORMAT=json
VOLUME ["/data"]
WORKDIR /data
EXPOSE 8080 8787
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
    CMD ["/usr/bin/gatehouse", "probe", "http://127.0.0.1:8787/healthz"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/gatehouse"]
CMD ["serve"]
