package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

// version is set at release builds: go build -ldflags "-X main.version=v1.2.3".
var version = "dev"

func versionCommand() *command {
	return &command{
		name:    "version",
		summary: "print the version, commit and Go version",
		usage:   "Prints the version of this binary, the commit it was built from and the Go version.",
		run: func(ctx context.Context, env *cmdEnv) error {
			rev, modified := "unknown", false
			if bi, ok := debug.ReadBuildInfo(); ok {
				for _, s := range bi.Settings {
					switch s.Key {
					case "vcs.revision":
						rev = s.Value
					case "vcs.modified":
						modified = s.Value == "true"
					}
				}
			}
			if modified {
				rev += " (modified)"
			}
			fmt.Fprintf(env.stdout, "agora %s\ncommit %s\n%s %s/%s\n", version, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}
