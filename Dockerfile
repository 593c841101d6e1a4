# syntax=docker/dockerfile:1
# Lắng Nghe: one static binary; every role is a subcommand (see docker-compose.yml).
#
#   docker build --build-arg VERSION=$(git describe --tags --always) \
#                --build-arg COMMIT=$(git rev-parse --short HEAD) -t langnghe .
#
# Build stage: the Go toolchain of go.mod, modules cached between builds.
FROM golang:1.26.8-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
# CGO_ENABLED=0: a static binary, so the final image needs no libc. -trimpath and -s -w keep
# build paths and symbol tables out of it; version and commit show in `langnghe version`
# and in the langnghe_build_info metric.
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=linux go build -trimpath \
      -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" \
      -o /out/langnghe ./cmd/langnghe \
 && mkdir -p /out/data

# Final stage: distroless static (CA certificates, tzdata for Asia/Ho_Chi_Minh, /etc/passwd
# with the nonroot user 65532), no shell, no package manager.
FROM gcr.io/distroless/static-debian12:nonroot
LABEL org.opencontainers.image.title="langnghe" \
      org.opencontainers.image.description="Lắng Nghe: Vietnamese public-opinion monitoring" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV TZ=Asia/Ho_Chi_Minh \
    LANGNGHE_DATA_DIR=/data \
    LANGNGHE_HTTP_LISTEN=0.0.0.0:8080
COPY --from=build /out/langnghe /usr/local/bin/langnghe
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
VOLUME ["/data"]
EXPOSE 8080
# No curl in this image: the binary probes its own /readyz (LANGNGHE_HTTP_LISTEN).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["/usr/local/bin/langnghe", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/langnghe"]
CMD ["run"]
