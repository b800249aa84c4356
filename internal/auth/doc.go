// Package auth owns who someone is: users' credentials (PBKDF2-HMAC-SM3
// password hashes with rules, history and maximum age), lockout per account
// and per source address, server-side sessions (256-bit tokens stored as SM3
// hashes, idle and absolute expiry, a new token on every login, a CSRF token
// bound to the session), TOTP second factor, SM2 challenge-response login,
// hashed API tokens for machines, and the HTTP middleware and handlers that
// put a *Principal into the request context. What a principal may do is
// internal/rbac's business.
package auth
