# syntax=docker/dockerfile:1
# The agora binary in a static, non-root image: one image for every role
# (agora app, edge, migrate, up…), chosen by the container's arguments.
#
#   docker build -t agora:dev --build-arg VERSION=$(git describe --always) .
#   docker run --rm -p 8080:8080 agora:dev up --demo --listen :8080 --data /tmp/agora-data

# Build stage. SQLite is modernc.org/sqlite, pure Go, so CGO_ENABLED=0 gives
# a static binary that needs no libc in the final image.
FROM docker.io/library/golang:1.26 AS build
WORKDIR /src
# Modules first: this layer is reused until go.mod or go.sum change.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
# -trimpath: no build machine paths in the binary; -s -w: no symbol tables.
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/agora ./cmd/agora

# Final stage: distroless static has CA certificates (S3 over TLS,
# PostgreSQL with sslmode=verify-full), tzdata and /etc/passwd entries for
# the nonroot user (65532), and no shell or package manager.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/agora /usr/local/bin/agora
USER 65532:65532
# The public port of app, edge and up; the edge's admin listener is 8081.
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/agora"]
CMD ["--help"]
