# Convenience targets; README's two commands need none of them.
.PHONY: build install test ci bench bench-prune bench-fleet docs

build:
	go build -o dockctl ./cmd/dockctl

# dockctl on PATH: go install puts it in $GOBIN, else $(go env GOPATH)/bin.
install:
	go install ./cmd/dockctl

test:
	go test ./...

ci:
	bash .ci/run

# dockctl report and prune --dry-run vs docker system df, inspect images
# vs docker images, networks vs docker network ls, containers vs docker ps
# -a --size, volumes vs docker system df -v, report warm vs cold layer cache,
# and each dockctl command's engine requests, on labelled objects created
# and removed by the run (see BENCHMARKS.md). Scale mode (issue 12):
#   make bench BENCH_CONTAINERS=1200 BENCH_VOLUMES=500 BENCH_IMAGES=200
BENCH_IMAGES ?= 200
BENCH_CONTAINERS ?= 400
BENCH_VOLUMES ?= 400
BENCH_RUNS ?= 9
bench:
	go run ./bench -images $(BENCH_IMAGES) -containers $(BENCH_CONTAINERS) -volumes $(BENCH_VOLUMES) -runs $(BENCH_RUNS) -inspect -cold -count

# Also dockctl prune --yes vs docker system prune -af on 500 removable objects.
bench-prune:
	go run ./bench -images 100 -containers 200 -volumes 200 -runs 5 -prune -prune-runs 3

# dockctl report over 500 fake engines on unix sockets, 50 ms each, at
# --parallel 4, 16 and 64, plus a hung and a dead engine (see BENCHMARKS.md).
# Override FLEET_FLAGS, e.g. FLEET_FLAGS='-n 100 -runs 1 -parallel 64'.
FLEET_FLAGS ?= -n 500 -latency 50ms -runs 3 -parallel 4,16,64
bench-fleet:
	go run ./bench/fleet $(FLEET_FLAGS)

# Peak RSS of dockctl report -v --format json over one fake engine with
# 10,000 containers; fails above 64 MiB (issue 12 item 4, BENCHMARKS.md).
.PHONY: bench-memory
bench-memory:
	go run ./bench/fleet -memory -runs 3

# Man pages (docs/man) and markdown (docs/cli) from the command tree; a test
# fails while the checked-in copy is stale.
docs:
	go run ./internal/gendocs -out docs

# The container image: the static binary on scratch (see Dockerfile and
# README, "Container image and compose"). The binary is built for the
# engine's architecture. The classic builder is the default because buildx
# may be missing and nothing here needs BuildKit; DOCKER_BUILDKIT=1 in the
# environment selects BuildKit. Override IMAGE, VERSION, DOCKER_BUILD_FLAGS.
.PHONY: image demo
IMAGE ?= dockctl:dev
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
ENGINE_ARCH ?= $(shell docker version --format '{{.Server.Arch}}' 2>/dev/null | grep . || go env GOARCH)
DOCKER_BUILDKIT ?= 0

image:
	rm -rf .build/rootfs
	install -d -m 1777 .build/rootfs/tmp
	CGO_ENABLED=0 GOOS=linux GOARCH=$(ENGINE_ARCH) go build -trimpath \
		-ldflags '-s -w -X github.com/dockctl/dockctl/internal/version.BuildVersion=$(VERSION)' \
		-o .build/rootfs/dockctl ./cmd/dockctl
	DOCKER_BUILDKIT=$(DOCKER_BUILDKIT) docker build $(DOCKER_BUILD_FLAGS) \
		--build-arg VERSION='$(VERSION)' \
		--build-arg REVISION="$$(git rev-parse HEAD 2>/dev/null)" \
		--build-arg CREATED="$$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
		-t '$(IMAGE)' .

# The demo app's binary, which demo/Dockerfile copies; then
# `docker compose --profile demo up -d --build`.
demo:
	CGO_ENABLED=0 GOOS=linux GOARCH=$(ENGINE_ARCH) go build -trimpath -ldflags '-s -w' \
		-o demo/.build/app ./demo/app
