// Command spindle runs Dask clusters on Hadoop YARN: the client on edge
// nodes, the application master and the container runtime are all this one
// binary.
package main

import (
	"os"

	"github.com/spindle-yarn/spindle/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }
