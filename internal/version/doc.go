// Package version owns the build's identity: the release version and commit
// stamped at link time by `make release` (-ldflags -X), falling back to what
// the Go toolchain recorded (module version, VCS revision) for other builds.
// Every command prints it with -version and the PBX reports it on /healthz.
package version
