// Package keyring seals the sensitive fields of the review store (the
// prompt context, the conversation key) with AES-256-GCM under a rotatable
// set of keys.
//
// Every sealed value names the id of the key that sealed it, so a keyring
// holding the new key and the old ones opens everything while new values
// are sealed with the active key only; a store re-seals old rows in the
// background and the old key can then be dropped.
//
// Keys come from WARDEN_REVIEW_KEY ("id:base64key[,id:base64key...]", the
// first one active) or from a key file under the data directory that is
// generated on first start (mode 0600).
package keyring

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

// KeySize is the size of every key: AES-256.
const KeySize = 32

const version = 1

// ErrUnknownKey is returned by Open for a value sealed with a key the ring
// does not hold.
var ErrUnknownKey = errors.New("sealed with an unknown key")

var idPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// Keyring holds the keys; the active one seals. It is safe for concurrent
// use once built.
type Keyring struct {
	active string
	order  []string // active first
	raw    map[string][]byte
	aeads  map[string]cipher.AEAD
}

// New builds a keyring from raw keys; active must be one of them.
func New(active string, keys map[string][]byte) (*Keyring, error) {
	if _, ok := keys[active]; !ok {
		return nil, fmt.Errorf("active key %q is not in the keyring", active)
	}
	k := &Keyring{active: active, raw: map[string][]byte{}, aeads: map[string]cipher.AEAD{}}
	ids := make([]string, 0, len(keys))
	for id := range keys {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	k.order = append(k.order, active)
	for _, id := range ids {
		if err := k.add(id, keys[id]); err != nil {
			return nil, err
		}
		if id != active {
			k.order = append(k.order, id)
		}
	}
	return k, nil
}

func (k *Keyring) add(id string, key []byte) error {
	if !idPattern.MatchString(id) {
		return fmt.Errorf("key id %q: want 1-64 of [A-Za-z0-9._-]", id)
	}
	if len(key) != KeySize {
		return fmt.Errorf("key %q: %d bytes, want %d", id, len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return fmt.Errorf("key %q: %w", id, err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return fmt.Errorf("key %q: %w", id, err)
	}
	k.raw[id] = slices.Clone(key)
	k.aeads[id] = aead
	return nil
}

// Parse reads a key spec: comma-separated id:key pairs, the key in standard
// or URL-safe base64 (or 64 hex digits); the first pair is the active key.
func Parse(spec string) (*Keyring, error) {
	keys := map[string][]byte{}
	active := ""
	for n, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		id, enc, ok := strings.Cut(part, ":")
		if !ok {
			// Never echo the entry: it may be a key.
			return nil, fmt.Errorf("key entry %d: want id:base64key", n+1)
		}
		key, err := decodeKey(enc)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", id, err)
		}
		if _, dup := keys[id]; dup {
			return nil, fmt.Errorf("key %q given twice", id)
		}
		keys[id] = key
		if active == "" {
			active = id
		}
	}
	if active == "" {
		return nil, errors.New("no key in the key spec")
	}
	return New(active, keys)
}

func decodeKey(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == KeySize {
			return b, nil
		}
	}
	if b, err := hex.DecodeString(s); err == nil && len(b) == KeySize {
		return b, nil
	}
	return nil, fmt.Errorf("not a %d-byte key in base64 or hex", KeySize)
}

// Generate returns a keyring with one fresh random key.
func Generate() (*Keyring, error) {
	id, key, err := newKey()
	if err != nil {
		return nil, err
	}
	return New(id, map[string][]byte{id: key})
}

func newKey() (string, []byte, error) {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return "", nil, fmt.Errorf("generating a key: %w", err)
	}
	var suffix [3]byte
	_, _ = rand.Read(suffix[:])
	return time.Now().UTC().Format("20060102T150405") + "-" + hex.EncodeToString(suffix[:]), key, nil
}

// Rotate returns a keyring whose active key is a new random key and which
// still holds every key of k (to open old values).
func (k *Keyring) Rotate() (*Keyring, error) {
	id, key, err := newKey()
	if err != nil {
		return nil, err
	}
	keys := map[string][]byte{id: key}
	for old, raw := range k.raw {
		keys[old] = raw
	}
	return New(id, keys)
}

// Without returns a keyring without the key id (which must not be active).
func (k *Keyring) Without(id string) (*Keyring, error) {
	if id == k.active {
		return nil, fmt.Errorf("key %q is active; rotate first", id)
	}
	if _, ok := k.raw[id]; !ok {
		return nil, fmt.Errorf("key %q is not in the keyring", id)
	}
	keys := map[string][]byte{}
	for kid, raw := range k.raw {
		if kid != id {
			keys[kid] = raw
		}
	}
	return New(k.active, keys)
}

// Active is the id of the key that seals.
func (k *Keyring) Active() string { return k.active }

// IDs lists the key ids, active first.
func (k *Keyring) IDs() []string { return slices.Clone(k.order) }

// Seal encrypts plain with the active key. aad (for example the row id) is
// authenticated but not stored: Open needs the same aad, so a sealed value
// cannot be moved to another row.
func (k *Keyring) Seal(plain, aad []byte) ([]byte, error) {
	aead := k.aeads[k.active]
	out := make([]byte, 0, 2+len(k.active)+aead.NonceSize()+len(plain)+aead.Overhead())
	out = append(out, version, byte(len(k.active)))
	out = append(out, k.active...)
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("sealing: %w", err)
	}
	out = append(out, nonce...)
	return aead.Seal(out, nonce, plain, aad), nil
}

// KeyID returns the id of the key that sealed b.
func KeyID(b []byte) (string, error) {
	if len(b) < 2 || b[0] != version || len(b) < 2+int(b[1]) {
		return "", errors.New("not a sealed value")
	}
	return string(b[2 : 2+int(b[1])]), nil
}

// Open decrypts a value sealed by Seal with any key of the ring.
func (k *Keyring) Open(b, aad []byte) ([]byte, error) {
	id, err := KeyID(b)
	if err != nil {
		return nil, err
	}
	aead, ok := k.aeads[id]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownKey, id)
	}
	rest := b[2+len(id):]
	if len(rest) < aead.NonceSize()+aead.Overhead() {
		return nil, errors.New("sealed value truncated")
	}
	plain, err := aead.Open(nil, rest[:aead.NonceSize()], rest[aead.NonceSize():], aad)
	if err != nil {
		return nil, fmt.Errorf("opening a value sealed with key %q: %w", id, err)
	}
	return plain, nil
}

// Spec encodes the keyring in the WARDEN_REVIEW_KEY format (active first).
func (k *Keyring) Spec() string {
	parts := make([]string, 0, len(k.order))
	for _, id := range k.order {
		parts = append(parts, id+":"+base64.StdEncoding.EncodeToString(k.raw[id]))
	}
	return strings.Join(parts, ",")
}

type fileFormat struct {
	Active string            `json:"active"`
	Keys   map[string]string `json:"keys"`
}

// Load reads a key file written by Save.
func Load(path string) (*Keyring, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading key file %s: %w", path, err)
	}
	var f fileFormat
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("parsing key file %s: %w", path, err)
	}
	keys := map[string][]byte{}
	for id, enc := range f.Keys {
		key, err := decodeKey(enc)
		if err != nil {
			return nil, fmt.Errorf("key file %s: key %q: %w", path, id, err)
		}
		keys[id] = key
	}
	k, err := New(f.Active, keys)
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	return k, nil
}

// Save writes the keyring to path (mode 0600) atomically.
func (k *Keyring) Save(path string) error {
	f := fileFormat{Active: k.active, Keys: map[string]string{}}
	for id, raw := range k.raw {
		f.Keys[id] = base64.StdEncoding.EncodeToString(raw)
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("creating key directory for %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".keys-*")
	if err != nil {
		return fmt.Errorf("writing key file %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("writing key file %s: %w", path, err)
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("writing key file %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("writing key file %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing key file %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing key file %s: %w", path, err)
	}
	return nil
}

// LoadOrCreate loads the key file at path, generating and saving a new
// keyring there when the file does not exist.
func LoadOrCreate(path string) (k *Keyring, created bool, err error) {
	k, err = Load(path)
	if err == nil {
		return k, false, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, false, err
	}
	k, err = Generate()
	if err != nil {
		return nil, false, err
	}
	if err := k.Save(path); err != nil {
		return nil, false, err
	}
	return k, true, nil
}
