package main

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// response is what the flood reads back from an answer.
type response struct {
	status    int
	method    string // from CSeq
	callID    string
	challenge string // WWW-Authenticate value, if any
}

// parseResponse reads the status line and the few headers the flood needs.
// It never fails: anything it cannot read is left empty (status 0).
func parseResponse(b []byte) response {
	var r response
	line, rest, _ := bytes.Cut(b, []byte("\n"))
	f := bytes.Fields(line)
	if len(f) < 2 || !bytes.HasPrefix(f[0], []byte("SIP/")) {
		return r
	}
	if n, err := strconv.Atoi(string(f[1])); err == nil && n >= 100 && n < 700 {
		r.status = n
	}
	for len(rest) > 0 {
		line, rest, _ = bytes.Cut(rest, []byte("\n"))
		line = bytes.TrimRight(line, "\r")
		if len(line) == 0 {
			break
		}
		name, val, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		v := string(bytes.TrimSpace(val))
		switch strings.ToLower(string(bytes.TrimSpace(name))) {
		case "cseq":
			if _, m, ok := strings.Cut(v, " "); ok {
				r.method = strings.TrimSpace(m)
			}
		case "call-id", "i":
			r.callID = v
		case "www-authenticate":
			if r.challenge == "" || !strings.Contains(strings.ToUpper(r.challenge), "MD5") {
				r.challenge = v
			}
		}
	}
	return r
}

// parseChallenge reads the parameters of a Digest challenge:
// `Digest realm="x", nonce="y", qop="auth", algorithm=MD5`.
func parseChallenge(h string) map[string]string {
	out := map[string]string{}
	scheme, rest, _ := strings.Cut(strings.TrimSpace(h), " ")
	if !strings.EqualFold(scheme, "Digest") {
		return out
	}
	for rest != "" {
		rest = strings.TrimLeft(rest, " \t,")
		k, after, ok := strings.Cut(rest, "=")
		if !ok {
			break
		}
		k = strings.ToLower(strings.TrimSpace(k))
		after = strings.TrimLeft(after, " \t")
		var v string
		if strings.HasPrefix(after, `"`) {
			end := strings.IndexByte(after[1:], '"')
			if end < 0 {
				v, rest = after[1:], ""
			} else {
				v, rest = after[1:1+end], after[2+end:]
			}
		} else {
			v, rest, _ = strings.Cut(after, ",")
			v = strings.TrimSpace(v)
		}
		out[k] = v
	}
	return out
}

func md5hex(s string) string {
	h := md5.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}

// digestResponse is RFC 2617's request-digest for MD5 (qop auth or none).
func digestResponse(user, realm, password, method, uri, nonce, qop, nc, cnonce string) string {
	ha1 := md5hex(user + ":" + realm + ":" + password)
	ha2 := md5hex(method + ":" + uri)
	if qop == "" {
		return md5hex(ha1 + ":" + nonce + ":" + ha2)
	}
	return md5hex(ha1 + ":" + nonce + ":" + nc + ":" + cnonce + ":" + qop + ":" + ha2)
}

// authorization answers a challenge for user with a wrong password.
func authorization(challenge, user, uri, cnonce string) (string, bool) {
	p := parseChallenge(challenge)
	nonce, realm := p["nonce"], p["realm"]
	if nonce == "" {
		return "", false
	}
	if a := p["algorithm"]; a != "" && !strings.EqualFold(a, "MD5") {
		return "", false
	}
	qop := ""
	for _, q := range strings.Split(p["qop"], ",") {
		if strings.TrimSpace(q) == "auth" {
			qop = "auth"
		}
	}
	resp := digestResponse(user, realm, "guess"+user, "REGISTER", uri, nonce, qop, "00000001", cnonce)
	h := fmt.Sprintf(`Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s", algorithm=MD5`,
		user, realm, nonce, uri, resp)
	if qop != "" {
		h += fmt.Sprintf(`, qop=auth, nc=00000001, cnonce="%s"`, cnonce)
	}
	if o := p["opaque"]; o != "" {
		h += fmt.Sprintf(`, opaque="%s"`, o)
	}
	return h, true
}

// scanner is an svmap-style OPTIONS probe.
func scanner(dst, src string, port int, ua string, n uint64) []byte {
	return fmt.Appendf(nil, "OPTIONS sip:100@%s SIP/2.0\r\n"+
		"Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK-fs%x;rport\r\n"+
		"Max-Forwards: 70\r\n"+
		"To: \"100\" <sip:100@%s>\r\n"+
		"From: \"100\" <sip:100@%s>;tag=fs%x\r\n"+
		"User-Agent: %s\r\n"+
		"Call-ID: fs%x\r\n"+
		"Contact: <sip:100@%s:%d>\r\n"+
		"CSeq: 1 OPTIONS\r\n"+
		"Accept: application/sdp\r\n"+
		"Content-Length: 0\r\n\r\n", dst, src, port, n, dst, dst, n, ua, n, src, port)
}

// register is a password guesser's REGISTER for user; auth is empty for the
// first one and the Authorization value for the second.
func register(dst, src string, port int, user, callID string, cseq int, auth string, n uint64) []byte {
	var a string
	if auth != "" {
		a = "Authorization: " + auth + "\r\n"
	}
	return fmt.Appendf(nil, "REGISTER sip:%s SIP/2.0\r\n"+
		"Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK-cr%x;rport\r\n"+
		"Max-Forwards: 70\r\n"+
		"From: <sip:%s@%s>;tag=cr%x\r\n"+
		"To: <sip:%s@%s>\r\n"+
		"Call-ID: %s\r\n"+
		"CSeq: %d REGISTER\r\n"+
		"Contact: <sip:%s@%s:%d>\r\n"+
		"%s"+
		"Expires: 3600\r\n"+
		"User-Agent: Zoiper rv2.10\r\n"+
		"Content-Length: 0\r\n\r\n", dst, src, port, n, user, dst, n, user, dst, callID, cseq, user, src, port, a)
}

// userOfCallID reads the user back from a Call-ID "cr<user>-<n>".
func userOfCallID(id string) (string, bool) {
	if !strings.HasPrefix(id, "cr") {
		return "", false
	}
	u, _, ok := strings.Cut(id[2:], "-")
	if !ok || u == "" {
		return "", false
	}
	for _, c := range u {
		if c < '0' || c > '9' {
			return "", false
		}
	}
	return u, true
}
