package redact

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Store keeps vault entries for a while. Keys are opaque strings; values
// are sealed by the TokenVault before they reach the store, so a shared store
// (Redis, a database) never holds a raw value. Implementations must be
// safe for concurrent use.
type Store interface {
	// Put stores value under key until ttl has passed.
	Put(ctx context.Context, key string, value []byte, ttl time.Duration) error
	// Get returns the value, or ok=false when it is missing or expired.
	Get(ctx context.Context, key string) (value []byte, ok bool, err error)
}

// ErrVault marks a vault failure (sealing, storage). Its messages never
// contain the value being stored.
var ErrVault = errors.New("vault")

// VaultOptions configure a TokenVault.
type VaultOptions struct {
	// Key derives the token ids and the sealing key (at least 16 bytes).
	Key []byte
	// TTL is how long a token can be restored (default 1 hour); using a
	// value again refreshes it.
	TTL time.Duration
	// Store holds the entries (default: NewMemStore(100000)).
	Store Store
}

// TokenVault issues reversible tokens for values ("<EMAIL_3f2a9c1b0d>") and
// restores them later. The same tenant, type and value always get the
// same token (so a conversation sees one token per address); tenants never
// share tokens. A TokenVault is safe for concurrent use.
type TokenVault struct {
	idKey []byte
	aead  cipher.AEAD
	ttl   time.Duration
	store Store
}

// tokenHex is the length of a token id (40 bits).
const tokenHex = 10

// MaxTokenLen is the longest vault token in bytes: "<", a type of up to 48
// characters, "_", the id, ">".
const MaxTokenLen = 1 + 48 + 1 + tokenHex + 1

// tokenRe matches vault tokens (hash pseudonyms have 6 hex digits and are
// not tokens).
var tokenRe = regexp.MustCompile(`<[A-Z0-9][A-Z0-9_]{0,47}_[0-9a-f]{10}>`)

// NewTokenVault builds a TokenVault.
func NewTokenVault(o VaultOptions) (*TokenVault, error) {
	if len(o.Key) < 16 {
		return nil, fmt.Errorf("%w: key of %d bytes, want at least 16", ErrVault, len(o.Key))
	}
	if o.TTL <= 0 {
		o.TTL = time.Hour
	}
	if o.Store == nil {
		o.Store = NewMemStore(100000)
	}
	derive := func(label string) []byte {
		m := hmac.New(sha256.New, o.Key)
		m.Write([]byte(label))
		return m.Sum(nil)
	}
	block, err := aes.NewCipher(derive("warden vault seal"))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrVault, err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrVault, err)
	}
	return &TokenVault{idKey: derive("warden vault id"), aead: aead, ttl: o.TTL, store: o.Store}, nil
}

func validType(typ string) bool {
	if typ == "" || len(typ) > 48 {
		return false
	}
	for i := 0; i < len(typ); i++ {
		c := typ[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' && i > 0) {
			return false
		}
	}
	return true
}

func storeKey(tenant, token string) string { return tenant + "\x00" + token }

// Token stores value and returns its token. It implements Vaulter.
func (v *TokenVault) Token(tenant, typ, value string) (string, error) {
	if !validType(typ) {
		typ = "VALUE"
	}
	m := hmac.New(sha256.New, v.idKey)
	fmt.Fprintf(m, "%s\x00%s\x00%s", tenant, typ, value)
	tok := "<" + typ + "_" + hex.EncodeToString(m.Sum(nil))[:tokenHex] + ">"
	nonce := make([]byte, v.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("%w: nonce: %w", ErrVault, err)
	}
	// The tenant and token are bound into the seal: an entry cannot be
	// replayed under another key.
	sealed := v.aead.Seal(nonce, nonce, []byte(value), []byte(storeKey(tenant, tok)))
	if err := v.store.Put(context.Background(), storeKey(tenant, tok), sealed, v.ttl); err != nil {
		return "", fmt.Errorf("%w: storing %s token for tenant %q: %w", ErrVault, typ, tenant, err)
	}
	return tok, nil
}

// lookup returns the raw value of a token, or ok=false.
func (v *TokenVault) lookup(tenant, tok string) (string, bool) {
	k := storeKey(tenant, tok)
	sealed, ok, err := v.store.Get(context.Background(), k)
	if err != nil || !ok || len(sealed) < v.aead.NonceSize() {
		return "", false
	}
	n := v.aead.NonceSize()
	plain, err := v.aead.Open(nil, sealed[:n], sealed[n:], []byte(k))
	if err != nil {
		return "", false
	}
	return string(plain), true
}

// Restore replaces the tenant's tokens in text with their values. Tokens
// that are unknown, expired or another tenant's stay as they are.
func (v *TokenVault) Restore(tenant, text string) string {
	if !strings.Contains(text, "<") {
		return text
	}
	return tokenRe.ReplaceAllStringFunc(text, func(tok string) string {
		if val, ok := v.lookup(tenant, tok); ok {
			return val
		}
		return tok
	})
}

// MemStore is an in-memory Store bounded in entries: when full, the
// entries that expire first are dropped (their tokens are then simply not
// restored). It is the embedded default; replicas do not share it.
type MemStore struct {
	mu      sync.Mutex
	max     int
	entries map[string]memEntry
	order   []memOrder // by insertion; expiries only grow with time
	now     func() time.Time
}

type memEntry struct {
	value   []byte
	expires time.Time
}

type memOrder struct {
	key     string
	expires time.Time
}

// NewMemStore returns a store holding at most max entries.
func NewMemStore(max int) *MemStore {
	return &MemStore{max: max, entries: map[string]memEntry{}, now: time.Now}
}

// Put implements Store.
func (s *MemStore) Put(_ context.Context, key string, value []byte, ttl time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	exp := now.Add(ttl)
	s.entries[key] = memEntry{value: value, expires: exp}
	s.order = append(s.order, memOrder{key, exp})
	// Drop expired entries from the front, then the oldest while full.
	for len(s.order) > 0 {
		o := s.order[0]
		e, ok := s.entries[o.key]
		switch {
		case !ok || !e.expires.Equal(o.expires):
			// superseded by a later Put (or already dropped)
		case !e.expires.After(now) || len(s.entries) > s.max:
			delete(s.entries, o.key)
		default:
			return nil
		}
		s.order = s.order[1:]
	}
	return nil
}

// Get implements Store.
func (s *MemStore) Get(_ context.Context, key string) ([]byte, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[key]
	if !ok || !e.expires.After(s.now()) {
		return nil, false, nil
	}
	return e.value, true, nil
}

// Len reports the entries held (expired ones included until dropped).
func (s *MemStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.entries)
}
