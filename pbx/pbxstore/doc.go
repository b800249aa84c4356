// Package pbxstore holds all of the PBX's SQL in one place: SIP accounts
// (secrets sealed at rest), registrar bindings, the guard's ban list, CDRs
// and the journal of calls in progress, which start-up turns into
// "interrupted" CDRs after a crash. Personal data (numbers) is sealed per field and found through a blind index.
package pbxstore
