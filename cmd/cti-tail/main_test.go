package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yimen/yimen/cti"
	"github.com/yimen/yimen/cti/protocol"
)

// lines collects output and says when a count is reached.
type lines struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	ready chan struct{}
	want  int
}

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n, _ := l.buf.Write(p)
	if l.ready != nil && strings.Count(l.buf.String(), "\n") >= l.want {
		close(l.ready)
		l.ready = nil
	}
	return n, nil
}

func (l *lines) wait(t *testing.T, n int) []string {
	t.Helper()
	l.mu.Lock()
	ch := make(chan struct{})
	if strings.Count(l.buf.String(), "\n") >= n {
		close(ch)
	} else {
		l.ready, l.want = ch, n
	}
	l.mu.Unlock()
	select {
	case <-ch:
	case <-time.After(20 * time.Second):
		t.Fatalf("waited for %d lines, have:\n%s", n, l.buf.String())
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Split(strings.TrimSpace(l.buf.String()), "\n")
}

// dropper remembers accepted connections so a test can cut them all.
type dropper struct {
	net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func (d *dropper) Accept() (net.Conn, error) {
	c, err := d.Listener.Accept()
	if err == nil {
		d.mu.Lock()
		d.conns = append(d.conns, c)
		d.mu.Unlock()
	}
	return c, err
}

func (d *dropper) dropAll() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, c := range d.conns {
		c.Close()
	}
	d.conns = nil
}

func TestTailResumesAfterADrop(t *testing.T) {
	hub, err := cti.NewHub(cti.Config{Epoch: "e1"}, cti.Deps{Auth: cti.NewStaticTokens(map[string]cti.Principal{
		"wall": {Tenant: "demo", Roles: []string{protocol.RoleWallboard}}}), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(hub)
	d := &dropper{Listener: srv.Listener}
	srv.Listener = d
	srv.Start()
	defer srv.Close()
	defer hub.Close()
	publish := func(typ string) {
		if _, err := hub.Publish("demo", cti.Event{Type: typ, Data: map[string]string{"x": typ}}); err != nil {
			t.Fatal(err)
		}
	}
	publish("a")
	publish("b")
	out := &lines{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- tail(ctx, options{url: "ws" + strings.TrimPrefix(srv.URL, "http"), token: "wall", topics: []string{"tenant"},
			since: 0, resume: true, pause: 10 * time.Millisecond}, out, slog.New(slog.DiscardHandler))
	}()
	out.wait(t, 2)
	d.dropAll()
	publish("c") // while the tail is (probably) away
	out.wait(t, 3)
	publish("d")
	got := out.wait(t, 4)
	cancel()
	if err := <-done; err != context.Canceled {
		t.Fatalf("tail returned %v", err)
	}
	if len(got) != 4 {
		t.Fatalf("lines:\n%s", strings.Join(got, "\n"))
	}
	for i, line := range got {
		var env protocol.Envelope
		if err := json.Unmarshal([]byte(line), &env); err != nil || env.Seq != uint64(i+1) || env.Type != string(rune('a'+i)) {
			t.Fatalf("line %d = %s (%v)", i, line, err)
		}
	}
}

func TestArguments(t *testing.T) {
	env := func(string) string { return "" }
	var stderr bytes.Buffer
	if code := run(context.Background(), nil, &bytes.Buffer{}, &stderr, env); code != 2 || !strings.Contains(stderr.String(), "no token") {
		t.Fatalf("no token: %d %s", code, stderr.String())
	}
	stderr.Reset()
	withTok := func(k string) string { return map[string]string{"YIMEN_CTI_TOKEN": "x"}[k] }
	if code := run(context.Background(), []string{"-topics", "call:1"}, &bytes.Buffer{}, &stderr, withTok); code != 2 || !strings.Contains(stderr.String(), "topic") {
		t.Fatalf("bad topic: %d %s", code, stderr.String())
	}
	if code := run(context.Background(), []string{"-nope"}, &bytes.Buffer{}, &bytes.Buffer{}, withTok); code != 2 {
		t.Fatalf("bad flag: %d", code)
	}
}
