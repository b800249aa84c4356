// Package pbxapi is the PBX's own HTTP API: health, metrics and profiling,
// the SIP guard's ban list, registrations, CDRs, live calls, SIP secret
// rotation and IVR flow reloads. Routes returns them as httpx.Routes, each
// with its permission beside its handler, one handler per file; the process
// wiring mounts them behind internal/adminapi's guard.
package pbxapi
