package auth

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"oversight/internal/registry"
)

// User is an editorial account. Its name and email identify a person who may
// be at risk: show them only to that person and to editors and admins
// (registry.Viewer.SeesIdentityOf), and never log them.
type User struct {
	ID         uuid.UUID
	Name       string
	Email      string
	Role       registry.Role
	CreatedAt  time.Time
	DisabledAt *time.Time // nil while the account is active
}

// The same rules as the users table's CHECK constraints, checked first so
// that mistakes get a clear message.
var emailShape = regexp.MustCompile(`^[^@\s]+@[^@\s]+$`)

const (
	maxNameLength  = 200
	maxEmailLength = 320
)

// ParseRole reads a role as typed on a command line: contributor, editor or
// admin, in any case. It returns an INVALID error for anything else.
func ParseRole(s string) (registry.Role, error) {
	r := registry.Role(strings.ToUpper(strings.TrimSpace(s)))
	if err := checkRole(r); err != nil {
		return "", err
	}
	return r, nil
}

func checkRole(r registry.Role) error {
	switch r {
	case registry.RoleContributor, registry.RoleEditor, registry.RoleAdmin:
		return nil
	}
	return invalid(fmt.Sprintf("role %q is not one of contributor, editor, admin", string(r)))
}

func checkEmail(email string) error {
	if email == "" {
		return invalid("email is required")
	}
	if len(email) > maxEmailLength || !emailShape.MatchString(email) {
		return invalid("email must look like name@domain (one @, no spaces, at most 320 bytes)")
	}
	return nil
}

// AddUser creates an account and returns its ID. The name (1 to 200
// characters), email and role are checked: an INVALID error says what is
// wrong, and ErrEmailTaken (CONFLICT) says the email, compared without case,
// already has an account. The action is audited as user.add with the role
// only. Operators (the CLI) and admins only.
func (s *Store) AddUser(ctx context.Context, name, email string, role registry.Role) (uuid.UUID, error) {
	name, email = strings.TrimSpace(name), strings.TrimSpace(email)
	if name == "" {
		return uuid.Nil, invalid("name is required")
	}
	if utf8.RuneCountInString(name) > maxNameLength {
		return uuid.Nil, invalid(fmt.Sprintf("name is longer than %d characters", maxNameLength))
	}
	if err := checkEmail(email); err != nil {
		return uuid.Nil, err
	}
	if err := checkRole(role); err != nil {
		return uuid.Nil, err
	}
	id := uuid.New()
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO users (id, name, email, role) VALUES ($1, $2, $3, $4)`,
			id, name, email, string(role)); err != nil {
			var pgErr *pgconn.PgError
			if errors.As(err, &pgErr) && pgErr.Code == pgerrcode.UniqueViolation && pgErr.ConstraintName == "users_email_key" {
				return ErrEmailTaken
			}
			return err
		}
		return audit(ctx, tx, "user.add", "user", id, map[string]any{"role": string(role)})
	})
	if err != nil {
		return uuid.Nil, fmt.Errorf("add user: %w", err)
	}
	return id, nil
}

const userColumns = `id, name, email, role, created_at, disabled_at`

func scanUser(row pgx.Row) (*User, error) {
	var u User
	var role string
	if err := row.Scan(&u.ID, &u.Name, &u.Email, &role, &u.CreatedAt, &u.DisabledAt); err != nil {
		return nil, err
	}
	u.Role = registry.Role(role)
	return &u, nil
}

// ListUsers returns every account, oldest first. Operators and admins only:
// the list names everyone.
func (s *Store) ListUsers(ctx context.Context) ([]User, error) {
	rows, err := s.db.Query(ctx, `SELECT `+userColumns+` FROM users ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var users []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		users = append(users, *u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return users, nil
}

// UserByEmail returns the account with email, compared without case, or
// ErrUnknownUser (NOT_FOUND).
func (s *Store) UserByEmail(ctx context.Context, email string) (*User, error) {
	u, err := scanUser(s.db.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE lower(email) = lower($1)`, strings.TrimSpace(email)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrUnknownUser
	}
	if err != nil {
		return nil, fmt.Errorf("user by email: %w", err)
	}
	return u, nil
}

// Users returns the accounts with the given IDs, for the API's loaders; IDs
// with no account are absent from the map. Callers decide what of a user a
// viewer may see (registry.Viewer.SeesIdentityOf).
func (s *Store) Users(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*User, error) {
	users := make(map[uuid.UUID]*User, len(ids))
	if len(ids) == 0 {
		return users, nil
	}
	rows, err := s.db.Query(ctx, `SELECT `+userColumns+` FROM users WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("users by ID: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("users by ID: %w", err)
		}
		users[u.ID] = u
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("users by ID: %w", err)
	}
	return users, nil
}

// DisableUser closes an account: its tokens stop working at once and it can
// get no new ones; what it wrote stays. The action is audited as
// user.disable. ErrUnknownUser when no account has the email; disabling a
// disabled account changes nothing. Operators (the CLI) and admins only.
func (s *Store) DisableUser(ctx context.Context, email string) error {
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		var id uuid.UUID
		var already bool
		err := tx.QueryRow(ctx, `SELECT id, disabled_at IS NOT NULL FROM users WHERE lower(email) = lower($1) FOR UPDATE`,
			strings.TrimSpace(email)).Scan(&id, &already)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrUnknownUser
		}
		if err != nil || already {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET disabled_at = now() WHERE id = $1`, id); err != nil {
			return err
		}
		return audit(ctx, tx, "user.disable", "user", id, map[string]any{})
	})
	if err != nil {
		return fmt.Errorf("disable user: %w", err)
	}
	return nil
}
