package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"oversight/internal/pgtest"
	"oversight/internal/postgres"
)

func TestPGX5URL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
	}{
		{"postgres://u:p@db:5432/oversight?sslmode=require", "pgx5://u:p@db:5432/oversight?sslmode=require"},
		{"postgresql://u@db/oversight", "pgx5://u@db/oversight"},
		{"postgres://root@/oversight?host=/var/run/postgresql", "pgx5://root@/oversight?host=/var/run/postgresql"},
		{"postgres:///oversight?host=%2Ftmp&application_name=a%20b&x-multi-statement=true", "pgx5:///oversight?host=%2Ftmp&application_name=a%20b&x-multi-statement=true"},
		{"POSTGRES://u@db/o", "pgx5://u@db/o"},
	}
	for _, tt := range tests {
		got, err := postgres.PGX5URL(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("pgx5URL(%q) = %q, %v; want %q, nil", tt.in, got, err, tt.want)
		}
	}

	for _, in := range []string{"mysql://u@db/o", "host=/tmp dbname=o", "postgres://u:s3cret@db:port/o"} {
		got, err := postgres.PGX5URL(in)
		if err == nil {
			t.Errorf("pgx5URL(%q) = %q, nil; want an error", in, got)
		} else if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("pgx5URL(%q) error = %q, must not contain the password", in, err)
		}
	}
}

func TestMigrateDownAndUp(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url := pgtest.URL(t)

	_, _, latest := status(t, url)
	if latest == 0 {
		t.Fatalf("MigrationStatus latest = 0, want the embedded migrations to have a version")
	}
	steps := []struct {
		direction   string
		wantVersion uint
	}{
		{"down", 0},
		{"down", 0}, // nothing to do is not an error
		{"up", latest},
		{"up", latest},
	}
	for _, s := range steps {
		if err := postgres.Migrate(ctx, url, s.direction); err != nil {
			t.Fatalf("Migrate(%q) error = %v, want nil", s.direction, err)
		}
		if version, dirty, _ := status(t, url); version != s.wantVersion || dirty {
			t.Fatalf("after Migrate(%q): version %d, dirty %v; want %d, clean", s.direction, version, dirty, s.wantVersion)
		}
	}
}

func TestMigrateRefusesDirtyDatabase(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url := pgtest.URL(t)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	// What a migration that failed half way leaves behind.
	if _, err := conn.Exec(ctx, "UPDATE schema_migrations SET dirty = true"); err != nil {
		t.Fatalf("mark schema dirty: %v", err)
	}

	for _, direction := range []string{"up", "down"} {
		err := postgres.Migrate(ctx, url, direction)
		if err == nil || !strings.Contains(err.Error(), "dirty") || !strings.Contains(err.Error(), "force") {
			t.Errorf("Migrate(%q) on a dirty database error = %v, want one saying it is dirty and how to force the version", direction, err)
		}
	}
	if _, dirty, _ := status(t, url); !dirty {
		t.Errorf("MigrationStatus on a dirty database: dirty = false, want true")
	}
}

func TestMigrateRejectsUnknownDirection(t *testing.T) {
	t.Parallel()
	// Checked before connecting, so no server is needed.
	if err := postgres.Migrate(t.Context(), "postgres://nowhere.invalid/o", "sideways"); err == nil {
		t.Errorf(`Migrate("sideways") error = nil, want an error`)
	}
}

func status(t *testing.T, url string) (version uint, dirty bool, latest uint) {
	t.Helper()
	version, dirty, latest, err := postgres.MigrationStatus(t.Context(), url)
	if err != nil {
		t.Fatalf("MigrationStatus error = %v", err)
	}
	return version, dirty, latest
}
