package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/wardenhq/warden/review/store"
)

// Password bounds: long enough to resist guessing, short enough that
// hashing cannot be used to burn CPU.
const (
	MinPasswordLen = 12
	MaxPasswordLen = 256
)

// argon2id parameters (OWASP's recommended minimum: 19 MiB, 2 passes, 1
// lane). They are recorded in each hash, so raising them later keeps old
// hashes verifiable.
const (
	argonMemory  = 19 * 1024
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// ErrWeakPassword means a password is outside the accepted bounds.
var ErrWeakPassword = fmt.Errorf("%w: password must be %d to %d characters", store.ErrInvalid, MinPasswordLen, MaxPasswordLen)

// CheckPassword checks a new password's bounds.
func CheckPassword(pw string) error {
	if !utf8.ValidString(pw) {
		return fmt.Errorf("%w: password is not valid UTF-8", store.ErrInvalid)
	}
	if n := utf8.RuneCountInString(pw); n < MinPasswordLen || len(pw) > MaxPasswordLen {
		return ErrWeakPassword
	}
	return nil
}

// HashPassword hashes a password with argon2id into a PHC string:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash> (unpadded base64).
func HashPassword(pw string) (string, error) {
	if err := CheckPassword(pw); err != nil {
		return "", err
	}
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

var errBadHash = errors.New("malformed password hash")

// VerifyPassword reports whether pw matches a PHC argon2id hash, in
// constant time for a given hash.
func VerifyPassword(hash, pw string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errBadHash
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return false, errBadHash
	}
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m < 1024 || m > 1<<20 || t < 1 || t > 16 || p < 1 {
		return false, errBadHash
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return false, errBadHash
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) < 16 || len(want) > 64 {
		return false, errBadHash
	}
	if len(pw) > MaxPasswordLen {
		return false, nil
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// dummyHash is verified against when the account does not exist, so that
// a login takes as long for an unknown user as for a wrong password.
var dummyHash = sync.OnceValue(func() string {
	h, err := HashPassword("not a password of anyone")
	if err != nil {
		panic(err)
	}
	return h
})

// AddUser creates an account with a password (what `warden users add`
// does); actor is recorded in the audit log.
func AddUser(ctx context.Context, st *store.Store, username string, role store.Role, password, actor string) (store.User, error) {
	if _, err := store.ParseRole(string(role)); err != nil {
		return store.User{}, err
	}
	if _, err := store.NormalizeUsername(username); err != nil {
		return store.User{}, err
	}
	h, err := HashPassword(password)
	if err != nil {
		return store.User{}, err
	}
	return st.CreateUser(ctx, store.User{Username: username, Role: role, PasswordHash: h}, actor)
}

// SetPassword replaces an account's password and ends its sessions.
func SetPassword(ctx context.Context, st *store.Store, username, password, actor string) error {
	h, err := HashPassword(password)
	if err != nil {
		return err
	}
	return st.UpdateUser(ctx, username, store.UserUpdate{PasswordHash: &h}, actor)
}
