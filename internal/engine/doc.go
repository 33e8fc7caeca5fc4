// Package engine owns the connection to a Docker Engine: it resolves which
// endpoint to talk to exactly as the docker CLI does (flags, DOCKER_HOST,
// DOCKER_CONTEXT, the current context in ~/.docker/config.json), builds a
// client that negotiates the API version lazily (over `ssh … docker system
// dial-stdio` for ssh:// endpoints, as docker does), and turns transport and
// HTTP errors into typed errors that carry the status and the engine's
// message (UnreachableError, TimeoutError, APIError). It names no flag:
// the command line adds, in an error's Advice, which of its flags to check.
// It knows nothing about images or prune plans.
package engine
