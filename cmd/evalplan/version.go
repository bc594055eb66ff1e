package main

import (
	"fmt"
	"runtime"
)

func cmdVersion(c *cli, _ []string) int {
	fmt.Fprintf(c.stdout, "evalplan v%s (%s, %s/%s)\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return exitOK
}
