// Package oa is the OA server's business core: customers (numbers sealed
// with a blind index), contact records built from the PBX's CTI events,
// tickets (工单) with a per-category state machine and SLA clocks on the
// shared business calendar, departments, and the screen-pop card. It owns
// its tables (migrations/) in the OA's own database and knows nothing of
// the PBX but the CTI's message types: oa/ctilink feeds it events, oa/oaapi
// serves it over HTTP, cmd/oa wires the process.
package oa
