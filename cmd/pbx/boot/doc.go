// Package boot assembles the PBX process from its configuration: logging,
// the database, the master key and data keys, field encryption, the PBX, the
// contact centre, the recorder and the HTTP routes. It is wiring, so it lives
// with the command it serves (cmd may import every package; internal/* may
// import none of the features). cmd/pbx and the system-test harness share it,
// so tests run exactly what ships.
package boot
