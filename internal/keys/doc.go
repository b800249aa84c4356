// Package keys owns yimen's key hierarchy: the owner's master key (a 0600 file
// or YIMEN_MASTER_KEY), and named, versioned data keys ("pbx.cdr",
// "recordings", "field.<table>") that are generated on first use and stored
// only wrapped by the master key (SM4-GCM, AAD = name|version). A Keyring
// seals with the newest version and opens any. Rotate re-wraps every data key
// under a new master key in one transaction. No key material leaves this
// package in clear except through Keyring methods; String and slog output of
// keys show only a fingerprint.
package keys
