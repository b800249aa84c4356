package report

import (
	"context"

	"github.com/yimen/yimen/oa"
)

// Customers is 客户统计: by type or region, the customers added in the
// period and those who called in it; or the period's callers as new,
// returning and unknown.
func (s *Service) Customers(ctx context.Context, tenant string, r Range, by string) (Table, error) {
	if err := r.check(); err != nil {
		return Table{}, err
	}
	from, to := r.ms()
	t := Table{Report: "customers", Title: "客户统计", From: r.From, To: r.To, By: by, Rows: []map[string]any{}, Formulas: map[string]string{
		"added":     "新增客户 = 期间内建档的客户数",
		"callers":   "来电客户 = 期间内有联系记录的客户数（合并后的客户计一次）",
		"new":       "新客户 = 首次联系在期间内的来电客户",
		"returning": "老客户 = 期间前已有联系记录的来电客户",
		"unknown":   "未识别 = 期间内未关联客户的来电数",
	}}
	var q string
	switch by {
	case "", "type":
		t.By = "type"
		t.Columns = []Column{{"key", "客户类型"}, {"added", "新增客户"}, {"callers", "来电客户"}}
		q = `SELECT IFNULL((SELECT name FROM oa_customer_types ct WHERE ct.tenant=c.tenant AND ct.code=c.type), c.type),
			SUM(c.created_at>=?1 AND c.created_at<?2),
			SUM(EXISTS (SELECT 1 FROM oa_contacts k WHERE k.customer_id=c.id AND k.started_at>=?1 AND k.started_at<?2))
			FROM oa_customers c WHERE c.tenant=?3 AND c.merged_into IS NULL GROUP BY 1 ORDER BY 1`
	case "region":
		t.Columns = []Column{{"key", "地区"}, {"added", "新增客户"}, {"callers", "来电客户"}}
		q = `SELECT IFNULL(NULLIF(json_extract(c.fields, '$.region'), ''), '(未填)'),
			SUM(c.created_at>=?1 AND c.created_at<?2),
			SUM(EXISTS (SELECT 1 FROM oa_contacts k WHERE k.customer_id=c.id AND k.started_at>=?1 AND k.started_at<?2))
			FROM oa_customers c WHERE c.tenant=?3 AND c.merged_into IS NULL GROUP BY 1 ORDER BY 1`
	case "new_returning":
		t.Columns = []Column{{"key", "类别"}, {"callers", "来电客户"}}
		q = `SELECT CASE WHEN k.customer_id IS NULL THEN 'unknown'
				WHEN EXISTS (SELECT 1 FROM oa_contacts p WHERE p.customer_id=k.customer_id AND p.started_at<?1) THEN 'returning' ELSE 'new' END,
			CASE WHEN k.customer_id IS NULL THEN COUNT(*) ELSE COUNT(DISTINCT k.customer_id) END, 0
			FROM oa_contacts k WHERE k.started_at>=?1 AND k.started_at<?2 AND k.tenant=?3 GROUP BY 1 ORDER BY 1`
	default:
		return Table{}, oa.FieldErrors{"by": "type, region or new_returning"}
	}
	rows, err := s.db.Q(ctx).QueryContext(ctx, q, from, to, tenant)
	if err != nil {
		return Table{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var a, b int64
		if err := rows.Scan(&k, &a, &b); err != nil {
			return Table{}, err
		}
		if by == "new_returning" {
			t.Rows = append(t.Rows, map[string]any{"key": k, "callers": a})
		} else {
			t.Rows = append(t.Rows, map[string]any{"key": k, "added": a, "callers": b})
		}
	}
	t.Total = len(t.Rows)
	return t, rows.Err()
}
