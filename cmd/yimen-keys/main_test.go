package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGenMasterRotateList(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	oldKey, newKey, db := filepath.Join(dir, "old.key"), filepath.Join(dir, "new.key"), filepath.Join(dir, "y.db")
	noenv := func(string) string { return "" }
	var out, errb bytes.Buffer
	for _, p := range []string{oldKey, newKey} {
		if rc := run(ctx, []string{"gen-master", "-out", p}, &out, &errb, noenv); rc != 0 {
			t.Fatalf("gen-master rc=%d: %s", rc, errb.String())
		}
		fi, _ := os.Stat(p)
		if fi.Mode().Perm() != 0o600 {
			t.Fatalf("mode %o", fi.Mode().Perm())
		}
	}
	if rc := run(ctx, []string{"gen-master", "-out", oldKey}, &out, &errb, noenv); rc == 0 {
		t.Fatal("gen-master overwrote an existing key")
	}
	keyText, _ := os.ReadFile(oldKey)
	if rc := run(ctx, []string{"new-version", "-db", db, "-key-file", oldKey, "pbx.cdr"}, &out, &errb, noenv); rc != 0 {
		t.Fatalf("new-version: %s", errb.String())
	}
	out.Reset()
	if rc := run(ctx, []string{"rotate", "-db", db, "-key-file", oldKey, "-new-key-file", newKey}, &out, &errb, noenv); rc != 0 {
		t.Fatalf("rotate: %s", errb.String())
	}
	if !strings.Contains(out.String(), "re-wrapped 2") {
		t.Fatalf("rotate output: %s", out.String())
	}
	// The old key no longer opens the store; the new one does, via the environment.
	errb.Reset()
	if rc := run(ctx, []string{"list", "-db", db, "-key-file", oldKey}, &out, &errb, noenv); rc == 0 {
		t.Fatal("old key still accepted")
	}
	newText, _ := os.ReadFile(newKey)
	env := func(k string) string {
		if k == "YIMEN_MASTER_KEY" {
			return string(newText)
		}
		return ""
	}
	out.Reset()
	if rc := run(ctx, []string{"list", "-db", db}, &out, &errb, env); rc != 0 {
		t.Fatalf("list: %s", errb.String())
	}
	if !strings.Contains(out.String(), "pbx.cdr") {
		t.Fatalf("list output: %s", out.String())
	}
	all := out.String() + errb.String()
	for _, k := range [][]byte{keyText, newText} {
		if strings.Contains(all, strings.TrimSpace(string(k))) {
			t.Fatal("a key was printed")
		}
	}
}
