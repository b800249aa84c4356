// Package contactcenter runs the contact centre on the PBX's calls: a caller
// the IVR hands to a queue waits here (announcements, callback offer,
// overflow) while the ACD decides who takes them; this package rings the
// chosen agents on the caller's far leg (ring-all: the first answer wins,
// the others are stopped), reports each outcome back to the ACD, and carries
// out the CTI's call-control and supervision commands. It implements
// acd.Dialer, cti.CallControl and cti.Monitoring over a small Calls
// interface (*b2bua.Manager satisfies it), so neither the ACD nor the CTI
// hub knows the PBX. Time comes from an acd.Clock, so every path can be
// driven by tests without sleeping.
package contactcenter
