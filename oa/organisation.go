package oa

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/yimen/yimen/internal/errs"
)

// Department is a node of a tenant's department tree.
type Department struct {
	ID       int64         `json:"id"`
	ParentID int64         `json:"parent_id,omitempty"`
	Name     string        `json:"name"`
	Children []*Department `json:"children,omitempty"`
}

// CreateDepartment adds a department under parent (0: at the root).
func (s *Service) CreateDepartment(ctx context.Context, tenant string, parent int64, name string) (Department, error) {
	if name = strings.TrimSpace(name); name == "" || len([]rune(name)) > 60 {
		return Department{}, FieldErrors{"name": "required, at most 60 characters"}
	}
	var d Department
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var p any
		if parent != 0 {
			if err := s.exists(ctx, `SELECT COUNT(*) FROM oa_departments WHERE id=? AND tenant=?`, parent, tenant); err != nil {
				return FieldErrors{"parent_id": "no such department"}
			}
			p = parent
		}
		res, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO oa_departments(tenant, parent_id, name, created_at) VALUES (?,?,?,?)`, tenant, p, name, ms(s.now()))
		if err != nil {
			if strings.Contains(err.Error(), "UNIQUE") {
				return fmt.Errorf("department %q exists there: %w", name, errs.ErrConflict)
			}
			return err
		}
		id, err := res.LastInsertId()
		d = Department{ID: id, ParentID: parent, Name: name}
		return err
	})
	return d, err
}

func (s *Service) exists(ctx context.Context, query string, args ...any) error {
	var n int
	if err := s.db.Q(ctx).QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return errs.ErrNotFound
	}
	return nil
}

// Departments returns the tenant's department tree.
func (s *Service) Departments(ctx context.Context, tenant string) ([]*Department, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT id, IFNULL(parent_id,0), name FROM oa_departments WHERE tenant=? ORDER BY id`, tenant)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	byID := map[int64]*Department{}
	var all []*Department
	for rows.Next() {
		d := &Department{}
		if err := rows.Scan(&d.ID, &d.ParentID, &d.Name); err != nil {
			return nil, err
		}
		byID[d.ID] = d
		all = append(all, d)
	}
	roots := []*Department{}
	for _, d := range all {
		if p := byID[d.ParentID]; p != nil {
			p.Children = append(p.Children, d)
		} else {
			roots = append(roots, d)
		}
	}
	return roots, rows.Err()
}

// Staff is the OA's profile of a platform user.
type Staff struct {
	UserID       string `json:"user_id"`
	Name         string `json:"name"`
	DisplayName  string `json:"display_name,omitempty"`
	DepartmentID int64  `json:"department_id,omitempty"`
	Agent        string `json:"agent,omitempty"`
}

// PutStaff sets a user's department, display name and agent id.
func (s *Service) PutStaff(ctx context.Context, tenant string, st Staff) error {
	bad := FieldErrors{}
	if st.UserID == "" {
		bad["user_id"] = "required"
	}
	if st.Name == "" {
		bad["name"] = "required"
	}
	if err := bad.err(); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(ctx context.Context) error {
		var dep any
		if st.DepartmentID != 0 {
			if err := s.exists(ctx, `SELECT COUNT(*) FROM oa_departments WHERE id=? AND tenant=?`, st.DepartmentID, tenant); err != nil {
				return FieldErrors{"department_id": "no such department"}
			}
			dep = st.DepartmentID
		}
		var other string
		err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT tenant FROM oa_staff WHERE user_id=?`, st.UserID).Scan(&other)
		if err == nil && other != tenant {
			return fmt.Errorf("user %s belongs to another tenant: %w", st.UserID, errs.ErrForbidden)
		}
		_, err = s.db.Q(ctx).ExecContext(ctx, `INSERT INTO oa_staff(user_id, tenant, name, display_name, department_id, agent) VALUES (?,?,?,?,?,?)
			ON CONFLICT(user_id) DO UPDATE SET name=excluded.name, display_name=excluded.display_name, department_id=excluded.department_id, agent=excluded.agent`,
			st.UserID, tenant, st.Name, st.DisplayName, dep, st.Agent)
		return err
	})
}

// StaffOf reads a user's profile (zero with only the id when none is set).
func (s *Service) StaffOf(ctx context.Context, tenant, userID string) (Staff, error) {
	st := Staff{UserID: userID}
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT name, display_name, IFNULL(department_id,0), agent FROM oa_staff WHERE user_id=? AND tenant=?`,
		userID, tenant).Scan(&st.Name, &st.DisplayName, &st.DepartmentID, &st.Agent)
	if errors.Is(err, sql.ErrNoRows) {
		return st, nil
	}
	return st, err
}

// StaffList lists a tenant's profiles, of one department when dep is not 0.
func (s *Service) StaffList(ctx context.Context, tenant string, dep int64) ([]Staff, error) {
	q := `SELECT user_id, name, display_name, IFNULL(department_id,0), agent FROM oa_staff WHERE tenant=?`
	args := []any{tenant}
	if dep != 0 {
		q, args = q+` AND department_id=?`, append(args, dep)
	}
	rows, err := s.db.Q(ctx).QueryContext(ctx, q+` ORDER BY name`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Staff{}
	for rows.Next() {
		var st Staff
		if err := rows.Scan(&st.UserID, &st.Name, &st.DisplayName, &st.DepartmentID, &st.Agent); err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, rows.Err()
}

// Workflow is a category's choice of optional steps: 签收 and 回访 can be
// left out, so dispatching goes straight to 办理, or 办结 straight to 归档.
type Workflow struct {
	SkipSign  bool `json:"skip_sign,omitempty"`
	SkipVisit bool `json:"skip_visit,omitempty"`
	// VisitDissatisfied is what a 回访 answered "dissatisfied" does:
	// "reopen" (重办, the default) or "archive".
	VisitDissatisfied string `json:"visit_dissatisfied,omitempty"`
}

// Category is a node of the ticket category tree with its workflow and SLA.
type Category struct {
	ID       int64       `json:"id"`
	ParentID int64       `json:"parent_id,omitempty"`
	Name     string      `json:"name"`
	Workflow Workflow    `json:"workflow"`
	SLA      SLAPolicy   `json:"sla"`
	Children []*Category `json:"children,omitempty"`
}

// PutCategory creates (ID 0) or changes a category.
func (s *Service) PutCategory(ctx context.Context, tenant string, c Category) (Category, error) {
	bad := s.cfgCheck(c)
	if err := bad.err(); err != nil {
		return Category{}, err
	}
	wf, _ := json.Marshal(c.Workflow)
	sla, _ := json.Marshal(c.SLA)
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var parent any
		if c.ParentID != 0 {
			if c.ParentID == c.ID {
				return FieldErrors{"parent_id": "a category cannot be its own parent"}
			}
			if err := s.exists(ctx, `SELECT COUNT(*) FROM oa_categories WHERE id=? AND tenant=?`, c.ParentID, tenant); err != nil {
				return FieldErrors{"parent_id": "no such category"}
			}
			parent = c.ParentID
		}
		q := s.db.Q(ctx)
		if c.ID == 0 {
			res, err := q.ExecContext(ctx, `INSERT INTO oa_categories(tenant, parent_id, name, workflow, sla, created_at) VALUES (?,?,?,?,?,?)`,
				tenant, parent, c.Name, string(wf), string(sla), ms(s.now()))
			if err != nil {
				if strings.Contains(err.Error(), "UNIQUE") {
					return fmt.Errorf("category %q exists there: %w", c.Name, errs.ErrConflict)
				}
				return err
			}
			c.ID, err = res.LastInsertId()
			return err
		}
		res, err := q.ExecContext(ctx, `UPDATE oa_categories SET parent_id=?, name=?, workflow=?, sla=? WHERE id=? AND tenant=?`,
			parent, c.Name, string(wf), string(sla), c.ID, tenant)
		return affected(res, err, "category")
	})
	return c, err
}

func (s *Service) cfgCheck(c Category) FieldErrors {
	bad := c.SLA.Check(s.cfg.Hours)
	if strings.TrimSpace(c.Name) == "" || len([]rune(c.Name)) > 60 {
		bad["name"] = "required, at most 60 characters"
	}
	if v := c.Workflow.VisitDissatisfied; v != "" && v != VisitReopen && v != VisitArchive {
		bad["workflow.visit_dissatisfied"] = "reopen or archive"
	}
	return bad
}

// Category reads one category.
func (s *Service) Category(ctx context.Context, tenant string, id int64) (Category, error) {
	var c Category
	var wf, sla string
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT id, IFNULL(parent_id,0), name, workflow, sla FROM oa_categories WHERE id=? AND tenant=?`, id, tenant).
		Scan(&c.ID, &c.ParentID, &c.Name, &wf, &sla)
	if errors.Is(err, sql.ErrNoRows) {
		return Category{}, fmt.Errorf("category %d: %w", id, errs.ErrNotFound)
	}
	if err != nil {
		return Category{}, err
	}
	_ = json.Unmarshal([]byte(wf), &c.Workflow)
	_ = json.Unmarshal([]byte(sla), &c.SLA)
	return c, nil
}

// Categories returns the tenant's category tree.
func (s *Service) Categories(ctx context.Context, tenant string) ([]*Category, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT id FROM oa_categories WHERE tenant=? ORDER BY id`, tenant)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	byID := map[int64]*Category{}
	var all []*Category
	for _, id := range ids {
		c, err := s.Category(ctx, tenant, id)
		if err != nil {
			return nil, err
		}
		byID[id] = &c
		all = append(all, &c)
	}
	roots := []*Category{}
	for _, c := range all {
		if p := byID[c.ParentID]; p != nil {
			p.Children = append(p.Children, c)
		} else {
			roots = append(roots, c)
		}
	}
	return roots, nil
}

// defaultCategory is the first category of the tenant, created as "留言"
// when there is none (a voicemail's ticket needs one).
func (s *Service) defaultCategory(ctx context.Context, tenant string) (int64, error) {
	var id int64
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT id FROM oa_categories WHERE tenant=? ORDER BY id LIMIT 1`, tenant).Scan(&id)
	if err == nil || !errors.Is(err, sql.ErrNoRows) {
		return id, err
	}
	c, err := s.PutCategory(ctx, tenant, Category{Name: "留言", SLA: SLAPolicy{Sign: "4h", Handle: "2wd", Visit: "1wd"}})
	return c.ID, err
}
