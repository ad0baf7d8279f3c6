# syntax=docker/dockerfile:1
# The prodlab binary for the compose module (infra/docker-compose.module.yml).
# cgo is on because the librdkafka engine uses confluent-kafka-go, which links
# its bundled static librdkafka against glibc: build and run on Debian.

FROM golang:1.26-trixie AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc libc6-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=1 go build -trimpath -ldflags="-s -w" -o /out/prodlab ./cmd/prodlab

FROM debian:trixie-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/prodlab /usr/local/bin/prodlab
USER 65532:65532
EXPOSE 18080 18081
ENTRYPOINT ["/usr/local/bin/prodlab"]
CMD ["api", "--listen", "0.0.0.0:18080"]
