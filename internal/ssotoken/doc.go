// Package ssotoken is the one-login token between yimen's servers: the PBX,
// where an agent signs in for the agent bar, issues a short-lived token
// naming the user, tenant, roles and agent id for one audience ("oa"),
// signed with its SM2 key; the OA verifies it with the PBX's public key and
// opens a session of its own. The format is claims as JSON and an SM2
// signature over them, each base64url, joined by a dot.
package ssotoken
