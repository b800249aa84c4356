package knowledge

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/oa"
)

// Base is one knowledge base.
type Base struct {
	ID          int64   `json:"id"`
	Name        string  `json:"name"`
	Description string  `json:"description,omitempty"`
	Departments []int64 `json:"departments"` // empty: the whole tenant reads it
}

// Dir is a node of a base's directory tree.
type Dir struct {
	ID       int64  `json:"id"`
	BaseID   int64  `json:"base_id"`
	ParentID int64  `json:"parent_id,omitempty"`
	Name     string `json:"name"`
	Children []*Dir `json:"children,omitempty"`
}

// PutBase creates a base (b.ID 0) or renames one and sets the departments
// that may read it.
func (s *Service) PutBase(ctx context.Context, tenant string, b Base) (Base, error) {
	b.Name = strings.TrimSpace(b.Name)
	bad := oa.FieldErrors{}
	if b.Name == "" || len([]rune(b.Name)) > 60 {
		bad["name"] = "required, at most 60 characters"
	}
	if len(b.Description) > 2000 {
		bad["description"] = "at most 2000 bytes"
	}
	if err := check(bad); err != nil {
		return Base{}, err
	}
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		q := s.db.Q(ctx)
		for _, d := range b.Departments {
			var n int
			if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM oa_departments WHERE id=? AND tenant=?`, d, tenant).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return oa.FieldErrors{"departments": fmt.Sprintf("no department %d", d)}
			}
		}
		if b.ID == 0 {
			res, err := q.ExecContext(ctx, `INSERT INTO kb_bases(tenant, name, description, created_at) VALUES (?,?,?,?)`, tenant, b.Name, b.Description, ms(s.now()))
			if err != nil {
				if strings.Contains(err.Error(), "UNIQUE") {
					return fmt.Errorf("a base named %q exists: %w", b.Name, errs.ErrConflict)
				}
				return err
			}
			b.ID, err = res.LastInsertId()
			if err != nil {
				return err
			}
		} else {
			res, err := q.ExecContext(ctx, `UPDATE kb_bases SET name=?, description=? WHERE id=? AND tenant=?`, b.Name, b.Description, b.ID, tenant)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return fmt.Errorf("base %d: %w", b.ID, errs.ErrNotFound)
			}
			if _, err := q.ExecContext(ctx, `DELETE FROM kb_base_departments WHERE base_id=?`, b.ID); err != nil {
				return err
			}
		}
		for _, d := range b.Departments {
			if _, err := q.ExecContext(ctx, `INSERT OR IGNORE INTO kb_base_departments(base_id, department_id) VALUES (?,?)`, b.ID, d); err != nil {
				return err
			}
		}
		return nil
	})
	if b.Departments == nil {
		b.Departments = []int64{}
	}
	return b, err
}

// visibleBases is the SQL for the ids of the bases a viewer reads: open
// ones, and those granted to the viewer's department or one above it.
// Its arguments are visibleArgs.
const visibleBases = `SELECT b.id FROM kb_bases b WHERE b.tenant=? AND (?
	OR NOT EXISTS (SELECT 1 FROM kb_base_departments g WHERE g.base_id=b.id)
	OR EXISTS (SELECT 1 FROM kb_base_departments g WHERE g.base_id=b.id AND g.department_id IN (
		WITH RECURSIVE up(id) AS (SELECT ? UNION SELECT d.parent_id FROM oa_departments d JOIN up ON d.id=up.id WHERE d.parent_id IS NOT NULL)
		SELECT id FROM up)))`

func visibleArgs(tenant string, v Viewer) []any { return []any{tenant, v.All, v.Department} }

// Bases lists the bases v reads.
func (s *Service) Bases(ctx context.Context, tenant string, v Viewer) ([]Base, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT id, name, description FROM kb_bases WHERE id IN (`+visibleBases+`) ORDER BY name`, visibleArgs(tenant, v)...)
	if err != nil {
		return nil, err
	}
	out := []Base{}
	for rows.Next() {
		var b Base
		if err := rows.Scan(&b.ID, &b.Name, &b.Description); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, b)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Departments, err = s.baseDepartments(ctx, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Service) baseDepartments(ctx context.Context, base int64) ([]int64, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT department_id FROM kb_base_departments WHERE base_id=? ORDER BY department_id`, base)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []int64{}
	for rows.Next() {
		var d int64
		if err := rows.Scan(&d); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// canRead answers ErrNotFound (not ErrForbidden: a base's existence is
// not shown) unless v reads base.
func (s *Service) canRead(ctx context.Context, tenant string, v Viewer, base int64) error {
	var n int
	args := append([]any{base}, visibleArgs(tenant, v)...)
	if err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM kb_bases WHERE id=? AND id IN (`+visibleBases+`)`, args...).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("base %d: %w", base, errs.ErrNotFound)
	}
	return nil
}

// CreateDir adds a directory under parent (0: the base's root).
func (s *Service) CreateDir(ctx context.Context, tenant string, base, parent int64, name string) (Dir, error) {
	name = strings.TrimSpace(name)
	if name == "" || len([]rune(name)) > 60 || strings.ContainsAny(name, "/\\") {
		return Dir{}, oa.FieldErrors{"name": "required, at most 60 characters, no slash"}
	}
	d := Dir{BaseID: base, ParentID: parent, Name: name}
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		q := s.db.Q(ctx)
		var n int
		if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM kb_bases WHERE id=? AND tenant=?`, base, tenant).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("base %d: %w", base, errs.ErrNotFound)
		}
		var p any
		if parent != 0 {
			if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM kb_dirs WHERE id=? AND base_id=?`, parent, base).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return oa.FieldErrors{"parent_id": "no such directory in this base"}
			}
			p = parent
		}
		res, err := q.ExecContext(ctx, `INSERT INTO kb_dirs(tenant, base_id, parent_id, name, created_at) VALUES (?,?,?,?,?)`, tenant, base, p, name, ms(s.now()))
		if err != nil {
			if strings.Contains(err.Error(), "UNIQUE") {
				return fmt.Errorf("directory %q exists there: %w", name, errs.ErrConflict)
			}
			return err
		}
		d.ID, err = res.LastInsertId()
		return err
	})
	return d, err
}

// Tree returns a base's directory tree, if v reads the base.
func (s *Service) Tree(ctx context.Context, tenant string, v Viewer, base int64) ([]*Dir, error) {
	if err := s.canRead(ctx, tenant, v, base); err != nil {
		return nil, err
	}
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT id, IFNULL(parent_id,0), name FROM kb_dirs WHERE base_id=? ORDER BY name`, base)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	byID := map[int64]*Dir{}
	var order []*Dir
	for rows.Next() {
		d := &Dir{BaseID: base}
		if err := rows.Scan(&d.ID, &d.ParentID, &d.Name); err != nil {
			return nil, err
		}
		byID[d.ID] = d
		order = append(order, d)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	roots := []*Dir{}
	for _, d := range order {
		if p, ok := byID[d.ParentID]; ok {
			p.Children = append(p.Children, d)
		} else {
			roots = append(roots, d)
		}
	}
	return roots, nil
}

// dirInBase checks that dir (0: none) is in base.
func (s *Service) dirInBase(ctx context.Context, base, dir int64) error {
	if dir == 0 {
		return nil
	}
	var n int
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM kb_dirs WHERE id=? AND base_id=?`, dir, base).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && n == 0) {
		return oa.FieldErrors{"dir_id": "no such directory in this base"}
	}
	return err
}
