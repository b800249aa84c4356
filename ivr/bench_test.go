package ivr

import (
	"context"
	"os"
	"testing"
)

// benchSession is a caller that presses 1 at the menu and 4 at the survey,
// with no bookkeeping, so the benchmark measures the interpreter.
type benchSession struct{ n int }

func (b *benchSession) Answer(context.Context) error                    { return nil }
func (b *benchSession) Play(context.Context, PromptRef) error           { return nil }
func (b *benchSession) Say(context.Context, SayAs, string) error        { return nil }
func (b *benchSession) Transfer(context.Context, TransferRequest) error { return nil }
func (b *benchSession) Survey(context.Context, SurveyResult) error      { return nil }
func (b *benchSession) Hangup(context.Context) error                    { return nil }
func (b *benchSession) Record(context.Context, RecordRequest) (RecordResult, error) {
	return RecordResult{ID: "r"}, nil
}
func (b *benchSession) Queue(context.Context, QueueRequest) (QueueResult, error) {
	return QueueResult{Answered: true}, nil
}
func (b *benchSession) CollectDigits(context.Context, DigitRequest) (string, error) {
	b.n++
	if b.n == 1 {
		return "1", nil
	}
	return "4", nil
}

func BenchmarkParseDemo(b *testing.B) {
	src, err := os.ReadFile("../configs/ivr/demo.ivr")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("demo.ivr", "demo", string(src)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLoadShippedFlows(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		demoSet(b)
	}
}

// BenchmarkRunDemoCall walks one whole open-hours call: greeting, menu key
// 1, queue, survey score 4, hangup (11 statements).
func BenchmarkRunDemoCall(b *testing.B) {
	set := demoSet(b)
	in := NewInterpreter(Options{Clock: clockAt("2026-02-14 10:00")})
	vars := map[string]string{"caller": "13800138000", "call_id": "c1"}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if res, err := in.Run(ctx, set, "demo", &benchSession{}, vars); err != nil || res.Outcome != OutcomeHangup {
			b.Fatal(res, err)
		}
	}
}

// BenchmarkRunDemoCallParallel runs demo calls from every core at once on
// one shared Set and Interpreter.
func BenchmarkRunDemoCallParallel(b *testing.B) {
	set := demoSet(b)
	in := NewInterpreter(Options{Clock: clockAt("2026-02-14 10:00")})
	vars := map[string]string{"caller": "13800138000", "call_id": "c1"}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			if _, err := in.Run(ctx, set, "demo", &benchSession{}, vars); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
