# dockctl's image: the static binary `make image` builds (CGO_ENABLED=0) on
# nothing else. Nothing is compiled here, so no base image is pulled and the
# build works without a registry, the way release tools that build the
# binary first (goreleaser) expect. See README, "Container image and compose".
FROM scratch

# .build/rootfs holds /dockctl and an empty /tmp of mode 1777: scratch has no
# /tmp, and dockctl keeps its layer cache under XDG_CACHE_HOME and its prune
# lock in /tmp/dockctl-locks, which must be writable whichever --user runs
# it. One COPY, one layer.
COPY .build/rootfs/ /
ENV XDG_CACHE_HOME=/tmp/.cache

# Root by default: dockctl needs the engine's socket, and whoever can use
# that is root on the host anyway.
ENTRYPOINT ["/dockctl"]
CMD ["report"]

# Last, since they change with every build.
ARG VERSION=dev
ARG REVISION=
ARG CREATED=
LABEL org.opencontainers.image.title="dockctl" \
      org.opencontainers.image.description="Inspect a Docker engine's disk use and clean it up safely" \
      org.opencontainers.image.source="https://github.com/dockctl/dockctl" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}"
