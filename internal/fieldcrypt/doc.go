// Package fieldcrypt is the data-at-rest facility every package uses for
// personal data: SM4-GCM field encryption bound to table|row|column, an
// HMAC-SM3 blind index so equality lookups on encrypted columns stay an
// index probe, chunked SM4-GCM file encryption whose reader is an
// io.ReaderAt (so encrypted recordings still serve HTTP Range), and the
// masking helpers (Mask, MaskID) that keep phone and ID numbers out of logs.
package fieldcrypt
