package streams

import (
	"log/slog"
	"net/http"

	"github.com/wardenhq/warden/internal/check"
)

// Deps are what the streams routes need from the rest of Warden.
type Deps struct {
	// Config is the streams configuration (FromEnv).
	Config Config
	// Service returns the check service, or nil while models and policy
	// load (the routes then answer 503 not_ready).
	Service func() *check.Service
	// NewRestorer returns the vault-token restorer of one answer for a
	// tenant (optional; for example
	// func(t string) streams.TokenRestorer { return vault.NewRestorer(t) }).
	// A nil result restores nothing.
	NewRestorer func(tenant string) TokenRestorer
	Logger      *slog.Logger
	// Client is the HTTP client for upstream calls (optional; a tuned
	// default otherwise).
	Client *http.Client
}
