// Package boot assembles a process from its configuration: logging, the
// database, the master key and data keys, field encryption, and the PBX. The
// commands and the test harness share it so tests run exactly what ships.
package boot
