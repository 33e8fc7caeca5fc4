// Package swarm reads the disk reports a Swarm service of dockctl writes,
// one per node, from the service's logs.
//
// The stack in deploy/swarm runs `dockctl report --every … --format json`
// as a global service: one task per node, each round's report one JSON
// line on the task's stdout. The logs of a service are the manager's to
// give (the API's /services/{id}/logs, as `docker service logs` reads
// them), tagged with the node and task each line came from, so one
// connection to one manager sees every node's latest report without
// reaching the nodes themselves. A node whose task wrote no report lately
// is reported as such, not left out: a silent node is what the reader is
// looking for.
package swarm
