package auth_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"oversight/internal/auth"
	"oversight/internal/pgtest"
	"oversight/internal/registry"
)

// setup returns a Store over a fresh database, and the pool for checks in SQL.
func setup(t *testing.T) (*auth.Store, *pgxpool.Pool) {
	t.Helper()
	pool := pgtest.New(t)
	return auth.NewStore(pool), pool
}

func mustAddUser(t *testing.T, s *auth.Store, name, email string, role registry.Role) uuid.UUID {
	t.Helper()
	id, err := s.AddUser(t.Context(), name, email, role)
	if err != nil {
		t.Fatalf("AddUser(%q, %q, %s) error = %v", name, email, role, err)
	}
	return id
}

func mustCreateToken(t *testing.T, s *auth.Store, email string, expiresIn time.Duration) (string, auth.TokenInfo) {
	t.Helper()
	token, info, err := s.CreateToken(t.Context(), email, expiresIn)
	if err != nil {
		t.Fatalf("CreateToken(%q, %v) error = %v", email, expiresIn, err)
	}
	return token, info
}

var tokenShape = regexp.MustCompile(`^ovs_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$`)

func TestAddUser(t *testing.T) {
	t.Parallel()
	s, pool := setup(t)
	ctx := t.Context()
	mustAddUser(t, s, "Existing Editor", "taken@example.org", registry.RoleEditor)

	tests := []struct {
		name, userName, email string
		role                  registry.Role
		wantCode              registry.Code // "" for success
		wantErr               error
	}{
		{name: "contributor", userName: "Ada", email: "ada@example.org", role: registry.RoleContributor},
		{name: "editor", userName: "Bo", email: "bo@example.net", role: registry.RoleEditor},
		{name: "admin", userName: "Cy", email: "cy@example.com", role: registry.RoleAdmin},
		{name: "name of 200 characters", userName: strings.Repeat("é", 200), email: "long@example.org", role: registry.RoleContributor},
		{name: "duplicate email in other case", userName: "Someone Else", email: "Taken@Example.ORG", role: registry.RoleContributor,
			wantCode: "CONFLICT", wantErr: auth.ErrEmailTaken},
		{name: "unknown role", userName: "Dee", email: "dee@example.org", role: "OWNER", wantCode: registry.CodeInvalid},
		{name: "anonymous role", userName: "Dee", email: "dee@example.org", role: registry.RoleAnonymous, wantCode: registry.CodeInvalid},
		{name: "email without @", userName: "Dee", email: "dee.example.org", role: registry.RoleEditor, wantCode: registry.CodeInvalid},
		{name: "email with a space", userName: "Dee", email: "dee @example.org", role: registry.RoleEditor, wantCode: registry.CodeInvalid},
		{name: "email with two @", userName: "Dee", email: "dee@x@example.org", role: registry.RoleEditor, wantCode: registry.CodeInvalid},
		{name: "empty email", userName: "Dee", email: "", role: registry.RoleEditor, wantCode: registry.CodeInvalid},
		{name: "empty name", userName: "  ", email: "dee@example.org", role: registry.RoleEditor, wantCode: registry.CodeInvalid},
		{name: "name of 201 characters", userName: strings.Repeat("a", 201), email: "dee@example.org", role: registry.RoleEditor, wantCode: registry.CodeInvalid},
	}
	// The group returns when its parallel subtests have finished.
	t.Run("add", func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				id, err := s.AddUser(ctx, tt.userName, tt.email, tt.role)
				if tt.wantCode != "" {
					if err == nil || registry.ErrorCode(err) != tt.wantCode {
						t.Fatalf("AddUser(%q, %s) = %v, %v; want a %s error", tt.email, tt.role, id, err, tt.wantCode)
					}
					if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
						t.Errorf("AddUser(%q) error = %v, want %v", tt.email, err, tt.wantErr)
					}
					if strings.Contains(err.Error(), tt.email) && tt.email != "" {
						t.Errorf("AddUser(%q) error %q repeats the email", tt.email, err)
					}
					return
				}
				if err != nil || id == uuid.Nil {
					t.Fatalf("AddUser(%q, %s) = %v, %v; want a new ID", tt.email, tt.role, id, err)
				}
				u, err := s.UserByEmail(ctx, strings.ToUpper(tt.email))
				if err != nil {
					t.Fatalf("UserByEmail(%q) error = %v", strings.ToUpper(tt.email), err)
				}
				if u.ID != id || u.Name != tt.userName || u.Email != tt.email || u.Role != tt.role || u.DisabledAt != nil || u.CreatedAt.IsZero() {
					t.Errorf("UserByEmail(%q) = %+v, want ID %v, name %q, email %q, role %s, active", tt.email, u, id, tt.userName, tt.email, tt.role)
				}
			})
		}
	})

	t.Run("ListUsers and Users", func(t *testing.T) {
		users, err := s.ListUsers(ctx)
		if err != nil {
			t.Fatalf("ListUsers() error = %v", err)
		}
		if len(users) != 5 {
			t.Fatalf("ListUsers() = %d users, want 5 (one existing, four added)", len(users))
		}
		if users[0].Email != "taken@example.org" {
			t.Errorf("ListUsers()[0] = %q, want the oldest user first", users[0].Email)
		}
		byID, err := s.Users(ctx, []uuid.UUID{users[1].ID, users[2].ID, uuid.New()})
		if err != nil {
			t.Fatalf("Users(two IDs and an unknown one) error = %v", err)
		}
		if len(byID) != 2 || byID[users[1].ID] == nil || byID[users[1].ID].Email != users[1].Email || byID[users[2].ID] == nil {
			t.Errorf("Users(two IDs and an unknown one) = %v, want exactly the two users", byID)
		}
		if m, err := s.Users(ctx, nil); err != nil || len(m) != 0 {
			t.Errorf("Users(nil) = %v, %v; want an empty map", m, err)
		}
		if _, err := s.UserByEmail(ctx, "nobody@example.org"); !errors.Is(err, auth.ErrUnknownUser) || registry.ErrorCode(err) != registry.CodeNotFound {
			t.Errorf("UserByEmail(unknown) error = %v, want ErrUnknownUser (NOT_FOUND)", err)
		}
	})

	t.Run("audited with the role only", func(t *testing.T) {
		var n int
		rows, err := pool.Query(ctx, `SELECT actor_id, target_type, target_id, details::text FROM audit_log WHERE action = 'user.add'`)
		if err != nil {
			t.Fatalf("query audit_log: %v", err)
		}
		users, _ := s.ListUsers(ctx)
		byID := map[uuid.UUID]auth.User{}
		for _, u := range users {
			byID[u.ID] = u
		}
		for rows.Next() {
			n++
			var actor *uuid.UUID
			var targetType, details string
			var target uuid.UUID
			if err := rows.Scan(&actor, &targetType, &target, &details); err != nil {
				t.Fatalf("scan audit_log: %v", err)
			}
			u, ok := byID[target]
			if !ok || actor != nil || targetType != "user" {
				t.Errorf("user.add audit row: actor %v, target %s %v; want no actor and one of the users", actor, targetType, target)
			}
			var d map[string]any
			if err := json.Unmarshal([]byte(details), &d); err != nil {
				t.Fatalf("audit details %q: %v", details, err)
			}
			want := map[string]any{"role": string(u.Role), "via": "cli"}
			if fmt.Sprint(d) != fmt.Sprint(want) {
				t.Errorf("user.add audit details = %s, want %v", details, want)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if n != 5 {
			t.Errorf("audit_log has %d user.add rows, want 5 (failed adds leave none)", n)
		}
	})
}

func TestParseRole(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]registry.Role{"contributor": registry.RoleContributor, "Editor": registry.RoleEditor, "ADMIN": registry.RoleAdmin} {
		if got, err := auth.ParseRole(in); err != nil || got != want {
			t.Errorf("ParseRole(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "anonymous", "root"} {
		if got, err := auth.ParseRole(in); registry.ErrorCode(err) != registry.CodeInvalid {
			t.Errorf("ParseRole(%q) = %q, %v; want an INVALID error", in, got, err)
		}
	}
}

func TestCreateToken(t *testing.T) {
	t.Parallel()
	s, pool := setup(t)
	ctx := t.Context()
	id := mustAddUser(t, s, "Ada", "ada@example.org", registry.RoleEditor)

	token, info := mustCreateToken(t, s, "ADA@example.org", 90*24*time.Hour)
	if !tokenShape.MatchString(token) {
		t.Errorf("CreateToken() token %q does not match %s", token, tokenShape)
	}
	if info.Prefix != token[:12] || info.UserID != id || info.ID == uuid.Nil || info.RevokedAt != nil || info.LastUsedAt != nil {
		t.Errorf("CreateToken() info = %+v, want prefix %q, user %v, live and unused", info, token[:12], id)
	}
	if info.ExpiresAt == nil || info.ExpiresAt.Sub(info.CreatedAt) != 90*24*time.Hour {
		t.Errorf("CreateToken(90 days) expires at %v, created %v; want 90 days apart", info.ExpiresAt, info.CreatedAt)
	}

	// Stored only as a hash: the database holds no piece of the secret.
	var stored []byte
	if err := pool.QueryRow(ctx, `SELECT secret_hash FROM tokens WHERE id = $1`, info.ID).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256([]byte(token)); !bytes.Equal(stored, sum[:]) {
		t.Errorf("tokens.secret_hash = %x, want the SHA-256 of the whole token %x", stored, sum)
	}
	dump := dumpDatabase(t, pool)
	secret := token[13:]
	for i := 0; i+8 <= len(secret); i++ {
		if strings.Contains(dump, secret[i:i+8]) {
			t.Fatalf("the database holds %q, a piece of the token's secret", secret[i:i+8])
		}
	}

	never, neverInfo := mustCreateToken(t, s, "ada@example.org", 0)
	if neverInfo.ExpiresAt != nil || never == token || neverInfo.Prefix == info.Prefix {
		t.Errorf("CreateToken(0) = %+v, want a distinct token that never expires", neverInfo)
	}
	if _, tiny := mustCreateToken(t, s, "ada@example.org", time.Nanosecond); tiny.ExpiresAt == nil || !tiny.ExpiresAt.After(tiny.CreatedAt) {
		t.Errorf("CreateToken(1ns) = %+v, want an expiry just after creation", tiny)
	}

	if _, err := pool.Exec(ctx, `INSERT INTO users (id, name, email, role, disabled_at) VALUES ($1, 'Gone', 'gone@example.org', 'EDITOR', now())`, uuid.New()); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, email string
		expiresIn   time.Duration
		want        error
		wantCode    registry.Code
	}{
		{"unknown email", "nobody@example.org", time.Hour, auth.ErrUnknownUser, registry.CodeNotFound},
		{"disabled user", "gone@example.org", time.Hour, auth.ErrUserDisabled, registry.CodeInvalid},
		{"negative lifetime", "ada@example.org", -time.Hour, nil, registry.CodeInvalid},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tok, _, err := s.CreateToken(ctx, tt.email, tt.expiresIn)
			if registry.ErrorCode(err) != tt.wantCode || (tt.want != nil && !errors.Is(err, tt.want)) || tok != "" {
				t.Errorf("CreateToken(%q, %v) = %q, %v; want a %s error", tt.email, tt.expiresIn, tok, err, tt.wantCode)
			}
		})
	}

	tokens, err := s.ListTokens(ctx, "ada@example.org")
	if err != nil || len(tokens) != 3 {
		t.Fatalf("ListTokens() = %d tokens, %v; want 3", len(tokens), err)
	}
	if tokens[0].Prefix != info.Prefix || tokens[1].Prefix != neverInfo.Prefix {
		t.Errorf("ListTokens() prefixes %q, %q; want %q, %q (oldest first)", tokens[0].Prefix, tokens[1].Prefix, info.Prefix, neverInfo.Prefix)
	}
	if _, err := s.ListTokens(ctx, "nobody@example.org"); !errors.Is(err, auth.ErrUnknownUser) {
		t.Errorf("ListTokens(unknown) error = %v, want ErrUnknownUser", err)
	}
}

// dumpDatabase returns every row of every table of the public schema as text.
func dumpDatabase(t *testing.T, pool *pgxpool.Pool) string {
	t.Helper()
	ctx := t.Context()
	rows, err := pool.Query(ctx, `SELECT quote_ident(table_name) FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, table := range tables {
		var text *string
		if err := pool.QueryRow(ctx, `SELECT string_agg(t::text, E'\n') FROM `+table+` t`).Scan(&text); err != nil {
			t.Fatalf("dump %s: %v", table, err)
		}
		if text != nil {
			b.WriteString(*text)
		}
	}
	return b.String()
}

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	s, pool := setup(t)
	ctx := t.Context()
	adaID := mustAddUser(t, s, "Ada", "ada@example.org", registry.RoleEditor)
	bo := mustAddUser(t, s, "Bo", "bo@example.org", registry.RoleContributor)
	mustAddUser(t, s, "Cy", "cy@example.org", registry.RoleAdmin)

	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := pool.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	tests := []struct {
		name  string
		token func(t *testing.T) string
		want  registry.Viewer // zero: ErrUnauthenticated
	}{
		{name: "editor's token", want: registry.Viewer{UserID: adaID, Role: registry.RoleEditor},
			token: func(t *testing.T) string { tok, _ := mustCreateToken(t, s, "ada@example.org", time.Hour); return tok }},
		{name: "contributor's token that never expires", want: registry.Viewer{UserID: bo, Role: registry.RoleContributor},
			token: func(t *testing.T) string { tok, _ := mustCreateToken(t, s, "bo@example.org", 0); return tok }},
		{name: "wrong secret, right prefix", token: func(t *testing.T) string {
			tok, _ := mustCreateToken(t, s, "ada@example.org", time.Hour)
			return tok[:13] + strings.Repeat("A", 42) + "A"
		}},
		{name: "secret off by one character", token: func(t *testing.T) string {
			tok, _ := mustCreateToken(t, s, "ada@example.org", time.Hour)
			last := byte('A')
			if tok[len(tok)-2] == 'A' {
				last = 'Q'
			}
			return tok[:len(tok)-2] + string(last) + tok[len(tok)-1:]
		}},
		{name: "unknown prefix", token: func(t *testing.T) string {
			tok, _ := mustCreateToken(t, s, "ada@example.org", time.Hour)
			return "ovs_00000000" + tok[12:]
		}},
		{name: "prefix only", token: func(t *testing.T) string {
			_, info := mustCreateToken(t, s, "ada@example.org", time.Hour)
			return info.Prefix
		}},
		{name: "garbage", token: func(*testing.T) string { return "hunter2" }},
		{name: "empty", token: func(*testing.T) string { return "" }},
		{name: "upper-case prefix", token: func(t *testing.T) string {
			tok, _ := mustCreateToken(t, s, "ada@example.org", time.Hour)
			return strings.ToUpper(tok[:12]) + tok[12:]
		}},
		{name: "trailing newline", token: func(t *testing.T) string {
			tok, _ := mustCreateToken(t, s, "ada@example.org", time.Hour)
			return tok + "\n"
		}},
		{name: "revoked", token: func(t *testing.T) string {
			tok, _ := mustCreateToken(t, s, "ada@example.org", time.Hour)
			if err := s.RevokeToken(ctx, tok); err != nil {
				t.Fatalf("RevokeToken() error = %v", err)
			}
			return tok
		}},
		{name: "expired", token: func(t *testing.T) string {
			tok, info := mustCreateToken(t, s, "ada@example.org", time.Hour)
			exec(`UPDATE tokens SET created_at = now() - interval '2 hours', expires_at = now() - interval '1 second' WHERE id = $1`, info.ID)
			return tok
		}},
		{name: "expired by a tiny lifetime", token: func(t *testing.T) string {
			tok, _ := mustCreateToken(t, s, "ada@example.org", time.Microsecond)
			time.Sleep(5 * time.Millisecond)
			return tok
		}},
		{name: "disabled user", token: func(t *testing.T) string {
			tok, _ := mustCreateToken(t, s, "cy@example.org", time.Hour)
			exec(`UPDATE users SET disabled_at = now() WHERE email = 'cy@example.org'`)
			return tok
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token := tt.token(t)
			got, err := s.Authenticate(ctx, token)
			if tt.want == (registry.Viewer{}) {
				if !errors.Is(err, auth.ErrUnauthenticated) || got != registry.Anonymous {
					t.Errorf("Authenticate(%s) = %+v, %v; want anonymous, ErrUnauthenticated", tt.name, got, err)
				}
				if err != nil && err.Error() != auth.ErrUnauthenticated.Error() {
					t.Errorf("Authenticate(%s) error %q says more than ErrUnauthenticated", tt.name, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("Authenticate(%s) = %+v, %v; want %+v", tt.name, got, err, tt.want)
			}
		})
	}
}

// countingTracer counts the statements a pool runs, and the UPDATEs among them.
type countingTracer struct{ all, updates atomic.Int64 }

func (c *countingTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	c.all.Add(1)
	if strings.HasPrefix(strings.TrimSpace(d.SQL), "UPDATE") {
		c.updates.Add(1)
	}
	return ctx
}

func (c *countingTracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func TestAuthenticateRecordsLastUseAtMostOnceAMinute(t *testing.T) {
	t.Parallel()
	tracer := &countingTracer{}
	pool := pgtest.NewWithTracer(t, tracer)
	s := auth.NewStore(pool)
	ctx := t.Context()
	mustAddUser(t, s, "Ada", "ada@example.org", registry.RoleEditor)
	token, info := mustCreateToken(t, s, "ada@example.org", time.Hour)

	lastUsed := func() *time.Time {
		t.Helper()
		var at *time.Time
		if err := pool.QueryRow(ctx, `SELECT last_used_at FROM tokens WHERE id = $1`, info.ID).Scan(&at); err != nil {
			t.Fatal(err)
		}
		return at
	}
	authenticate := func() (statements, updates int64) {
		t.Helper()
		all, upd := tracer.all.Load(), tracer.updates.Load()
		if _, err := s.Authenticate(ctx, token); err != nil {
			t.Fatalf("Authenticate() error = %v", err)
		}
		return tracer.all.Load() - all, tracer.updates.Load() - upd
	}

	if at := lastUsed(); at != nil {
		t.Fatalf("last_used_at = %v before any use, want NULL", at)
	}
	if _, upd := authenticate(); upd != 1 {
		t.Errorf("first Authenticate() ran %d UPDATEs, want 1", upd)
	}
	first := lastUsed()
	if first == nil {
		t.Fatal("last_used_at is NULL after Authenticate(), want set")
	}
	for range 3 {
		if n, upd := authenticate(); n != 1 || upd != 0 {
			t.Errorf("Authenticate() within the minute ran %d statements (%d UPDATEs), want 1 read and no write", n, upd)
		}
	}
	if again := lastUsed(); !again.Equal(*first) {
		t.Errorf("last_used_at moved from %v to %v within a minute, want unchanged", first, again)
	}

	if _, err := pool.Exec(ctx, `UPDATE tokens SET last_used_at = now() - interval '2 minutes' WHERE id = $1`, info.ID); err != nil {
		t.Fatal(err)
	}
	old := lastUsed()
	if _, upd := authenticate(); upd != 1 {
		t.Errorf("Authenticate() two minutes after the last use ran %d UPDATEs, want 1", upd)
	}
	if now := lastUsed(); !now.After(*old) {
		t.Errorf("last_used_at = %v after a use two minutes on, want later than %v", now, old)
	}
	tokens, err := s.ListTokens(ctx, "ada@example.org")
	if err != nil || len(tokens) != 1 || tokens[0].LastUsedAt == nil {
		t.Errorf("ListTokens() = %+v, %v; want the token with its last use", tokens, err)
	}
}

func TestRevoke(t *testing.T) {
	t.Parallel()
	s, pool := setup(t)
	ctx := t.Context()
	mustAddUser(t, s, "Ada", "ada@example.org", registry.RoleEditor)
	mustAddUser(t, s, "Bo", "bo@example.org", registry.RoleEditor)

	byToken, _ := mustCreateToken(t, s, "ada@example.org", time.Hour)
	byPrefix, prefixInfo := mustCreateToken(t, s, "ada@example.org", time.Hour)
	for _, arg := range []string{byToken, prefixInfo.Prefix} {
		if err := s.RevokeToken(ctx, arg); err != nil {
			t.Errorf("RevokeToken(%.12s...) error = %v", arg, err)
		}
	}
	for _, tok := range []string{byToken, byPrefix} {
		if _, err := s.Authenticate(ctx, tok); !errors.Is(err, auth.ErrUnauthenticated) {
			t.Errorf("Authenticate(revoked) error = %v, want ErrUnauthenticated", err)
		}
	}
	// Again: nothing changes and nothing more is audited.
	if err := s.RevokeToken(ctx, prefixInfo.Prefix); err != nil {
		t.Errorf("RevokeToken(revoked) error = %v, want nil", err)
	}
	if err := s.RevokeToken(ctx, "ovs_00000000"); !errors.Is(err, auth.ErrUnknownToken) || registry.ErrorCode(err) != registry.CodeNotFound {
		t.Errorf("RevokeToken(unknown prefix) error = %v, want ErrUnknownToken (NOT_FOUND)", err)
	}
	for _, bad := range []string{"", "ovs_", "ovs_XYZ", "s3cr3t-value", byToken + "x"} {
		err := s.RevokeToken(ctx, bad)
		if registry.ErrorCode(err) != registry.CodeInvalid {
			t.Errorf("RevokeToken(%q) error = %v, want INVALID", bad, err)
		}
		if len(bad) > len("ovs_") && err != nil && strings.Contains(err.Error(), bad) {
			t.Errorf("RevokeToken(%q) error %q repeats its argument", bad, err)
		}
	}

	// All of a user's tokens, and no one else's.
	a1, _ := mustCreateToken(t, s, "ada@example.org", 0)
	a2, _ := mustCreateToken(t, s, "ada@example.org", time.Hour)
	b1, _ := mustCreateToken(t, s, "bo@example.org", time.Hour)
	n, err := s.RevokeTokensOf(ctx, "Ada@Example.org")
	if err != nil || n != 2 {
		t.Errorf("RevokeTokensOf(ada) = %d, %v; want 2 (the live ones)", n, err)
	}
	for _, tok := range []string{a1, a2} {
		if _, err := s.Authenticate(ctx, tok); !errors.Is(err, auth.ErrUnauthenticated) {
			t.Errorf("Authenticate(after RevokeTokensOf) error = %v, want ErrUnauthenticated", err)
		}
	}
	if _, err := s.Authenticate(ctx, b1); err != nil {
		t.Errorf("Authenticate(other user's token) after RevokeTokensOf(ada) error = %v, want nil", err)
	}
	if n, err := s.RevokeTokensOf(ctx, "nobody@example.org"); !errors.Is(err, auth.ErrUnknownUser) {
		t.Errorf("RevokeTokensOf(unknown) = %d, %v; want ErrUnknownUser", n, err)
	}

	tokens, err := s.ListTokens(ctx, "ada@example.org")
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range tokens {
		if tok.RevokedAt == nil || tok.Active(time.Now()) {
			t.Errorf("ListTokens() after revoking all: %s is not revoked", tok.Prefix)
		}
	}

	var revokes int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'token.revoke'`).Scan(&revokes); err != nil {
		t.Fatal(err)
	}
	if revokes != 4 {
		t.Errorf("audit_log has %d token.revoke rows, want 4 (two singly, two by user; none for a repeat)", revokes)
	}
}

func TestAuditHoldsNoIdentityOrSecret(t *testing.T) {
	t.Parallel()
	s, pool := setup(t)
	ctx := t.Context()
	const name, email = "Zaynab Secret-Name", "zaynab.private@example.org"
	id := mustAddUser(t, s, name, email, registry.RoleEditor)
	token, info := mustCreateToken(t, s, email, 24*time.Hour)
	if err := s.RevokeToken(ctx, token); err != nil {
		t.Fatal(err)
	}
	mustCreateToken(t, s, email, 0)
	if _, err := s.RevokeTokensOf(ctx, email); err != nil {
		t.Fatal(err)
	}
	// An admin acting through the API is the audit row's actor.
	adminCtx := registry.WithViewer(ctx, registry.Viewer{UserID: id, Role: registry.RoleAdmin})
	if _, err := s.AddUser(adminCtx, "Other", "other@example.org", registry.RoleContributor); err != nil {
		t.Fatal(err)
	}

	rows, err := pool.Query(ctx, `SELECT action, actor_id, target_id, details::text FROM audit_log ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		action  string
		actor   *uuid.UUID
		target  uuid.UUID
		details string
	}
	var got []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.action, &r.actor, &r.target, &r.details); err != nil {
			t.Fatal(err)
		}
		got = append(got, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	wantActions := []string{"user.add", "token.create", "token.revoke", "token.create", "token.revoke", "user.add"}
	if len(got) != len(wantActions) {
		t.Fatalf("audit_log has %d rows %+v, want %d: %v", len(got), got, len(wantActions), wantActions)
	}
	for i, r := range got {
		if r.action != wantActions[i] {
			t.Errorf("audit row %d action = %q, want %q", i, r.action, wantActions[i])
		}
		for _, secret := range []string{name, "Zaynab", email, "zaynab.private", token, token[13:]} {
			if strings.Contains(strings.ToLower(r.details), strings.ToLower(secret)) {
				t.Errorf("audit row %d (%s) details %s contain %q", i, r.action, r.details, secret)
			}
		}
		last := i == len(got)-1
		switch {
		case last && (r.actor == nil || *r.actor != id || strings.Contains(r.details, "via")):
			t.Errorf("audit row of an admin's action: actor %v, details %s; want actor %v and no via", r.actor, r.details, id)
		case !last && (r.actor != nil || !strings.Contains(r.details, `"via": "cli"`)):
			t.Errorf("audit row %d (%s): actor %v, details %s; want no actor and via cli", i, r.action, r.actor, r.details)
		}
	}
	if got[1].target != info.ID || !strings.Contains(got[1].details, info.Prefix) || !strings.Contains(got[1].details, `"expires_at": "`) {
		t.Errorf("token.create audit row = %+v, want target %v and details with prefix %s and expires_at", got[1], info.ID, info.Prefix)
	}
}

func TestMiddleware(t *testing.T) {
	t.Parallel()
	s, _ := setup(t)
	ctx := t.Context()
	const name, email = "Ada Lovelace", "ada@example.org"
	id := mustAddUser(t, s, name, email, registry.RoleEditor)
	good, goodInfo := mustCreateToken(t, s, email, time.Hour)
	revoked, _ := mustCreateToken(t, s, email, time.Hour)
	if err := s.RevokeToken(ctx, revoked); err != nil {
		t.Fatal(err)
	}

	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	handler := auth.Middleware(s, logger, nil)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := registry.ViewerFrom(r.Context())
		fmt.Fprintf(w, "%s %s", v.UserID, v.Role)
	}))

	const wantBody = `{"errors":[{"message":"invalid, expired or revoked token","extensions":{"code":"UNAUTHENTICATED"}}]}`
	tests := []struct {
		name     string
		header   []string // Authorization values; none: no header
		wantCode int
		wantBody string
	}{
		{name: "no header", wantCode: http.StatusOK, wantBody: uuid.Nil.String() + " "},
		{name: "good token", header: []string{"Bearer " + good}, wantCode: http.StatusOK, wantBody: id.String() + " EDITOR"},
		{name: "lower-case scheme", header: []string{"bearer " + good}, wantCode: http.StatusOK, wantBody: id.String() + " EDITOR"},
		{name: "revoked token", header: []string{"Bearer " + revoked}, wantCode: http.StatusUnauthorized, wantBody: wantBody},
		{name: "wrong secret", header: []string{"Bearer " + good[:13] + strings.Repeat("x", 43)}, wantCode: http.StatusUnauthorized, wantBody: wantBody},
		{name: "garbage token", header: []string{"Bearer not-a-token"}, wantCode: http.StatusUnauthorized, wantBody: wantBody},
		{name: "empty header", header: []string{""}, wantCode: http.StatusUnauthorized, wantBody: wantBody},
		{name: "scheme only", header: []string{"Bearer"}, wantCode: http.StatusUnauthorized, wantBody: wantBody},
		{name: "basic auth", header: []string{"Basic YWRhOnB3"}, wantCode: http.StatusUnauthorized, wantBody: wantBody},
		{name: "bare token", header: []string{good}, wantCode: http.StatusUnauthorized, wantBody: wantBody},
		{name: "two headers", header: []string{"Bearer " + good, "Bearer " + good}, wantCode: http.StatusUnauthorized, wantBody: wantBody},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/graphql", strings.NewReader(`{"query":"{__typename}"}`))
			for _, h := range tt.header {
				req.Header.Add("Authorization", h)
			}
			rec := httptest.NewRecorder()
			handler.ServeHTTP(rec, req)
			if rec.Code != tt.wantCode || rec.Body.String() != tt.wantBody {
				t.Fatalf("%s: status %d, body %q; want %d, %q", tt.name, rec.Code, rec.Body.String(), tt.wantCode, tt.wantBody)
			}
			if tt.wantCode == http.StatusUnauthorized {
				if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
					t.Errorf("%s: Content-Type %q, want application/json", tt.name, ct)
				}
				if wa := rec.Header().Get("WWW-Authenticate"); wa != "Bearer" {
					t.Errorf("%s: WWW-Authenticate %q, want Bearer", tt.name, wa)
				}
				var body struct {
					Errors []struct {
						Message    string
						Extensions struct{ Code string }
					}
				}
				if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || len(body.Errors) != 1 || body.Errors[0].Extensions.Code != "UNAUTHENTICATED" {
					t.Errorf("%s: body %s does not parse as one UNAUTHENTICATED error (%v)", tt.name, rec.Body.String(), err)
				}
			}
		})
	}

	out := logs.String()
	for _, secret := range []string{good, good[13:], revoked[13:], name, email, "YWRhOnB3", "not-a-token"} {
		if strings.Contains(out, secret) {
			t.Errorf("middleware logged %q:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, goodInfo.Prefix) || !strings.Contains(out, id.String()) {
		t.Errorf("middleware debug log has no user ID and token prefix:\n%s", out)
	}
}
