package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// version is the release, set at build time (make build passes
// -ldflags "-X main.version=..."); "dev" otherwise.
var version = "dev"

// versionString is what `dinhdanh version` prints: the release, the VCS
// revision when the build recorded one, and the Go toolchain.
func versionString() string {
	rev := ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				rev = " (" + s.Value[:12] + ")"
			}
		}
	}
	return fmt.Sprintf("dinhdanh %s%s %s %s/%s", version, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
