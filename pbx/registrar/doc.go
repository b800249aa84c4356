// Package registrar owns SIP digest authentication (MD5 and SHA-256, RFC 2617,
// 7616, 8760) and the location service: who is registered where, persisted so
// a restart keeps the bindings. It answers REGISTER; the B2BUA asks it where an
// extension can be reached and uses its Authenticator to challenge INVITEs.
// Every failure looks the same on the wire, so an attacker cannot tell an
// unknown extension from a wrong password.
package registrar
