package oaboot

import (
	"os"
	"path/filepath"
	"testing"
)

// The loader parses the calendar files only when they changed: the same
// files answer the calendar parsed before, an edited file a new one, and a
// broken edit an error.
func TestCalendarLoaderParsesOnlyChangedFiles(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"cn-2025.yaml", "cn-2026.yaml"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "..", "configs", "calendars", n))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, n), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	load := calendarLoader(dir, "cn")
	first, sum1, err := load()
	if err != nil || first == nil {
		t.Fatal(first, err)
	}
	again, sum2, err := load()
	if err != nil || again != first || sum2 != sum1 {
		t.Fatalf("unchanged files: %p %s (%v), want %p %s", again, sum2, err, first, sum1)
	}
	f := filepath.Join(dir, "cn-2026.yaml")
	b, _ := os.ReadFile(f)
	if err := os.WriteFile(f, append(b, []byte("\n# corrected\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	edited, sum3, err := load()
	if err != nil || edited == first || sum3 == sum1 {
		t.Fatalf("edited file: same calendar %v, same sum %v (%v)", edited == first, sum3 == sum1, err)
	}
	if err := os.WriteFile(f, []byte("calendar: [broken"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := load(); err == nil {
		t.Fatal("a broken file loaded")
	}
}
