package auth

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/yimen/yimen/internal/audit"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/gm"
)

// User is a login account without its secrets.
type User struct {
	ID                string
	Tenant            string
	Name              string
	MustChange        bool
	Disabled          bool
	TOTP              bool // a second factor is active
	HasSM2Key         bool
	PasswordChangedAt time.Time
	CreatedAt         time.Time
}

// NewUser describes an account to create.
type NewUser struct {
	Tenant     string
	Name       string
	Password   string
	MustChange bool // an administrator set the password: change it at first login
}

func validLoginName(tenant, name string) error {
	if tenant == "" || name == "" || len(name) > 64 || len(tenant) > 64 || strings.ContainsAny(name, "/\x00") {
		return fmt.Errorf("auth: tenant and name must be 1-64 characters, name without '/': %w", errs.ErrInvalid)
	}
	return nil
}

// CreateUser adds an account after checking the password rules.
func (s *Service) CreateUser(ctx context.Context, nu NewUser) (User, error) {
	if err := validLoginName(nu.Tenant, nu.Name); err != nil {
		return User{}, err
	}
	if err := CheckPassword(nu.Name, nu.Password, s.cfg.MinLength); err != nil {
		return User{}, err
	}
	now := s.now()
	u := &userRow{User: User{
		ID: "u" + hex.EncodeToString(gm.RandomBytes(8)), Tenant: nu.Tenant, Name: nu.Name,
		MustChange: nu.MustChange, PasswordChangedAt: now, CreatedAt: now,
	}, hash: HashPassword(nu.Password, s.cfg.Iterations)}
	err := s.st.db.InTx(ctx, func(ctx context.Context) error {
		if err := s.st.insertUser(ctx, u); err != nil {
			return err
		}
		return s.st.pushHistory(ctx, u.ID, u.hash, millis(now), s.cfg.HistorySize)
	})
	if err != nil {
		return User{}, err
	}
	s.record(ctx, audit.Entry{Tenant: u.Tenant, Actor: actorFrom(ctx), Action: "auth.user.create", Target: u.ID, Outcome: audit.OutcomeOK})
	return u.User, nil
}

// GetUser returns the account with id.
func (s *Service) GetUser(ctx context.Context, id string) (User, error) {
	u, err := s.st.userByID(ctx, id)
	if err != nil {
		return User{}, err
	}
	return u.User, nil
}

// FindUser returns the account called name in tenant (case-insensitive).
func (s *Service) FindUser(ctx context.Context, tenant, name string) (User, error) {
	u, err := s.st.userByName(ctx, tenant, name)
	if err != nil {
		return User{}, err
	}
	return u.User, nil
}

// ChangePassword lets a user replace their password, proving the old one.
// Every other session of the user ends; the caller's session (keepToken) stays.
func (s *Service) ChangePassword(ctx context.Context, id, oldPassword, newPassword, keepToken string) error {
	u, err := s.st.userByID(ctx, id)
	if err != nil {
		return err
	}
	if !VerifyPassword(u.hash, oldPassword) {
		s.record(ctx, audit.Entry{Tenant: u.Tenant, Actor: u.ID, Action: "auth.password.change", Target: u.ID, Outcome: audit.OutcomeDenied, Detail: "old password wrong"})
		return fmt.Errorf("auth: current password is wrong: %w", errs.ErrForbidden)
	}
	if oldPassword == newPassword {
		return &PasswordError{Rule: RuleSameAsOld}
	}
	if err := s.replacePassword(ctx, u, newPassword, false, keepToken); err != nil {
		return err
	}
	s.record(ctx, audit.Entry{Tenant: u.Tenant, Actor: u.ID, Action: "auth.password.change", Target: u.ID, Outcome: audit.OutcomeOK})
	return nil
}

// SetPassword is an administrator's reset: rules and history apply, the user
// must change it at next login, and all the user's sessions end.
func (s *Service) SetPassword(ctx context.Context, id, newPassword string) error {
	u, err := s.st.userByID(ctx, id)
	if err != nil {
		return err
	}
	if err := s.replacePassword(ctx, u, newPassword, true, ""); err != nil {
		return err
	}
	s.record(ctx, audit.Entry{Tenant: u.Tenant, Actor: actorFrom(ctx), Action: "auth.password.reset", Target: u.ID, Outcome: audit.OutcomeOK})
	return nil
}

func (s *Service) replacePassword(ctx context.Context, u *userRow, pw string, mustChange bool, keepToken string) error {
	if err := CheckPassword(u.Name, pw, s.cfg.MinLength); err != nil {
		return err
	}
	hist, err := s.st.passwordHistory(ctx, u.ID, s.cfg.HistorySize)
	if err != nil {
		return err
	}
	if err := checkHistory(pw, append(hist, u.hash)); err != nil {
		return err
	}
	hash := HashPassword(pw, s.cfg.Iterations)
	now := millis(s.now())
	return s.st.db.InTx(ctx, func(ctx context.Context) error {
		if err := s.st.setPassword(ctx, u.ID, hash, now, mustChange); err != nil {
			return err
		}
		if err := s.st.pushHistory(ctx, u.ID, hash, now, s.cfg.HistorySize); err != nil {
			return err
		}
		var keep []byte
		if keepToken != "" {
			keep = tokenHash(keepToken)
		}
		return s.st.deleteUserSessions(ctx, u.ID, keep)
	})
}

// SetDisabled disables or re-enables an account; disabling ends its sessions.
func (s *Service) SetDisabled(ctx context.Context, id string, disabled bool) error {
	err := s.st.db.InTx(ctx, func(ctx context.Context) error {
		if err := s.st.setDisabled(ctx, id, disabled); err != nil {
			return err
		}
		if disabled {
			return s.st.deleteUserSessions(ctx, id, nil)
		}
		return nil
	})
	if err != nil {
		return err
	}
	action := "auth.user.enable"
	if disabled {
		action = "auth.user.disable"
	}
	s.record(ctx, audit.Entry{Actor: actorFrom(ctx), Action: action, Target: id, Outcome: audit.OutcomeOK})
	return nil
}

// RegisterSM2Key stores the user's SM2 public key for challenge-response
// login. The key is a factor, so setting it takes the current password and,
// while TOTP is active, its code (Proof).
func (s *Service) RegisterSM2Key(ctx context.Context, id string, pub *gm.PublicKey, proof Proof) error {
	if pub == nil {
		return fmt.Errorf("auth: nil SM2 key: %w", errs.ErrInvalid)
	}
	u, err := s.st.userByID(ctx, id)
	if err != nil {
		return err
	}
	if err := s.reauthenticate(ctx, u, "auth.sm2key.register", proof); err != nil {
		return err
	}
	if err := s.st.setSM2Key(ctx, id, gm.MarshalPublicKey(pub)); err != nil {
		return err
	}
	s.record(ctx, audit.Entry{Tenant: u.Tenant, Actor: actorFrom(ctx), Action: "auth.sm2key.register", Target: id, Outcome: audit.OutcomeOK})
	return nil
}

// actorFrom names the authenticated caller in ctx for audit, or "system".
func actorFrom(ctx context.Context) string {
	if p, ok := PrincipalFrom(ctx); ok {
		return p.UserID
	}
	return "system"
}
