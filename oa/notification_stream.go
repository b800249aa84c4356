package oa

import (
	"context"
	"sync"
)

// bells wake a user's notification streams (the OA page's server-sent
// events) when a notification is written for them. A wake-up carries no
// data: the stream reads what is new from the table, so a notification of
// a transaction that rolled back is never shown, and one of a wake-up that
// was missed (a full channel) is read with the next.
type bells struct {
	mu   sync.Mutex
	subs map[string]map[chan struct{}]struct{} // tenant/user
}

// SubscribeNotifications returns a channel woken whenever a notification
// is written for user, and the function that ends the subscription.
func (s *Service) SubscribeNotifications(tenant, user string) (<-chan struct{}, func()) {
	k := tenant + "/" + user
	ch := make(chan struct{}, 1)
	b := &s.bells
	b.mu.Lock()
	if b.subs == nil {
		b.subs = map[string]map[chan struct{}]struct{}{}
	}
	if b.subs[k] == nil {
		b.subs[k] = map[chan struct{}]struct{}{}
	}
	b.subs[k][ch] = struct{}{}
	b.mu.Unlock()
	return ch, func() {
		b.mu.Lock()
		delete(b.subs[k], ch)
		if len(b.subs[k]) == 0 {
			delete(b.subs, k)
		}
		b.mu.Unlock()
	}
}

// ring wakes user's streams; it never blocks.
func (s *Service) ring(tenant, user string) {
	b := &s.bells
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs[tenant+"/"+user] {
		select {
		case ch <- struct{}{}:
		default: // a wake-up is pending already
		}
	}
}

// NotificationsAfter lists user's notifications with an id above after,
// oldest first, at most limit (a stream catching up).
func (s *Service) NotificationsAfter(ctx context.Context, tenant, user string, after int64, limit int) ([]Notification, error) {
	return s.queryNotifications(ctx, `WHERE tenant=? AND user_id=? AND id>? ORDER BY id LIMIT ?`, tenant, user, after, limit)
}

// LatestNotification is the id of user's newest notification (0: none).
func (s *Service) LatestNotification(ctx context.Context, tenant, user string) (int64, error) {
	var id int64
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT IFNULL(MAX(id),0) FROM oa_notifications WHERE tenant=? AND user_id=?`, tenant, user).Scan(&id)
	return id, err
}
