package auth

import (
	"fmt"
	"time"

	"github.com/yimen/yimen/internal/errs"
)

// DefaultIterations is the PBKDF2-HMAC-SM3 cost: about 100 ms per password
// verification on one core of the 2-vCPU reference machine
// (BenchmarkPasswordVerify).
const DefaultIterations = 170_000

// MinIterations is the lowest cost Config accepts. It is far too low for
// production; it exists so tests run quickly.
const MinIterations = 1000

// Config tunes authentication. Zero fields take the defaults in
// DefaultConfig.
type Config struct {
	Iterations     int           // PBKDF2 iterations for new hashes
	MinLength      int           // minimum password length in characters
	HistorySize    int           // how many previous passwords may not be reused
	MaxPasswordAge time.Duration // after this a password must be changed
	MaxFailures    int           // failures within FailureWindow that lock an address, or an account from one address
	// AccountMaxFailures failures within FailureWindow, from any addresses,
	// lock the account for everyone (0: 4 × MaxFailures).
	AccountMaxFailures int
	FailureWindow      time.Duration // window in which failures are counted
	LockoutDuration    time.Duration // how long an account or address stays locked
	IdleTimeout        time.Duration // session expires after this much inactivity
	SessionLifetime    time.Duration // absolute session lifetime, whatever the activity
	ChallengeTTL       time.Duration // how long an SM2 login nonce is valid
	TOTPIssuer         string        // shown by authenticator apps
	CookieName         string        // session cookie
	CSRFHeader         string        // header carrying the CSRF token on unsafe requests
	CookieSecure       bool          // set Secure on the cookie (true behind TLS)
	Now                func() time.Time
}

// DefaultConfig returns the values required by GB/T 22239 level 3 as the
// issue words them.
func DefaultConfig() Config {
	return Config{
		Iterations:      DefaultIterations,
		MinLength:       8,
		HistorySize:     5,
		MaxPasswordAge:  90 * 24 * time.Hour,
		MaxFailures:     5,
		FailureWindow:   15 * time.Minute,
		LockoutDuration: 15 * time.Minute,
		IdleTimeout:     30 * time.Minute,
		SessionLifetime: 12 * time.Hour,
		ChallengeTTL:    2 * time.Minute,
		TOTPIssuer:      "yimen",
		CookieName:      "yimen_session",
		CSRFHeader:      "X-CSRF-Token",
		Now:             time.Now,
	}
}

func (c Config) withDefaults() (Config, error) {
	d := DefaultConfig()
	setInt := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	setDur := func(v *time.Duration, def time.Duration) {
		if *v == 0 {
			*v = def
		}
	}
	setInt(&c.Iterations, d.Iterations)
	setInt(&c.MinLength, d.MinLength)
	setInt(&c.HistorySize, d.HistorySize)
	setInt(&c.MaxFailures, d.MaxFailures)
	setInt(&c.AccountMaxFailures, 4*c.MaxFailures)
	setDur(&c.MaxPasswordAge, d.MaxPasswordAge)
	setDur(&c.FailureWindow, d.FailureWindow)
	setDur(&c.LockoutDuration, d.LockoutDuration)
	setDur(&c.IdleTimeout, d.IdleTimeout)
	setDur(&c.SessionLifetime, d.SessionLifetime)
	setDur(&c.ChallengeTTL, d.ChallengeTTL)
	if c.TOTPIssuer == "" {
		c.TOTPIssuer = d.TOTPIssuer
	}
	if c.CookieName == "" {
		c.CookieName = d.CookieName
	}
	if c.CSRFHeader == "" {
		c.CSRFHeader = d.CSRFHeader
	}
	if c.Now == nil {
		c.Now = d.Now
	}
	switch {
	case c.Iterations < MinIterations:
		return c, fmt.Errorf("auth: iterations %d below %d: %w", c.Iterations, MinIterations, errs.ErrInvalid)
	case c.MinLength < 8:
		return c, fmt.Errorf("auth: min_length %d below 8: %w", c.MinLength, errs.ErrInvalid)
	case c.IdleTimeout > c.SessionLifetime:
		return c, fmt.Errorf("auth: idle timeout longer than session lifetime: %w", errs.ErrInvalid)
	}
	return c, nil
}
