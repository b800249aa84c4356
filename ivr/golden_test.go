package ivr

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/yimen/yimen/internal/errs"
)

var update = flag.Bool("update", false, "rewrite the golden files testdata/bad/*.err")

// Each testdata/bad/X.ivr must fail to load with exactly the text in X.err.
func TestBadFlowsGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/bad/*.ivr")
	if err != nil || len(files) == 0 {
		t.Fatalf("no bad flows: %v", err)
	}
	line := regexp.MustCompile(`^[a-z_]+\.ivr:\d+:\d+: `)
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".ivr")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			_, err = loadOne(t, testLoader(t), name, string(src))
			if err == nil {
				t.Fatal("loaded without error")
			}
			if !errors.Is(err, errs.ErrInvalid) {
				t.Errorf("error does not wrap ErrInvalid")
			}
			got := err.Error() + "\n"
			for _, l := range strings.Split(strings.TrimSpace(got), "\n") {
				if !line.MatchString(l) {
					t.Errorf("line %q is not file:line:col: message", l)
				}
			}
			golden := strings.TrimSuffix(file, ".ivr") + ".err"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -run TestBadFlowsGolden -update)", err)
			}
			if got != string(want) {
				t.Errorf("errors differ from %s\n--- got\n%s--- want\n%s", golden, got, want)
			}
		})
	}
}
