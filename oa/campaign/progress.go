package campaign

import "context"

// Progress is a campaign's monitoring view.
type Progress struct {
	Campaign   int64  `json:"campaign"`
	State      string `json:"state"`
	Total      int    `json:"total"`
	Dialled    int    `json:"dialled"` // calls placed (attempts)
	Reached    int    `json:"reached"` // numbers reached
	Remaining  int    `json:"remaining"`
	Failed     int    `json:"failed"`
	Skipped    int    `json:"skipped"` // the do-not-call list
	InProgress int    `json:"in_progress"`
	// SuccessRate is reached over the numbers finished (0-1).
	SuccessRate float64  `json:"success_rate"`
	ReadyAgents []string `json:"ready_agents"`
	OnCall      []string `json:"on_call"`
	// Blocked says why nothing is dialled now (a holiday, outside calling
	// hours), empty when calls may be placed.
	Blocked string `json:"blocked,omitempty"`
}

// Progress counts a campaign's numbers and attempts now.
func (s *Service) Progress(ctx context.Context, tenant string, id int64) (Progress, error) {
	c, err := s.Get(ctx, tenant, id)
	if err != nil {
		return Progress{}, err
	}
	p := Progress{Campaign: id, State: c.State}
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT state, disposition, COUNT(*) FROM oa_campaign_targets WHERE campaign_id=? GROUP BY state, disposition`, id)
	if err != nil {
		return Progress{}, err
	}
	finished := 0
	for rows.Next() {
		var state, disp string
		var n int
		if err := rows.Scan(&state, &disp, &n); err != nil {
			rows.Close()
			return Progress{}, err
		}
		p.Total += n
		switch state {
		case TargetPending, TargetReserved, TargetDialing:
			p.Remaining += n
		case TargetSkipped:
			p.Skipped += n
		case TargetFailed:
			p.Failed += n
			finished += n
		case TargetDone:
			finished += n
		}
		if disp == DispReached && state != TargetPending && state != TargetDialing {
			p.Reached += n
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Progress{}, err
	}
	if err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM oa_campaign_attempts WHERE campaign_id=? AND call_id<>''`, id).Scan(&p.Dialled); err != nil {
		return Progress{}, err
	}
	if finished > 0 {
		p.SuccessRate = float64(p.Reached) / float64(finished)
	}
	now := s.now()
	p.ReadyAgents, _ = s.readyAgents(tenant, c, now)
	if p.ReadyAgents == nil {
		p.ReadyAgents = []string{}
	}
	p.OnCall = s.agentsOn(tenant, id)
	if p.OnCall == nil {
		p.OnCall = []string{}
	}
	p.InProgress = len(p.OnCall)
	if c.State == StateRunning {
		if ok, why := s.callable(c, now); !ok {
			p.Blocked = why
		}
	}
	return p, nil
}
