// Package fake provides a hand-written fake Docker engine for unit tests:
// one func field per engine method, so each test states exactly the
// answers it needs. A method whose field is nil fails the call loudly, and
// every call is counted so tests can assert what was (not) requested.
package fake
