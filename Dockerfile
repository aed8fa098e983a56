# syntax=docker/dockerfile:1.7
# Warden: one binary, models and default policy embedded; ONNX Runtime from
# its official Linux release archive (pinned and checksummed).
#
#   docker build -t warden .
#   docker run -p 8080:8080 warden            # embedded default
#   docker run -e KAFKA_BROKERS=... -e DATABASE_URL=... warden serve

ARG GO_VERSION=1.26.8
ARG DEBIAN_RELEASE=bookworm

FROM golang:${GO_VERSION}-${DEBIAN_RELEASE} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=dev
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=1 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/warden ./cmd/warden

FROM debian:${DEBIAN_RELEASE}-slim AS onnxruntime
# Official release archive. The checksum is the published digest of
# onnxruntime-linux-x64-1.30.0.tgz (11,306,877 bytes); ADD --checksum
# refuses anything else.
ARG ORT_VERSION=1.30.0
ARG ORT_SHA256=a5ed5a3cac51fbb2e90da632ae43d19212faaa20e76484e62bcb7c23ddb3b3fd
ADD --checksum=sha256:${ORT_SHA256} \
    https://github.com/microsoft/onnxruntime/releases/download/v${ORT_VERSION}/onnxruntime-linux-x64-${ORT_VERSION}.tgz /tmp/ort.tgz
RUN mkdir -p /opt/ort && tar -xzf /tmp/ort.tgz -C /tmp \
 && cp /tmp/onnxruntime-linux-x64-${ORT_VERSION}/lib/libonnxruntime.so.${ORT_VERSION} /opt/ort/libonnxruntime.so.1 \
 && cp /tmp/onnxruntime-linux-x64-${ORT_VERSION}/LICENSE /opt/ort/LICENSE

FROM debian:${DEBIAN_RELEASE}-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 65532 warden \
 && useradd --system --uid 65532 --gid 65532 --home-dir /var/lib/warden --create-home warden
COPY --from=onnxruntime /opt/ort/ /usr/lib/warden/
COPY --from=build /out/warden /usr/local/bin/warden
# The byte-level CNN, an optional second tier for prompt injection (not
# embedded): WARDEN_EXTRA_MODELS=/usr/share/warden/models/injection_cnn
# WARDEN_TIER2_MODEL=injection-cnn
COPY --from=build /src/models/injection_cnn/ /usr/share/warden/models/injection_cnn/
ENV WARDEN_ONNXRUNTIME_LIB=/usr/lib/warden/libonnxruntime.so.1 \
    WARDEN_ADDR=0.0.0.0:8080 \
    WARDEN_DATA_DIR=/var/lib/warden \
    WARDEN_LOG_FORMAT=json
USER 65532:65532
WORKDIR /var/lib/warden
VOLUME ["/var/lib/warden"]
# The embedded broker (no KAFKA_BROKERS) listens on loopback only: it has no
# authentication, so it is never published. Scale out with a real cluster.
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=2s --start-period=20s CMD ["/usr/local/bin/warden", "probe", "http://127.0.0.1:8080/readyz"]
ENTRYPOINT ["/usr/local/bin/warden"]
CMD ["serve"]
