package oa

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/yimen/yimen/internal/errs"
)

// Actor is who acts on a ticket.
type Actor struct {
	UserID     string
	Department int64
	// Supervisor may 督办, approve or refuse a 延期, archive and act on any
	// ticket (rbac's oa.ticket.supervise).
	Supervisor bool
}

// Actions on a ticket.
const (
	ActDispatch      = "dispatch"       // 派单: to a department (and a handler)
	ActSign          = "sign"           // 签收
	ActHandle        = "handle"         // 办理: work starts, or a progress note
	ActResolve       = "resolve"        // 办结
	ActVisit         = "visit"          // 回访: with the satisfaction result
	ActArchive       = "archive"        // 归档
	ActTransfer      = "transfer"       // 转办: to another department
	ActReturn        = "return"         // 退单: back to the accepting desk, with a reason
	ActExtend        = "extend"         // 延期 request: the clock pauses until decided
	ActExtendApprove = "extend_approve" // 延期 granted: the clock resumes with the extra time
	ActExtendReject  = "extend_reject"  // 延期 refused: the clock resumes as it was
	ActSupervise     = "supervise"      // 督办
	ActReopen        = "reopen"         // 重办: the handling clock starts again
	ActComment       = "comment"        // a note; no state change
)

// TransitionInput is one action on a ticket.
type TransitionInput struct {
	Action       string `json:"action"`
	Comment      string `json:"comment"`
	DepartmentID int64  `json:"department_id"`
	Assignee     string `json:"assignee"`
	Extra        string `json:"extra"`        // 延期: business time asked for ("1wd", "4h")
	Satisfaction int    `json:"satisfaction"` // 回访: 1 (very dissatisfied) … 5 (very satisfied)
}

// rule is one action's states before and after.
type rule struct {
	from []string
	to   func(wf Workflow, t Ticket) string
	// handler: only the ticket's department, its assignee or a supervisor.
	handler    bool
	supervisor bool
	comment    bool // a comment (reason) is required
}

func same(_ Workflow, t Ticket) string { return t.State }
func to(s string) func(Workflow, Ticket) string {
	return func(Workflow, Ticket) string { return s }
}

var open = []string{StateAccepted, StateDispatched, StateSigned, StateHandling, StateResolved, StateVisited, StateReturned}

var rules = map[string]rule{
	ActDispatch: {from: []string{StateAccepted, StateReturned}, to: func(wf Workflow, _ Ticket) string {
		if wf.SkipSign {
			return StateHandling
		}
		return StateDispatched
	}},
	ActSign:    {from: []string{StateDispatched}, to: to(StateSigned), handler: true},
	ActHandle:  {from: []string{StateSigned, StateHandling}, to: to(StateHandling), handler: true},
	ActResolve: {from: []string{StateSigned, StateHandling}, to: to(StateResolved), handler: true, comment: true},
	ActVisit:   {from: []string{StateResolved}, to: to(StateVisited)},
	ActArchive: {from: []string{StateVisited, StateResolved}, to: to(StateArchived), supervisor: true},
	ActTransfer: {from: []string{StateDispatched, StateSigned, StateHandling}, to: func(wf Workflow, _ Ticket) string {
		if wf.SkipSign {
			return StateHandling
		}
		return StateDispatched
	}, handler: true, comment: true},
	ActReturn:        {from: []string{StateDispatched, StateSigned, StateHandling}, to: to(StateReturned), handler: true, comment: true},
	ActExtend:        {from: []string{StateDispatched, StateSigned, StateHandling}, to: same, handler: true, comment: true},
	ActExtendApprove: {from: []string{StateDispatched, StateSigned, StateHandling}, to: same, supervisor: true},
	ActExtendReject:  {from: []string{StateDispatched, StateSigned, StateHandling}, to: same, supervisor: true, comment: true},
	ActSupervise:     {from: open, to: same, supervisor: true, comment: true},
	ActReopen:        {from: []string{StateResolved, StateVisited}, to: to(StateHandling), comment: true},
	ActComment:       {from: append(slices.Clone(open), StateArchived), to: same, comment: true},
}

// Actions lists every action, for the API's documentation.
func Actions() []string {
	out := make([]string, 0, len(rules))
	for a := range rules {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}

// Allowed lists the actions me may take on t as it is, sorted: those its
// state, its category's workflow, a pending 延期 and me's rights admit, as
// Transition checks them (a required comment or field aside). A form shows
// these; Transition still decides.
func Allowed(t Ticket, wf Workflow, me Actor) []string {
	handler := me.Supervisor || t.Assignee == me.UserID || (t.DepartmentID != 0 && t.DepartmentID == me.Department)
	out := []string{}
	for a, r := range rules {
		ok := slices.Contains(r.from, t.State) && (!r.supervisor || me.Supervisor) && (!r.handler || handler)
		switch a {
		case ActArchive:
			ok = ok && (t.State == StateVisited || wf.SkipVisit)
		case ActVisit:
			ok = ok && !wf.SkipVisit
		case ActExtend:
			ok = ok && !t.ExtensionPending
		case ActExtendApprove, ActExtendReject:
			ok = ok && t.ExtensionPending
		}
		if ok {
			out = append(out, a)
		}
	}
	slices.Sort(out)
	return out
}

// Transition applies one action to a ticket: the state changes as the
// category's workflow allows, the SLA clock starts, stops, pauses or
// resumes, and the event is appended, all in one transaction. An action
// the ticket's state does not allow is refused with errs.ErrConflict.
func (s *Service) Transition(ctx context.Context, tenant string, me Actor, id int64, in TransitionInput) (Ticket, error) {
	r, ok := rules[in.Action]
	if !ok {
		return Ticket{}, FieldErrors{"action": "one of " + strings.Join(Actions(), ", ")}
	}
	in.Comment = strings.TrimSpace(in.Comment)
	if r.comment && in.Comment == "" {
		return Ticket{}, FieldErrors{"comment": "required for " + in.Action}
	}
	if len([]rune(in.Comment)) > 4000 {
		return Ticket{}, FieldErrors{"comment": "at most 4000 characters"}
	}
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		t, err := s.Ticket(ctx, tenant, id)
		if err != nil {
			return err
		}
		cat, err := s.Category(ctx, tenant, t.CategoryID)
		if err != nil {
			return err
		}
		if !slices.Contains(r.from, t.State) {
			return fmt.Errorf("cannot %s a ticket that is %s: %w", in.Action, t.State, errs.ErrConflict)
		}
		if r.supervisor && !me.Supervisor {
			return fmt.Errorf("%s needs a supervisor: %w", in.Action, errs.ErrForbidden)
		}
		if r.handler && !me.Supervisor && t.Assignee != me.UserID && (t.DepartmentID == 0 || t.DepartmentID != me.Department) {
			return fmt.Errorf("ticket %d is not dispatched to you or your department: %w", id, errs.ErrForbidden)
		}
		next := r.to(cat.Workflow, t)
		detail := map[string]any{}
		now := s.now()
		set := map[string]any{}
		switch in.Action {
		case ActDispatch, ActTransfer:
			if err := s.checkDispatch(ctx, tenant, in, t, in.Action == ActTransfer); err != nil {
				return err
			}
			set["department_id"], set["assignee"] = in.DepartmentID, in.Assignee
			detail["department_id"], detail["assignee"] = in.DepartmentID, in.Assignee
			step := StepSign
			if next == StateHandling {
				step = StepHandle
			}
			s.startClock(set, step, now, cat.SLA)
			text := fmt.Sprintf("工单 #%d %s 已派至您的部门", t.ID, t.Title)
			if err := s.notifyDepartment(ctx, tenant, in.DepartmentID, t.ID, "dispatch", text); err != nil {
				return err
			}
			if err := s.notify(ctx, tenant, in.Assignee, t.ID, "dispatch", text); err != nil {
				return err
			}
		case ActSign:
			if t.Assignee == "" {
				set["assignee"] = me.UserID
			}
			s.startClock(set, StepHandle, now, cat.SLA)
		case ActResolve:
			if cat.Workflow.SkipVisit {
				s.stopClock(set)
			} else {
				s.startClock(set, StepVisit, now, cat.SLA)
			}
		case ActVisit:
			if in.Satisfaction < 1 || in.Satisfaction > 5 {
				return FieldErrors{"satisfaction": "1 (very dissatisfied) to 5 (very satisfied)"}
			}
			set["satisfaction"] = in.Satisfaction
			detail["satisfaction"] = in.Satisfaction
			s.stopClock(set)
		case ActArchive:
			if t.State == StateResolved && !cat.Workflow.SkipVisit {
				return fmt.Errorf("category %s needs a return visit (回访) before archiving: %w", cat.Name, errs.ErrConflict)
			}
			s.stopClock(set)
			set["open"], set["closed_at"] = 0, ms(now)
		case ActReturn:
			s.stopClock(set)
			set["assignee"] = ""
			detail["reason"] = in.Comment
			if err := s.notify(ctx, tenant, t.Creator, t.ID, "return", fmt.Sprintf("工单 #%d 被退单：%s", t.ID, in.Comment)); err != nil {
				return err
			}
		case ActExtend:
			if t.ExtensionPending {
				return fmt.Errorf("an extension of ticket %d awaits a decision: %w", id, errs.ErrConflict)
			}
			extra, err := ParseLimit(in.Extra, s.cfg.Hours)
			if err != nil || extra <= 0 {
				return FieldErrors{"extra": "business time asked for, such as 1wd or 4h"}
			}
			set["extension_pending"], set["extension_ms"] = 1, extra.Milliseconds()
			detail["extra"] = in.Extra
			s.pauseClock(set, t, now)
		case ActExtendApprove, ActExtendReject:
			if !t.ExtensionPending {
				return fmt.Errorf("no extension of ticket %d awaits a decision: %w", id, errs.ErrConflict)
			}
			var extra time.Duration
			if in.Action == ActExtendApprove {
				extra = s.extensionOf(ctx, id)
			}
			set["extension_pending"], set["extension_ms"] = 0, 0
			s.resumeClock(set, t, now, extra)
			if err := s.notify(ctx, tenant, t.Assignee, t.ID, in.Action, fmt.Sprintf("工单 #%d 延期申请：%s", t.ID, map[bool]string{true: "已批准", false: "未批准"}[in.Action == ActExtendApprove])); err != nil {
				return err
			}
		case ActSupervise:
			set["supervised"] = 1
			if err := s.notify(ctx, tenant, t.Assignee, t.ID, "supervise", fmt.Sprintf("工单 #%d 被督办：%s", t.ID, in.Comment)); err != nil {
				return err
			}
			if err := s.notifyDepartment(ctx, tenant, t.DepartmentID, t.ID, "supervise", fmt.Sprintf("工单 #%d 被督办：%s", t.ID, in.Comment)); err != nil {
				return err
			}
		case ActReopen:
			set["satisfaction"] = nil
			s.startClock(set, StepHandle, now, cat.SLA)
			if err := s.notify(ctx, tenant, t.Assignee, t.ID, "reopen", fmt.Sprintf("工单 #%d 重办：%s", t.ID, in.Comment)); err != nil {
				return err
			}
		}
		set["state"], set["updated_at"] = next, ms(now)
		if err := s.updateTicket(ctx, id, set); err != nil {
			return err
		}
		if len(detail) == 0 {
			detail = nil
		}
		return s.appendEvent(ctx, tenant, id, in.Action, t.State, next, me.UserID, in.Comment, detail)
	})
	if err != nil {
		return Ticket{}, err
	}
	return s.Ticket(ctx, tenant, id)
}

func (s *Service) checkDispatch(ctx context.Context, tenant string, in TransitionInput, t Ticket, transfer bool) error {
	if in.DepartmentID == 0 {
		return FieldErrors{"department_id": "required"}
	}
	if err := s.exists(ctx, `SELECT COUNT(*) FROM oa_departments WHERE id=? AND tenant=?`, in.DepartmentID, tenant); err != nil {
		return FieldErrors{"department_id": "no such department"}
	}
	if transfer && in.DepartmentID == t.DepartmentID {
		return FieldErrors{"department_id": "转办 goes to another department"}
	}
	if in.Assignee != "" {
		st, err := s.StaffOf(ctx, tenant, in.Assignee)
		if err != nil {
			return err
		}
		if st.DepartmentID != in.DepartmentID {
			return FieldErrors{"assignee": "not a member of that department"}
		}
	}
	return nil
}

func (s *Service) extensionOf(ctx context.Context, id int64) time.Duration {
	var v int64
	_ = s.db.Q(ctx).QueryRowContext(ctx, `SELECT extension_ms FROM oa_tickets WHERE id=?`, id).Scan(&v)
	return time.Duration(v) * time.Millisecond
}

func (s *Service) startClock(set map[string]any, step string, now time.Time, p SLAPolicy) {
	c, ok := StartClock(step, now, p, s.cfg.Hours, s.businessCalendar())
	if !ok {
		s.stopClock(set)
		return
	}
	set["sla_step"], set["sla_started_at"], set["sla_due_at"], set["sla_warn_at"] = step, ms(c.Started), ms(c.Due), ms(c.WarnAt)
	set["sla_paused_at"], set["sla_remaining_ms"], set["sla_state"], set["sla_escalate_at"] = nil, nil, SLAOK, nil
}

func (s *Service) stopClock(set map[string]any) {
	for _, k := range []string{"sla_started_at", "sla_due_at", "sla_warn_at", "sla_paused_at", "sla_remaining_ms", "sla_escalate_at"} {
		set[k] = nil
	}
	set["sla_step"], set["sla_state"] = "", SLAOK
}

// pauseClock keeps the business time left; the deadline is cleared so the
// SLA watcher passes the ticket over while it is paused.
func (s *Service) pauseClock(set map[string]any, t Ticket, now time.Time) {
	if t.SLA.DueAt == 0 || t.SLA.Paused {
		return
	}
	due := fromMS(t.SLA.DueAt)
	rem := Remaining(now, due, s.cfg.Hours, s.businessCalendar())
	set["sla_paused_at"], set["sla_remaining_ms"], set["sla_due_at"] = ms(now), rem.Milliseconds(), nil
	if t.SLA.WarnAt > t.SLA.DueAt || t.SLA.WarnAt == 0 {
		return
	}
	// Keep the warning's distance before the deadline.
	set["sla_warn_at"] = -Remaining(fromMS(t.SLA.WarnAt), due, s.cfg.Hours, s.businessCalendar()).Milliseconds()
}

func (s *Service) resumeClock(set map[string]any, t Ticket, now time.Time, extra time.Duration) {
	if !t.SLA.Paused {
		return
	}
	rem := time.Duration(t.SLA.RemainingMS)*time.Millisecond + extra
	due := Resume(now, rem, s.cfg.Hours, s.businessCalendar())
	set["sla_due_at"], set["sla_paused_at"], set["sla_remaining_ms"] = ms(due), nil, nil
	if t.SLA.WarnAt < 0 { // the warning's distance before the deadline
		before := time.Duration(-t.SLA.WarnAt) * time.Millisecond
		if w := rem - before; w > 0 {
			set["sla_warn_at"] = ms(Resume(now, w, s.cfg.Hours, s.businessCalendar()))
		} else {
			set["sla_warn_at"] = ms(now)
		}
	}
	if extra > 0 && t.SLA.State != SLAOK {
		set["sla_state"], set["sla_escalate_at"] = SLAOK, nil // the new deadline is ahead again
	}
}

// updateTicket writes set's columns (names from this file only).
func (s *Service) updateTicket(ctx context.Context, id int64, set map[string]any) error {
	cols := make([]string, 0, len(set))
	for k := range set {
		cols = append(cols, k)
	}
	slices.Sort(cols)
	args := make([]any, 0, len(cols)+1)
	for i, k := range cols {
		args = append(args, set[k])
		cols[i] = k + "=?"
	}
	_, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE oa_tickets SET `+strings.Join(cols, ", ")+` WHERE id=?`, append(args, id)...)
	return err
}

// CheckSLA moves the running clocks on at now: warning, breach (with a
// notice to the handler and department), and escalation (督办) once the
// policy's escalate_after has passed since the breach. Each kind is found
// through an index of its own, so a backlog of breached tickets costs
// nothing until they are due to escalate. It returns how many changed.
func (s *Service) CheckSLA(ctx context.Context, now time.Time) (int, error) {
	type hit struct {
		id, dep, cat, due             int64
		tenant, assignee, title, next string
	}
	var hits []hit
	for _, q := range []struct{ next, where string }{
		{SLAEscalated, `open = 1 AND sla_state = 'breached' AND sla_escalate_at<=?`},
		{SLABreached, `open = 1 AND sla_state IN ('', 'warning') AND sla_due_at<=?`},
		{SLAWarning, `open = 1 AND sla_state = '' AND sla_warn_at<=?`},
	} {
		rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT id, IFNULL(department_id,0), category_id, IFNULL(sla_due_at,0), tenant, assignee, title
			FROM oa_tickets WHERE `+q.where+` AND sla_paused_at IS NULL`, ms(now))
		if err != nil {
			return 0, err
		}
		seen := map[int64]bool{}
		for _, h := range hits {
			seen[h.id] = true
		}
		for rows.Next() {
			h := hit{next: q.next}
			if err := rows.Scan(&h.id, &h.dep, &h.cat, &h.due, &h.tenant, &h.assignee, &h.title); err != nil {
				rows.Close()
				return 0, err
			}
			if !seen[h.id] { // a clock both past warning and due breaches once
				hits = append(hits, h)
			}
		}
		rows.Close()
	}
	changed := 0
	cats := map[int64]Category{}
	for _, h := range hits {
		set := map[string]any{"sla_state": h.next, "updated_at": ms(now)}
		switch h.next {
		case SLAEscalated:
			set["supervised"], set["sla_escalate_at"] = 1, nil
		case SLABreached:
			cat, ok := cats[h.cat]
			if !ok {
				var err error
				if cat, err = s.Category(ctx, h.tenant, h.cat); err != nil {
					return changed, err
				}
				cats[h.cat] = cat
			}
			if after, _ := ParseLimit(cat.SLA.EscalateAfter, s.cfg.Hours); after > 0 {
				set["sla_escalate_at"] = ms(calendarAdd(s, fromMS(h.due), after))
			}
		}
		err := s.db.InTx(ctx, func(ctx context.Context) error {
			if err := s.updateTicket(ctx, h.id, set); err != nil {
				return err
			}
			var st string
			if err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT state FROM oa_tickets WHERE id=?`, h.id).Scan(&st); err != nil {
				return err
			}
			if err := s.appendEvent(ctx, h.tenant, h.id, "sla."+h.next, st, st, "system", "", map[string]any{"due_at": h.due}); err != nil {
				return err
			}
			text := map[string]string{SLAWarning: "即将超时", SLABreached: "已超时", SLAEscalated: "超时未办，已督办"}[h.next]
			text = fmt.Sprintf("工单 #%d %s %s", h.id, h.title, text)
			if err := s.notify(ctx, h.tenant, h.assignee, h.id, "sla."+h.next, text); err != nil {
				return err
			}
			return s.notifyDepartment(ctx, h.tenant, h.dep, h.id, "sla."+h.next, text)
		})
		if err != nil {
			return changed, err
		}
		changed++
	}
	return changed, nil
}

func calendarAdd(s *Service, from time.Time, d time.Duration) time.Time {
	return Resume(from, d, s.cfg.Hours, s.businessCalendar())
}

// RunSLA checks the clocks every interval until ctx ends.
func (s *Service) RunSLA(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := s.CheckSLA(ctx, s.now()); err != nil {
				s.log.Error("sla check", "err", err)
			} else if n > 0 {
				s.log.Info("sla clocks moved", "tickets", n)
			}
		}
	}
}
