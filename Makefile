# Convenience targets; README's two commands need none of them.
.PHONY: build test ci bench bench-prune

build:
	go build -o dockctl ./cmd/dockctl

test:
	go test ./...

ci:
	bash .ci/run

# dockctl report vs docker system df on 1,000 labelled objects (see BENCHMARKS.md).
bench:
	go run ./bench -images 200 -containers 400 -volumes 400 -runs 9

# Also dockctl prune --yes vs docker system prune -af on 500 removable objects.
bench-prune:
	go run ./bench -images 100 -containers 200 -volumes 200 -runs 5 -prune -prune-runs 3
