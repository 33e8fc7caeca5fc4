// Package testutil holds helpers that unit tests and integration tests
// share. Only tests import it.
package testutil
