package recorder

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// FieldSealer encrypts personal fields and computes blind indexes;
// *fieldcrypt.Cipher implements it.
type FieldSealer interface {
	Encrypt(ctx context.Context, table, rowID, column string, plaintext []byte) ([]byte, error)
	Decrypt(ctx context.Context, table, rowID, column string, sealed []byte) ([]byte, error)
	BlindIndex(column string, value []byte) []byte
}

// Recording states.
const (
	StateRecording = "recording" // being written
	StateComplete  = "complete"  // finished normally
	StateRecovered = "recovered" // interrupted by a crash, header repaired on restart
	StateFailed    = "failed"    // nothing usable (the file could not be written or read)
)

// Recording is one row of the recordings index.
type Recording struct {
	ID           string // the call's CDR id
	Tenant       string
	CallerMasked string
	Callee       string
	Agent        string
	Queue        string
	Start        time.Time
	Duration     time.Duration
	Size         int64
	SM3          string
	State        string
	Format       Format
	Encrypted    bool
	Path         string // relative to the storage root
	SurveyScore  *int
	Transferred  bool
	Ended        time.Time // zero while recording
}

// Filter selects recordings; Tenant is required.
type Filter struct {
	Tenant         string
	From, To       time.Time // start time range, inclusive from, exclusive to
	Extension      string    // caller, callee or agent
	Caller         string    // full caller number, exact (blind index)
	Agent, Queue   string
	MinDuration    time.Duration
	MaxDuration    time.Duration // 0: no upper bound
	MaxSurveyScore *int
	State          string
	Limit          int // 1..1000; 0 means 100
}

// indexStore holds all of the recorder's SQL.
type indexStore struct {
	db     *store.DB
	sealer FieldSealer
}

const recordingCols = `id, tenant, caller_masked, callee, agent, queue, start_at, duration_ms, size_bytes, sm3, state,
	format, encrypted, path, survey_score, transferred, ended_at`

func scanRecording(sc interface{ Scan(...any) error }) (Recording, error) {
	var r Recording
	var start, dur int64
	var enc, transferred int
	var score, ended sql.NullInt64
	var format string
	err := sc.Scan(&r.ID, &r.Tenant, &r.CallerMasked, &r.Callee, &r.Agent, &r.Queue, &start, &dur, &r.Size, &r.SM3, &r.State,
		&format, &enc, &r.Path, &score, &transferred, &ended)
	if err != nil {
		return r, err
	}
	r.Start, r.Duration, r.Format = time.UnixMilli(start), time.Duration(dur)*time.Millisecond, Format(format)
	r.Encrypted, r.Transferred = enc != 0, transferred != 0
	if score.Valid {
		v := int(score.Int64)
		r.SurveyScore = &v
	}
	if ended.Valid {
		r.Ended = time.UnixMilli(ended.Int64)
	}
	return r, nil
}

func collect(rows *sql.Rows, err error) ([]Recording, error) {
	if err != nil {
		return nil, fmt.Errorf("recorder: query: %w", err)
	}
	defer rows.Close()
	var out []Recording
	for rows.Next() {
		r, err := scanRecording(rows)
		if err != nil {
			return nil, fmt.Errorf("recorder: scan: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("recorder: query: %w", err)
	}
	return out, nil
}

// insert adds the row for a recording about to be written.
func (s *indexStore) insert(ctx context.Context, r Recording, caller string) error {
	enc, err := s.sealer.Encrypt(ctx, "recordings", r.ID, "caller", []byte(caller))
	if err != nil {
		return fmt.Errorf("recorder: seal caller: %w", err)
	}
	_, err = s.db.Q(ctx).ExecContext(ctx, `INSERT INTO recordings(id, tenant, caller_masked, caller_enc, caller_idx, callee, agent, queue,
		start_at, state, format, encrypted, path) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		r.ID, r.Tenant, r.CallerMasked, enc, s.sealer.BlindIndex("number", []byte(caller)), r.Callee, r.Agent, r.Queue,
		r.Start.UnixMilli(), r.State, string(r.Format), r.Encrypted, r.Path)
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE") {
			return fmt.Errorf("recorder: recording %s exists: %w", r.ID, errs.ErrConflict)
		}
		return fmt.Errorf("recorder: insert recording: %w", err)
	}
	return nil
}

// finish records how a recording ended.
func (s *indexStore) finish(ctx context.Context, r Recording) error {
	_, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE recordings SET state=?, duration_ms=?, size_bytes=?, sm3=?, ended_at=? WHERE id=?`,
		r.State, r.Duration.Milliseconds(), r.Size, r.SM3, r.Ended.UnixMilli(), r.ID)
	if err != nil {
		return fmt.Errorf("recorder: finish recording: %w", err)
	}
	return nil
}

func (s *indexStore) get(ctx context.Context, id string) (Recording, error) {
	r, err := scanRecording(s.db.Q(ctx).QueryRowContext(ctx, `SELECT `+recordingCols+` FROM recordings WHERE id=?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("recorder: recording %s: %w", id, errs.ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("recorder: get recording: %w", err)
	}
	return r, nil
}

// owner is the tenant, queue and agent of a recording, for authorizing a
// request by its id before the handler runs.
func (s *indexStore) owner(ctx context.Context, id string) (tenant, queue, agent string, err error) {
	err = s.db.Q(ctx).QueryRowContext(ctx, `SELECT tenant, queue, agent FROM recordings WHERE id = ?`, id).Scan(&tenant, &queue, &agent)
	return tenant, queue, agent, err
}

// taskOwner is a QA task's tenant, its recording's queue and the task's
// agent: what a request scoring the task is authorized against.
func (s *indexStore) taskOwner(ctx context.Context, id string) (tenant, queue, agent string, err error) {
	err = s.db.Q(ctx).QueryRowContext(ctx, `SELECT t.tenant, COALESCE(r.queue, ''), t.agent
		FROM qa_tasks t LEFT JOIN recordings r ON r.id = t.recording_id WHERE t.id = ?`, id).Scan(&tenant, &queue, &agent)
	return tenant, queue, agent, err
}

// The QA tables a request by row id is authorized against (tenantOf).
const (
	tableRules = "qa_rules"
	tableTasks = "qa_tasks"
)

// tenantOf is the tenant of a QA rule's or task's row; table is tableRules
// or tableTasks.
func (s *indexStore) tenantOf(ctx context.Context, table, id string) (string, error) {
	var t string
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT tenant FROM `+table+` WHERE id = ?`, id).Scan(&t)
	return t, err
}

func (s *indexStore) search(ctx context.Context, f Filter) ([]Recording, error) {
	where := []string{"tenant = ?"}
	args := []any{f.Tenant}
	add := func(cond string, a ...any) {
		where = append(where, cond)
		args = append(args, a...)
	}
	if !f.From.IsZero() {
		add("start_at >= ?", f.From.UnixMilli())
	}
	if !f.To.IsZero() {
		add("start_at < ?", f.To.UnixMilli())
	}
	if f.Extension != "" {
		add("(callee = ? OR agent = ? OR caller_idx = ?)", f.Extension, f.Extension, s.sealer.BlindIndex("number", []byte(f.Extension)))
	}
	if f.Caller != "" {
		add("caller_idx = ?", s.sealer.BlindIndex("number", []byte(f.Caller)))
	}
	if f.Agent != "" {
		add("agent = ?", f.Agent)
	}
	if f.Queue != "" {
		add("queue = ?", f.Queue)
	}
	if f.MinDuration > 0 {
		add("duration_ms >= ?", f.MinDuration.Milliseconds())
	}
	if f.MaxDuration > 0 {
		add("duration_ms <= ?", f.MaxDuration.Milliseconds())
	}
	if f.MaxSurveyScore != nil {
		add("survey_score IS NOT NULL AND survey_score <= ?", *f.MaxSurveyScore)
	}
	if f.State != "" {
		add("state = ?", f.State)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	args = append(args, limit)
	return collect(s.db.Q(ctx).QueryContext(ctx, `SELECT `+recordingCols+` FROM recordings WHERE `+strings.Join(where, " AND ")+
		` ORDER BY start_at DESC, id LIMIT ?`, args...))
}

// inState lists recordings in one state, e.g. the ones a crash left open.
func (s *indexStore) inState(ctx context.Context, state string) ([]Recording, error) {
	return collect(s.db.Q(ctx).QueryContext(ctx, `SELECT `+recordingCols+` FROM recordings WHERE state=? ORDER BY id`, state))
}

// exists reports whether a row with this id is in the index.
func (s *indexStore) exists(ctx context.Context, id string) (bool, error) {
	var n int
	if err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM recordings WHERE id=?`, id).Scan(&n); err != nil {
		return false, fmt.Errorf("recorder: %w", err)
	}
	return n > 0, nil
}

func (s *indexStore) delete(ctx context.Context, id string) error {
	res, err := s.db.Q(ctx).ExecContext(ctx, `DELETE FROM recordings WHERE id=?`, id)
	if err != nil {
		return fmt.Errorf("recorder: delete recording: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("recorder: recording %s: %w", id, errs.ErrNotFound)
	}
	return nil
}

// tenants lists the tenants that have recordings.
func (s *indexStore) tenants(ctx context.Context) ([]string, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT DISTINCT tenant FROM recordings ORDER BY tenant`)
	if err != nil {
		return nil, fmt.Errorf("recorder: tenants: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// expired lists a tenant's finished recordings that started before cutoff.
func (s *indexStore) expired(ctx context.Context, tenant string, cutoff time.Time, limit int) ([]Recording, error) {
	return collect(s.db.Q(ctx).QueryContext(ctx, `SELECT `+recordingCols+` FROM recordings
		WHERE tenant=? AND start_at < ? AND state <> ? ORDER BY start_at LIMIT ?`, tenant, cutoff.UnixMilli(), StateRecording, limit))
}

// Annotation sets facts other parts learn after the call: who the agent
// and queue were, the survey score, a transfer. Nil fields are unchanged.
type Annotation struct {
	Agent       *string `json:"agent,omitempty"`
	Queue       *string `json:"queue,omitempty"`
	SurveyScore *int    `json:"survey_score,omitempty"`
	Transferred *bool   `json:"transferred,omitempty"`
}

func (s *indexStore) annotate(ctx context.Context, id string, a Annotation) error {
	var u columnUpdate
	setIf(&u, "agent", a.Agent)
	setIf(&u, "queue", a.Queue)
	setIf(&u, "survey_score", a.SurveyScore)
	setIf(&u, "transferred", a.Transferred)
	sets, args := u.sets, u.args
	if len(sets) == 0 {
		return fmt.Errorf("recorder: nothing to change: %w", errs.ErrInvalid)
	}
	res, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE recordings SET `+strings.Join(sets, ", ")+` WHERE id=?`, append(args, id)...)
	if err != nil {
		return fmt.Errorf("recorder: annotate: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("recorder: recording %s: %w", id, errs.ErrNotFound)
	}
	return nil
}

// dayRecordings lists a tenant's finished recordings that started in [from, to).
func (s *indexStore) dayRecordings(ctx context.Context, tenant string, from, to time.Time) ([]Recording, error) {
	return collect(s.db.Q(ctx).QueryContext(ctx, `SELECT `+recordingCols+` FROM recordings
		WHERE tenant=? AND start_at >= ? AND start_at < ? AND state IN (?, ?) ORDER BY id`,
		tenant, from.UnixMilli(), to.UnixMilli(), StateComplete, StateRecovered))
}

// --- QA ---

func (s *indexStore) insertRule(ctx context.Context, r Rule, now time.Time) (Rule, error) {
	res, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO qa_rules(tenant, name, kind, percent, seed, max_score, min_minutes, enabled, created_at)
		VALUES (?,?,?,?,?,?,?,?,?)`, r.Tenant, r.Name, r.Kind, r.Percent, r.Seed, r.MaxScore, r.MinMinutes, r.Enabled, now.UnixMilli())
	if err != nil {
		return r, fmt.Errorf("recorder: insert rule: %w", err)
	}
	r.ID, err = res.LastInsertId()
	return r, err
}

func (s *indexStore) rules(ctx context.Context, tenant string) ([]Rule, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT id, tenant, name, kind, percent, seed, max_score, min_minutes, enabled
		FROM qa_rules WHERE tenant=? ORDER BY id`, tenant)
	if err != nil {
		return nil, fmt.Errorf("recorder: rules: %w", err)
	}
	defer rows.Close()
	var out []Rule
	for rows.Next() {
		var r Rule
		if err := rows.Scan(&r.ID, &r.Tenant, &r.Name, &r.Kind, &r.Percent, &r.Seed, &r.MaxScore, &r.MinMinutes, &r.Enabled); err != nil {
			return nil, fmt.Errorf("recorder: rules: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s *indexStore) ruleTenants(ctx context.Context) ([]string, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT DISTINCT tenant FROM qa_rules WHERE enabled ORDER BY tenant`)
	if err != nil {
		return nil, fmt.Errorf("recorder: rule tenants: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func (s *indexStore) deleteRule(ctx context.Context, id int64) error {
	res, err := s.db.Q(ctx).ExecContext(ctx, `DELETE FROM qa_rules WHERE id=?`, id)
	if err != nil {
		return fmt.Errorf("recorder: delete rule: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("recorder: rule %d: %w", id, errs.ErrNotFound)
	}
	return nil
}

// insertTask adds a task unless the rule already picked that recording.
func (s *indexStore) insertTask(ctx context.Context, t Task, now time.Time) (bool, error) {
	res, err := s.db.Q(ctx).ExecContext(ctx, `INSERT OR IGNORE INTO qa_tasks(tenant, rule_id, recording_id, agent, day, state, created_at)
		VALUES (?,?,?,?,?,?,?)`, t.Tenant, t.RuleID, t.RecordingID, t.Agent, t.Day, TaskOpen, now.UnixMilli())
	if err != nil {
		return false, fmt.Errorf("recorder: insert task: %w", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

const taskCols = `id, tenant, rule_id, recording_id, agent, day, state, assignee, score, comment, created_at, criteria`

func scanTask(sc interface{ Scan(...any) error }) (Task, error) {
	var t Task
	var score sql.NullFloat64
	var created int64
	var criteria string
	if err := sc.Scan(&t.ID, &t.Tenant, &t.RuleID, &t.RecordingID, &t.Agent, &t.Day, &t.State, &t.Assignee, &score, &t.Comment, &created, &criteria); err != nil {
		return t, err
	}
	if criteria != "" {
		_ = json.Unmarshal([]byte(criteria), &t.Criteria)
	}
	if score.Valid {
		t.Score = &score.Float64
	}
	t.Created = time.UnixMilli(created)
	return t, nil
}

func (s *indexStore) tasks(ctx context.Context, f TaskFilter) ([]Task, error) {
	where := []string{"tenant = ?"}
	args := []any{f.Tenant}
	for _, c := range []struct {
		cond string
		v    string
	}{{"day >= ?", f.FromDay}, {"day <= ?", f.ToDay}, {"state = ?", f.State}, {"assignee = ?", f.Assignee}, {"agent = ?", f.Agent}} {
		if c.v != "" {
			where, args = append(where, c.cond), append(args, c.v)
		}
	}
	if f.Queue != "" {
		where, args = append(where, inQueue), append(args, f.Queue)
	}
	if f.RuleID != 0 {
		where, args = append(where, "rule_id = ?"), append(args, f.RuleID)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT `+taskCols+` FROM qa_tasks WHERE `+strings.Join(where, " AND ")+` ORDER BY id LIMIT ?`,
		append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("recorder: tasks: %w", err)
	}
	defer rows.Close()
	var out []Task
	for rows.Next() {
		t, err := scanTask(rows)
		if err != nil {
			return nil, fmt.Errorf("recorder: tasks: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func (s *indexStore) updateTask(ctx context.Context, id int64, u TaskUpdate) (Task, error) {
	var cu columnUpdate
	setIf(&cu, "assignee", u.Assignee)
	setIf(&cu, "state", u.State)
	setIf(&cu, "score", u.Score)
	setIf(&cu, "comment", u.Comment)
	if u.Criteria != nil {
		b, err := json.Marshal(u.Criteria)
		if err != nil {
			return Task{}, err
		}
		form := string(b)
		setIf(&cu, "criteria", &form)
	}
	sets, args := cu.sets, cu.args
	if len(sets) == 0 {
		return Task{}, fmt.Errorf("recorder: nothing to change: %w", errs.ErrInvalid)
	}
	var t Task
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		res, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE qa_tasks SET `+strings.Join(sets, ", ")+` WHERE id=?`, append(args, id)...)
		if err != nil {
			return fmt.Errorf("recorder: update task: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("recorder: task %d: %w", id, errs.ErrNotFound)
		}
		t, err = scanTask(s.db.Q(ctx).QueryRowContext(ctx, `SELECT `+taskCols+` FROM qa_tasks WHERE id=?`, id))
		return err
	})
	return t, err
}

// inQueue keeps to the QA tasks whose recording went through queue ?.
const inQueue = "recording_id IN (SELECT id FROM recordings WHERE queue = ?)"

func (s *indexStore) scores(ctx context.Context, f ScoreFilter) ([]AgentScore, error) {
	where := []string{"tenant = ?", "day >= ?", "day <= ?"}
	args := []any{f.Tenant, f.FromDay, f.ToDay}
	if f.Agent != "" {
		where, args = append(where, "agent = ?"), append(args, f.Agent)
	}
	if f.Queue != "" {
		where, args = append(where, inQueue), append(args, f.Queue)
	}
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT agent, COUNT(*), COUNT(score), COALESCE(AVG(score), 0) FROM qa_tasks
		WHERE `+strings.Join(where, " AND ")+` GROUP BY agent ORDER BY agent`, args...)
	if err != nil {
		return nil, fmt.Errorf("recorder: scores: %w", err)
	}
	defer rows.Close()
	var out []AgentScore
	for rows.Next() {
		var a AgentScore
		if err := rows.Scan(&a.Agent, &a.Tasks, &a.Scored, &a.Average); err != nil {
			return nil, fmt.Errorf("recorder: scores: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// columnUpdate collects the "col=?" assignments of a partial UPDATE.
type columnUpdate struct {
	sets []string
	args []any
}

// setIf adds col when v is set (nil means "leave unchanged").
func setIf[T any](u *columnUpdate, col string, v *T) {
	if v != nil {
		u.sets = append(u.sets, col+"=?")
		u.args = append(u.args, *v)
	}
}
