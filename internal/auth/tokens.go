package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"oversight/internal/registry"
)

// A token reads ovs_<public ID>_<secret>: the public ID is 8 lowercase hex
// digits (4 random bytes) and the secret 32 random bytes in unpadded
// base64url (43 characters). Its prefix, ovs_<public ID>, finds its row and
// is safe to show; the secret is only ever stored as part of the SHA-256 of
// the whole token.
const (
	tokenMarker   = "ovs_"
	publicIDBytes = 4
	secretBytes   = 32
	prefixLength  = len(tokenMarker) + 2*publicIDBytes // 12
	secretLength  = (secretBytes*8 + 5) / 6            // 43
	tokenLength   = prefixLength + 1 + secretLength    // 56
)

// TokenInfo describes a token without its secret.
type TokenInfo struct {
	ID         uuid.UUID
	UserID     uuid.UUID
	Prefix     string // ovs_ and 8 hex digits: what the token starts with
	CreatedAt  time.Time
	ExpiresAt  *time.Time // nil: never expires
	RevokedAt  *time.Time
	LastUsedAt *time.Time // recorded to within a minute
}

// Active reports whether the token is neither revoked nor expired at now.
func (t TokenInfo) Active(now time.Time) bool {
	return t.RevokedAt == nil && (t.ExpiresAt == nil || now.Before(*t.ExpiresAt))
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// isPrefix reports whether s is a token prefix: ovs_ and 8 lowercase hex digits.
func isPrefix(s string) bool {
	return len(s) == prefixLength && s[:len(tokenMarker)] == tokenMarker && isLowerHex(s[len(tokenMarker):])
}

// parseToken returns the prefix of a well-formed token.
func parseToken(token string) (prefix string, ok bool) {
	if len(token) != tokenLength || !isPrefix(token[:prefixLength]) || token[prefixLength] != '_' {
		return "", false
	}
	secret := token[prefixLength+1:]
	b, err := base64.RawURLEncoding.Strict().DecodeString(secret)
	if err != nil || len(b) != secretBytes {
		return "", false
	}
	return token[:prefixLength], true
}

func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

func newToken() (token, prefix string) {
	var pub [publicIDBytes]byte
	var secret [secretBytes]byte
	// crypto/rand.Read never fails (it panics instead, on broken systems).
	_, _ = rand.Read(pub[:])
	_, _ = rand.Read(secret[:])
	prefix = tokenMarker + hex.EncodeToString(pub[:])
	return prefix + "_" + base64.RawURLEncoding.EncodeToString(secret[:]), prefix
}

// CreateToken issues an API token for the user with email and returns it
// with its description; the token itself is not kept and cannot be shown
// again. expiresIn is how long it lasts, 0 for ever. Errors:
// ErrUnknownUser (NOT_FOUND), ErrUserDisabled (INVALID), INVALID for a
// negative expiresIn. Audited as token.create (prefix and expiry). Operators
// (the CLI) and admins only.
func (s *Store) CreateToken(ctx context.Context, email string, expiresIn time.Duration) (string, TokenInfo, error) {
	if expiresIn < 0 {
		return "", TokenInfo{}, invalid("a token's lifetime cannot be negative")
	}
	u, err := s.UserByEmail(ctx, email)
	if err != nil {
		return "", TokenInfo{}, fmt.Errorf("create token: %w", err)
	}
	if u.DisabledAt != nil {
		return "", TokenInfo{}, fmt.Errorf("create token: %w", ErrUserDisabled)
	}
	var expires any // NULL: never
	if expiresIn > 0 {
		expires = expiresIn.Microseconds()
		if expiresIn.Microseconds() == 0 {
			expires = int64(1)
		}
	}
	// 32 bits of public ID can collide; try again with a new one.
	for attempt := 0; ; attempt++ {
		token, prefix := newToken()
		info := TokenInfo{ID: uuid.New(), UserID: u.ID, Prefix: prefix}
		err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
			// The expiry is computed from the database's clock, like created_at,
			// so expires_at > created_at holds however short the lifetime.
			if err := tx.QueryRow(ctx, `INSERT INTO tokens (id, user_id, prefix, secret_hash, expires_at)
				VALUES ($1, $2, $3, $4, now() + $5::bigint * interval '1 microsecond')
				RETURNING created_at, expires_at`,
				info.ID, u.ID, prefix, hashToken(token), expires).Scan(&info.CreatedAt, &info.ExpiresAt); err != nil {
				return err
			}
			var exp any
			if info.ExpiresAt != nil {
				exp = info.ExpiresAt.UTC().Format(time.RFC3339Nano)
			}
			return audit(ctx, tx, "token.create", "token", info.ID, map[string]any{"prefix": prefix, "expires_at": exp})
		})
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == pgerrcode.UniqueViolation && pgErr.ConstraintName == "tokens_prefix_key" && attempt < 3 {
			continue
		}
		if err != nil {
			return "", TokenInfo{}, fmt.Errorf("create token: %w", err)
		}
		return token, info, nil
	}
}

// RevokeToken revokes a token, named by the token itself or by its prefix
// (ovs_ and 8 hex digits). Revoking a revoked token changes nothing. Errors:
// INVALID for something that is neither, ErrUnknownToken (NOT_FOUND).
// Audited as token.revoke. Operators (the CLI) and admins only.
func (s *Store) RevokeToken(ctx context.Context, tokenOrPrefix string) error {
	prefix := tokenOrPrefix
	if !isPrefix(prefix) {
		var ok bool
		if prefix, ok = parseToken(tokenOrPrefix); !ok {
			// Never echo what was given: it may be a mistyped secret.
			return invalid("revoke token: give a token or its prefix (ovs_ and 8 lowercase hex digits)")
		}
	}
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		var id uuid.UUID
		var revoked *time.Time
		err := tx.QueryRow(ctx, `SELECT id, revoked_at FROM tokens WHERE prefix = $1 FOR UPDATE`, prefix).Scan(&id, &revoked)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrUnknownToken
		}
		if err != nil || revoked != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE tokens SET revoked_at = now() WHERE id = $1`, id); err != nil {
			return err
		}
		return audit(ctx, tx, "token.revoke", "token", id, map[string]any{"prefix": prefix})
	})
	if err != nil {
		return fmt.Errorf("revoke token %s: %w", prefix, err)
	}
	return nil
}

// RevokeTokensOf revokes every live token of the user with email and returns
// how many it revoked. Errors: ErrUnknownUser (NOT_FOUND). Each token is
// audited as token.revoke. Operators (the CLI) and admins only.
func (s *Store) RevokeTokensOf(ctx context.Context, email string) (int, error) {
	u, err := s.UserByEmail(ctx, email)
	if err != nil {
		return 0, fmt.Errorf("revoke tokens: %w", err)
	}
	n := 0
	err = pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		n = 0
		rows, err := tx.Query(ctx, `UPDATE tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL RETURNING id, prefix`, u.ID)
		if err != nil {
			return err
		}
		type revoked struct {
			id     uuid.UUID
			prefix string
		}
		var done []revoked
		for rows.Next() {
			var r revoked
			if err := rows.Scan(&r.id, &r.prefix); err != nil {
				rows.Close()
				return err
			}
			done = append(done, r)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		for _, r := range done {
			if err := audit(ctx, tx, "token.revoke", "token", r.id, map[string]any{"prefix": r.prefix, "all_of_user": true}); err != nil {
				return err
			}
		}
		n = len(done)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("revoke tokens of user %s: %w", u.ID, err)
	}
	return n, nil
}

// ListTokens describes every token of the user with email, revoked and
// expired ones included, oldest first; never their secrets. Errors:
// ErrUnknownUser (NOT_FOUND). Operators (the CLI) and admins only.
func (s *Store) ListTokens(ctx context.Context, email string) ([]TokenInfo, error) {
	u, err := s.UserByEmail(ctx, email)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	rows, err := s.db.Query(ctx, `SELECT id, user_id, prefix, created_at, expires_at, revoked_at, last_used_at
		FROM tokens WHERE user_id = $1 ORDER BY created_at, prefix`, u.ID)
	if err != nil {
		return nil, fmt.Errorf("list tokens of user %s: %w", u.ID, err)
	}
	defer rows.Close()
	var tokens []TokenInfo
	for rows.Next() {
		var t TokenInfo
		if err := rows.Scan(&t.ID, &t.UserID, &t.Prefix, &t.CreatedAt, &t.ExpiresAt, &t.RevokedAt, &t.LastUsedAt); err != nil {
			return nil, fmt.Errorf("list tokens of user %s: %w", u.ID, err)
		}
		tokens = append(tokens, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tokens of user %s: %w", u.ID, err)
	}
	return tokens, nil
}

// zeroHash stands in for the stored hash when no token has the prefix, so an
// unknown prefix costs the same comparison as a known one.
var zeroHash = make([]byte, sha256.Size)

// Authenticate returns the viewer a token acts for. A token that is
// malformed, unknown, revoked or expired, or whose user is disabled, gets
// ErrUnauthenticated and nothing more; other errors are the database's.
// It records when the token was last used, at most once a minute, so that
// most requests only read.
func (s *Store) Authenticate(ctx context.Context, token string) (registry.Viewer, error) {
	prefix, ok := parseToken(token)
	if !ok {
		return registry.Anonymous, ErrUnauthenticated
	}
	var (
		tokenID, userID uuid.UUID
		stored          []byte
		role            string
		usable, stale   bool
	)
	err := s.db.QueryRow(ctx, `SELECT t.id, t.secret_hash, u.id, u.role,
			t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now()) AND u.disabled_at IS NULL,
			t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute'
		FROM tokens t JOIN users u ON u.id = t.user_id
		WHERE t.prefix = $1`, prefix).Scan(&tokenID, &stored, &userID, &role, &usable, &stale)
	found := err == nil
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return registry.Anonymous, fmt.Errorf("authenticate: %w", err)
	}
	if !found {
		stored = zeroHash
	}
	match := subtle.ConstantTimeCompare(hashToken(token), stored) == 1
	if !found || !match || !usable || checkRole(registry.Role(role)) != nil {
		return registry.Anonymous, ErrUnauthenticated
	}
	if stale {
		// Conditional, so concurrent requests write once between them.
		if _, err := s.db.Exec(ctx, `UPDATE tokens SET last_used_at = now()
			WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`, tokenID); err != nil {
			return registry.Anonymous, fmt.Errorf("authenticate: record use of token %s: %w", prefix, err)
		}
	}
	return registry.Viewer{UserID: userID, Role: registry.Role(role)}, nil
}

// TokenPrefix returns the prefix of a well-formed token, safe to log, and
// false for anything else.
func TokenPrefix(token string) (string, bool) { return parseToken(token) }
