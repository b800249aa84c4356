package sipp

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"text/template"

	"github.com/yimen/yimen/internal/errs"
)

// Scenario returns the absolute path of a scenario in tests/scenarios, the
// one home of the SIPp scenarios the tests and bench/ run, e.g.
// Scenario("uac_call.xml").
func Scenario(name string) string {
	return filepath.Join(scenarioDir(), name)
}

// scenarioDir finds tests/scenarios from this source file (two levels
// below the module root); under -trimpath the file name is not absolute,
// so it falls back to looking upwards from the working directory (tests
// run inside the module).
func scenarioDir() string {
	const rel = "tests/scenarios"
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		d := filepath.Join(filepath.Dir(file), "..", "..", filepath.FromSlash(rel))
		if isDir(d) {
			return d
		}
	}
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			if c := filepath.Join(d, rel); isDir(c) {
				return c
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	return filepath.FromSlash(rel)
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// Expect fills uac_expect.tmpl: a call that must end in Code.
type Expect struct {
	Code  int    // expected final response, 300-699
	Media string // SDP lines from "m=" on; empty offers PCMA + telephone-event
}

// Validate rejects codes the template cannot express (it ACKs a non-2xx).
func (e Expect) Validate() error {
	if e.Code < 300 || e.Code > 699 {
		return fmt.Errorf("sipp: expected code %d is not a final non-2xx response: %w", e.Code, errs.ErrInvalid)
	}
	return nil
}

// Render executes a Go text/template scenario with data and writes the
// XML to a new file in dir, returning its path. tmpl is a path, or the
// bare name of a template in scenarios/ ("uac_expect.tmpl"). Data with a
// Validate() error method (such as Expect) is validated first.
func Render(dir, tmpl string, data any) (string, error) {
	if v, ok := data.(interface{ Validate() error }); ok {
		if err := v.Validate(); err != nil {
			return "", err
		}
	}
	path := tmpl
	if !strings.ContainsRune(tmpl, filepath.Separator) {
		path = Scenario(tmpl)
	}
	text, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("sipp: template %s: %w", tmpl, errs.ErrNotFound)
	}
	t, err := template.New(filepath.Base(path)).
		Funcs(template.FuncMap{"dict": dict}).
		Option("missingkey=error").
		Parse(string(text))
	if err != nil {
		return "", fmt.Errorf("sipp: parse %s: %v: %w", tmpl, err, errs.ErrInvalid)
	}
	var out bytes.Buffer
	if err := t.Execute(&out, data); err != nil {
		return "", fmt.Errorf("sipp: render %s: %v: %w", tmpl, err, errs.ErrInvalid)
	}
	base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	f, err := os.CreateTemp(dir, base+"-*.xml")
	if err != nil {
		return "", fmt.Errorf("sipp: render %s: %w", tmpl, err)
	}
	_, werr := f.Write(out.Bytes())
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return "", fmt.Errorf("sipp: write %s: %w", f.Name(), werr)
	}
	return f.Name(), nil
}

// dict lets a template pass several values to a sub-template.
func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, fmt.Errorf("dict: odd number of arguments")
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
		}
		m[k] = kv[i+1]
	}
	return m, nil
}

// varSpec is one scenario variable declared in the header comment as
//
//	[$name]  default VALUE  description
//	[$name]  required       description
//
// VALUE may be one of the tokens [local_ip], [local_port], [media_ip],
// [media_port], [remote_ip], [remote_port], [user], [service], which Run
// replaces with what this process uses.
type varSpec struct {
	name     string
	def      string
	required bool
}

var varSpecLine = regexp.MustCompile(`(?m)^[ \t]*\[\$([A-Za-z_][A-Za-z0-9_]*)\][ \t]+(?:default[ \t]+(\S+)|(required))`)

// parseVarSpecs reads the declarations before the <scenario> element, so
// message text such as "Expires: [$expires]" is never taken for one. A
// name declared twice keeps its first declaration.
func parseVarSpecs(xml []byte) []varSpec {
	if i := bytes.Index(xml, []byte("<scenario")); i >= 0 {
		xml = xml[:i]
	}
	var out []varSpec
	seen := map[string]bool{}
	for _, m := range varSpecLine.FindAllSubmatch(xml, -1) {
		name := string(m[1])
		if seen[name] {
			continue
		}
		seen[name] = true
		out = append(out, varSpec{name: name, def: string(m[2]), required: len(m[3]) > 0})
	}
	return out
}
