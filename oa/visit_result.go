package oa

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/yimen/yimen/internal/errs"
)

// What a category does with a 回访 answered "dissatisfied".
const (
	VisitReopen  = "reopen"  // 重办: back to 办理
	VisitArchive = "archive" // 归档 all the same
)

// 回访 results as the citizen gives them, and the satisfaction score each
// is recorded as on the ticket (1–5).
const (
	ResultSatisfied      = "satisfied"    // 满意
	ResultBasically      = "basically"    // 基本满意
	ResultDissatisfied   = "dissatisfied" // 不满意
	scoreSatisfied       = 5
	scoreBasically       = 4
	scoreDissatisfiedMax = 2
)

// VisitScores maps each 回访 result to its satisfaction score.
func VisitScores() map[string]int {
	return map[string]int{ResultSatisfied: scoreSatisfied, ResultBasically: scoreBasically, ResultDissatisfied: scoreDissatisfiedMax}
}

// VisitResult records a 回访's result on a resolved ticket through the
// ticket workflow: the visit action with the result's score, then, as the
// category says, 归档 (satisfied or basically satisfied, and dissatisfied
// when the category archives anyway) or 重办 (dissatisfied, the default),
// all in one transaction. The archive is the 回访 rule's, so it is applied
// with a supervisor's right whoever made the call.
func (s *Service) VisitResult(ctx context.Context, tenant string, me Actor, id int64, result, comment string) (Ticket, error) {
	score, ok := VisitScores()[result]
	if !ok {
		return Ticket{}, FieldErrors{"result": "satisfied, basically or dissatisfied"}
	}
	comment = strings.TrimSpace(comment)
	label := map[string]string{ResultSatisfied: "满意", ResultBasically: "基本满意", ResultDissatisfied: "不满意"}[result]
	note := "回访：" + label
	if comment != "" {
		note += "。" + comment
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
		if _, err := s.Transition(ctx, tenant, me, id, TransitionInput{Action: ActVisit, Satisfaction: score, Comment: note}); err != nil {
			return err
		}
		if result == ResultDissatisfied && cat.Workflow.VisitDissatisfied != VisitArchive {
			_, err = s.Transition(ctx, tenant, me, id, TransitionInput{Action: ActReopen, Comment: "回访不满意，重办：" + orDash(comment)})
			return err
		}
		rule := me
		rule.Supervisor = true
		_, err = s.Transition(ctx, tenant, rule, id, TransitionInput{Action: ActArchive, Comment: note})
		return err
	})
	if err != nil {
		return Ticket{}, err
	}
	return s.Ticket(ctx, tenant, id)
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// AwaitingVisit lists the tickets resolved (办结) within [from, to) whose
// category asks for a 回访 and that have not had it yet: the 回访
// campaign's list of "closed N days ago".
func (s *Service) AwaitingVisit(ctx context.Context, tenant string, from, to time.Time) ([]Ticket, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT `+ticketCols+` FROM oa_tickets WHERE tenant=? AND state=? AND id IN (
		SELECT ticket_id FROM oa_ticket_events WHERE tenant=? AND action=? AND at>=? AND at<?) ORDER BY id`,
		tenant, StateResolved, tenant, ActResolve, ms(from), ms(to))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Ticket{}
	for rows.Next() {
		t, err := scanTicket(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// ContactCaller opens a contact record's sealed caller number ("" for an
// anonymous caller).
func (s *Service) ContactCaller(ctx context.Context, tenant string, id int64) (string, error) {
	var enc []byte
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT caller_enc FROM oa_contacts WHERE tenant=? AND id=?`, tenant, id).Scan(&enc)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("contact %d: %w", id, errs.ErrNotFound)
	}
	if err != nil || len(enc) == 0 {
		return "", err
	}
	b, err := s.fields.Decrypt(ctx, "oa_contacts", fmt.Sprint(id), "caller", enc)
	return string(b), err
}

// PhoneIndex is the blind index numbers are found by (customers', contact
// records' callers, and whatever else keeps a number sealed): normalise
// the number with NormaliseCaller first.
func (s *Service) PhoneIndex(normalised string) []byte { return s.phoneIndex(normalised) }
