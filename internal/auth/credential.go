package auth

import (
	"context"
	"strings"
)

// AuthenticateCredential resolves a bearer credential of either kind: an API
// token ("ymt_…") or a session token ("yms_…"). Services outside the admin
// API (the CTI hub) take whichever the client holds. Unknown, expired and
// revoked credentials wrap errs.ErrForbidden; anything else is a failure
// to look them up.
func (s *Service) AuthenticateCredential(ctx context.Context, token string) (*Principal, error) {
	if strings.HasPrefix(token, tokenPrefix) {
		return s.AuthenticateToken(ctx, token)
	}
	return s.Authenticate(ctx, token)
}
