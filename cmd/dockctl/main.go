// Command dockctl inspects a Docker engine's disk use and cleans it up safely.
package main

import (
	"os"

	"github.com/dockctl/dockctl/internal/cmd"
)

func main() { os.Exit(cmd.Main()) }
