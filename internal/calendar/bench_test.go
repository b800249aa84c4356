package calendar

import (
	"testing"
	"time"
)

func BenchmarkOpenAt(b *testing.B) {
	c := shipped(b)
	h := mustHours(b, "mon-fri 09:00-12:00,13:30-17:30; sat 09:00-12:00")
	t0 := at8("2026-02-14 10:00")
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		OpenAt(t0.Add(time.Duration(i%1000)*time.Hour), h, c)
	}
}

func BenchmarkAddBusinessFiveDays(b *testing.B) {
	c := shipped(b)
	h := mustHours(b, "mon-fri 09:00-12:00,13:30-17:30")
	from := at8("2026-02-12 16:00")
	b.ReportAllocs()
	for b.Loop() {
		AddBusiness(from, 5*7*time.Hour, h, c)
	}
}

func BenchmarkParseHours(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseHours("mon-fri 09:00-12:00,13:30-17:30; sat 09:00-12:00"); err != nil {
			b.Fatal(err)
		}
	}
}
