package ivr

import (
	"fmt"
	"slices"
	"strings"
)

// Loop analysis works on a graph of statements. Waiting statements (menu,
// collect, survey, record, queue) are where a caller can act or time passes;
// a cycle without one spins. Exits are hangup, transfer, return, running off
// a step, and entering another flow; a part of the flow that can never reach
// one holds the caller forever.

// Edges continuing after a sub are "slow" (they imply a wait) when the step
// called cannot return without waiting; subNone marks an ordinary edge and
// subOtherFlow one after a sub into another flow, which counts as slow.
const (
	subNone      = -1
	subOtherFlow = -2
)

type edge struct {
	to  int
	sub int // subNone, subOtherFlow, or the node of the step called
}

type gnode struct {
	stmt Stmt
	step *Step // the step the node is in, or that it starts
	head bool  // the node a step starts at
	wait bool
	ret  bool
	succ []edge
}

type flowGraph struct {
	n        []gnode
	exit     int
	stepNode map[string]int
	used     map[string]bool // steps named by some goto or sub
}

func buildGraph(f *Flow) *flowGraph {
	g := &flowGraph{stepNode: map[string]int{}, used: map[string]bool{}}
	g.exit = g.add(gnode{})
	var steps []*Step
	for _, st := range f.Steps {
		if _, dup := g.stepNode[st.Name]; !dup {
			g.stepNode[st.Name] = g.add(gnode{step: st, head: true})
			steps = append(steps, st)
		}
	}
	for _, st := range steps {
		g.link(g.stepNode[st.Name], g.block(st, st.Body, g.exit), subNone)
	}
	return g
}

func (g *flowGraph) add(n gnode) int {
	g.n = append(g.n, n)
	return len(g.n) - 1
}

func (g *flowGraph) link(from, to, sub int) {
	g.n[from].succ = append(g.n[from].succ, edge{to: to, sub: sub})
}

func (g *flowGraph) block(st *Step, body []Stmt, cont int) int {
	next := cont
	for i := len(body) - 1; i >= 0; i-- {
		next = g.stmt(st, body[i], next)
	}
	return next
}

func (g *flowGraph) arm(st *Step, a *Arm, cont int) int {
	if a == nil {
		return cont
	}
	return g.block(st, a.Body, cont)
}

func (g *flowGraph) stmt(st *Step, s Stmt, next int) int {
	id := g.add(gnode{stmt: s, step: st})
	switch s := s.(type) {
	case *Goto:
		g.link(id, g.targetNode(s.Target), subNone)
	case *Sub:
		if s.Target.Flow != "" {
			g.link(id, next, subOtherFlow)
			break
		}
		t := g.targetNode(s.Target)
		g.link(id, t, subNone)
		if t != g.exit {
			g.link(id, next, t)
		}
	case *Return:
		g.n[id].ret = true
		g.link(id, g.exit, subNone)
	case *Hangup:
		g.link(id, g.exit, subNone)
	case *Transfer:
		g.link(id, g.exit, subNone)
		if s.OnFail != nil {
			g.link(id, g.arm(st, s.OnFail, next), subNone)
		}
	case *If:
		g.link(id, g.block(st, s.Then, next), subNone)
		g.link(id, g.block(st, s.Else, next), subNone)
	case *When:
		hasElse := false
		for _, k := range s.Cases {
			g.link(id, g.block(st, k.Body, next), subNone)
			hasElse = hasElse || k.Cond == nil
		}
		if !hasElse {
			g.link(id, next, subNone)
		}
	case *Menu:
		g.n[id].wait = true
		for _, o := range s.Options {
			g.link(id, g.arm(st, o, next), subNone)
		}
		if s.Invalid != nil {
			g.link(id, g.arm(st, s.Invalid, id), subNone)
		}
		g.link(id, g.arm(st, s.OnTimeout, next), subNone)
	case *Collect:
		g.n[id].wait = true
		g.link(id, next, subNone)
		g.link(id, g.arm(st, s.OnTimeout, next), subNone)
	case *Queue:
		g.n[id].wait = true
		g.link(id, next, subNone)
		g.link(id, g.arm(st, s.OnTimeout, next), subNone)
	case *HTTP:
		g.link(id, next, subNone)
		g.link(id, g.arm(st, s.Fallback, next), subNone)
	case *Record, *Survey:
		g.n[id].wait = true
		g.link(id, next, subNone)
	default:
		g.link(id, next, subNone)
	}
	return id
}

// targetNode resolves a goto or sub: another flow counts as an exit, and an
// undefined step (already reported) too, so that it causes no second error.
func (g *flowGraph) targetNode(t Target) int {
	if t.Flow != "" {
		return g.exit
	}
	g.used[t.Step] = true
	if n, ok := g.stepNode[t.Step]; ok {
		return n
	}
	return g.exit
}

// loops reports spinning loops, parts with no way out, and unused steps.
func (c *checker) loops() {
	if len(c.flow.Steps) == 0 {
		return
	}
	g := buildGraph(c.flow)
	fast := g.fastReturns()
	spinning := false
	for _, scc := range g.spinningLoops(fast) {
		spinning = true
		steps := g.stepsOf(scc)
		c.d.errorf(steps[0].Pos, "loop without input: %s round forever without a menu, collect, survey, record or queue", stepList(steps, "goes", "go"))
	}
	if !spinning {
		if stuck := g.stuckSteps(); len(stuck) > 0 {
			c.d.errorf(stuck[0].Pos, "no way out: %s never reach hangup, transfer, return or another flow", stepList(stuck, "can", "can"))
		}
	}
	seen := g.reachable(g.stepNode[c.flow.Steps[0].Name])
	entry := c.flow.Steps[0].Name
	for name, id := range g.stepNode {
		if seen[id] {
			continue
		}
		st := g.n[id].step
		if g.used[name] {
			c.d.warnf(st.Pos, "step %q is unreachable from the entry step %q", name, entry)
		} else {
			c.d.warnf(st.Pos, "step %q is never used", name)
		}
	}
}

// stepList renders `step "a" goes` or `steps "a", "b" go`.
func stepList(steps []*Step, one, many string) string {
	q := make([]string, len(steps))
	for i, s := range steps {
		q[i] = fmt.Sprintf("%q", s.Name)
	}
	if len(q) == 1 {
		return "step " + q[0] + " " + one
	}
	return "steps " + strings.Join(q, ", ") + " " + many
}

// stepsOf lists the distinct steps of some nodes in file order.
func (g *flowGraph) stepsOf(ids []int) []*Step {
	var out []*Step
	for _, id := range ids {
		if st := g.n[id].step; st != nil && !slices.Contains(out, st) {
			out = append(out, st)
		}
	}
	slices.SortFunc(out, func(a, b *Step) int { return a.Line - b.Line })
	return out
}

// fastReturns finds, for each step called by sub, whether it can return
// without waiting. It is a least fixpoint: nested subs start as "waits".
func (g *flowGraph) fastReturns() map[int]bool {
	fast := map[int]bool{}
	var targets []int
	for _, n := range g.n {
		for _, e := range n.succ {
			if e.sub >= 0 && !slices.Contains(targets, e.sub) {
				targets = append(targets, e.sub)
			}
		}
	}
	for changed := true; changed; {
		changed = false
		for _, t := range targets {
			if !fast[t] && g.returnsWithoutWait(t, fast) {
				fast[t], changed = true, true
			}
		}
	}
	return fast
}

func (g *flowGraph) fastEdge(e edge, fast map[int]bool) bool {
	switch e.sub {
	case subNone:
		return true
	case subOtherFlow:
		return false
	}
	return fast[e.sub]
}

func (g *flowGraph) returnsWithoutWait(start int, fast map[int]bool) bool {
	seen := map[int]bool{start: true}
	stack := []int{start}
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if g.n[id].ret {
			return true
		}
		for _, e := range g.n[id].succ {
			if !seen[e.to] && !g.n[e.to].wait && g.fastEdge(e, fast) {
				seen[e.to] = true
				stack = append(stack, e.to)
			}
		}
	}
	return false
}

// spinningLoops returns the strongly connected parts of the graph without
// waiting nodes that contain a cycle (Tarjan, iterative).
func (g *flowGraph) spinningLoops(fast map[int]bool) [][]int {
	n := len(g.n)
	index := make([]int, n)
	low := make([]int, n)
	on := make([]bool, n)
	for i := range index {
		index[i] = -1
	}
	var stack, out [][]int
	var sccStack []int
	counter := 0
	ok := func(e edge) bool { return !g.n[e.to].wait && g.fastEdge(e, fast) }
	for root := 0; root < n; root++ {
		if index[root] >= 0 || g.n[root].wait {
			continue
		}
		stack = append(stack[:0], []int{root, 0})
		index[root], low[root] = counter, counter
		counter++
		sccStack = append(sccStack, root)
		on[root] = true
		for len(stack) > 0 {
			top := stack[len(stack)-1]
			v, i := top[0], top[1]
			if i < len(g.n[v].succ) {
				top[1]++
				e := g.n[v].succ[i]
				if !ok(e) {
					continue
				}
				w := e.to
				if index[w] < 0 {
					index[w], low[w] = counter, counter
					counter++
					sccStack = append(sccStack, w)
					on[w] = true
					stack = append(stack, []int{w, 0})
				} else if on[w] {
					low[v] = min(low[v], index[w])
				}
				continue
			}
			stack = stack[:len(stack)-1]
			if len(stack) > 0 {
				p := stack[len(stack)-1][0]
				low[p] = min(low[p], low[v])
			}
			if low[v] != index[v] {
				continue
			}
			var comp []int
			for {
				w := sccStack[len(sccStack)-1]
				sccStack = sccStack[:len(sccStack)-1]
				on[w] = false
				comp = append(comp, w)
				if w == v {
					break
				}
			}
			if len(comp) > 1 || g.selfLoop(v, ok) {
				slices.Sort(comp)
				out = append(out, comp)
			}
		}
	}
	return out
}

func (g *flowGraph) selfLoop(v int, ok func(edge) bool) bool {
	for _, e := range g.n[v].succ {
		if e.to == v && ok(e) {
			return true
		}
	}
	return false
}

// stuckSteps lists steps from which no exit can be reached.
func (g *flowGraph) stuckSteps() []*Step {
	pred := make([][]int, len(g.n))
	for v, n := range g.n {
		for _, e := range n.succ {
			pred[e.to] = append(pred[e.to], v)
		}
	}
	canExit := make([]bool, len(g.n))
	canExit[g.exit] = true
	queue := []int{g.exit}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		for _, u := range pred[v] {
			if !canExit[u] {
				canExit[u] = true
				queue = append(queue, u)
			}
		}
	}
	var stuck []int
	for _, id := range g.stepNode {
		if !canExit[id] {
			stuck = append(stuck, id)
		}
	}
	return g.stepsOf(stuck)
}

func (g *flowGraph) reachable(from int) []bool {
	seen := make([]bool, len(g.n))
	seen[from] = true
	stack := []int{from}
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, e := range g.n[v].succ {
			if !seen[e.to] {
				seen[e.to] = true
				stack = append(stack, e.to)
			}
		}
	}
	return seen
}
