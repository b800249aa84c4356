// Package pbxstore holds all of the PBX's SQL in one place: SIP accounts
// (secrets sealed at rest), registrar bindings, the guard's ban list and CDRs.
// Personal data (numbers) is sealed per field and found through a blind index.
package pbxstore
