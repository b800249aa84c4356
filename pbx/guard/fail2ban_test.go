package guard

import (
	"bufio"
	"bytes"
	"context"
	"log/slog"
	"net/netip"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// fail2banRegexps reads the failregex lines of fail2ban.conf and turns
// fail2ban's <ADDR> into a named group Go's regexp understands.
func fail2banRegexps(t *testing.T) []*regexp.Regexp {
	t.Helper()
	f, err := os.Open("fail2ban.conf")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []*regexp.Regexp
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "failregex"):
			in = true
			line = strings.TrimSpace(strings.SplitN(line, "=", 2)[1])
		case in && strings.HasPrefix(line, " ") && strings.TrimSpace(line) != "":
			line = strings.TrimSpace(line)
		default:
			in = false
			continue
		}
		re, err := regexp.Compile(strings.ReplaceAll(line, "<ADDR>", `(?P<host>[0-9A-Fa-f:.]+)`))
		if err != nil {
			t.Fatalf("failregex %q: %v", line, err)
		}
		out = append(out, re)
	}
	if len(out) == 0 {
		t.Fatal("no failregex in fail2ban.conf")
	}
	return out
}

// fail2banHost returns the address fail2ban would ban for line.
func fail2banHost(res []*regexp.Regexp, line string) (string, bool) {
	for _, re := range res {
		if m := re.FindStringSubmatch(line); m != nil {
			return m[re.SubexpIndex("host")], true
		}
	}
	return "", false
}

func TestFail2banFilterMatchesTheLogLines(t *testing.T) {
	res := fail2banRegexps(t)
	handlers := map[string]func(*bytes.Buffer) *slog.Logger{
		"text": func(b *bytes.Buffer) *slog.Logger { return slog.New(slog.NewTextHandler(b, nil)) },
		"json": func(b *bytes.Buffer) *slog.Logger { return slog.New(slog.NewJSONHandler(b, nil)) },
		"text+with": func(b *bytes.Buffer) *slog.Logger {
			return slog.New(slog.NewTextHandler(b, nil)).With("svc", "pbx", "node", "gz 1")
		},
		"json+with": func(b *bytes.Buffer) *slog.Logger {
			return slog.New(slog.NewJSONHandler(b, nil)).With("svc", "pbx")
		},
		"text+group": func(b *bytes.Buffer) *slog.Logger { return slog.New(slog.NewTextHandler(b, nil)).WithGroup("guard") },
		"json+group": func(b *bytes.Buffer) *slog.Logger { return slog.New(slog.NewJSONHandler(b, nil)).WithGroup("guard") },
	}
	for name, mk := range handlers {
		for _, src := range []string{"203.0.113.7", "2001:db8::5"} {
			var buf bytes.Buffer
			cfg := DefaultConfig()
			cfg.AuthFailuresPerIP = 1
			g, err := New(context.Background(), cfg, nil, mk(&buf), nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			// An attacker-chosen user name carrying another address must
			// not be mistaken for the source.
			g.AuthFailure(context.Background(), netip.MustParseAddr(src), `x" ip=6.6.6.6 {"ip":"6.6.6.6"}`)
			lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
			if len(lines) != 2 {
				t.Fatalf("%s: want a failure line and a ban line, got %q", name, lines)
			}
			host, ok := fail2banHost(res, lines[0])
			if !ok || host != src {
				t.Errorf("%s: failure line %q: host %q matched=%v, want %s", name, lines[0], host, ok, src)
			}
			if !strings.Contains(lines[1], "sip ban") {
				t.Errorf("%s: second line %q is not the ban line", name, lines[1])
			}
			if _, ok := fail2banHost(res, lines[1]); ok {
				t.Errorf("%s: ban line %q counted as a failure", name, lines[1])
			}
		}
	}
}

func TestFail2banFilterIgnoresOtherLines(t *testing.T) {
	res := fail2banRegexps(t)
	when := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC).Format(time.RFC3339)
	for _, line := range []string{
		`time=` + when + ` level=WARN msg="sip ban" ip=203.0.113.7 reason=flood`,
		`time=` + when + ` level=INFO msg="sip registered" ip=203.0.113.7 account=1001`,
		`time=` + when + ` level=WARN msg="sip auth failure" ip="invalid IP" account="a ip=6.6.6.6 b"`,
		`{"time":"` + when + `","level":"WARN","msg":"sip auth failure","ip":"invalid IP","account":"\",\"ip\":\"6.6.6.6"}`,
	} {
		if host, ok := fail2banHost(res, line); ok {
			t.Errorf("%q matched with host %q", line, host)
		}
	}
}
