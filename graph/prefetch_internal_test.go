package graph

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"oversight/internal/catalog"
	"oversight/internal/pgtest"
	"oversight/seed"
)

// A page of deployments sends its fields' batches under the very loaders
// (names and fetch functions) the deployment resolvers use: with loaders
// that would otherwise wait an hour for more keys, every field of every
// deployment still resolves at once, from one statement per field.
func TestDeploymentPagesFetchWhatTheirFieldsLoad(t *testing.T) {
	counter := &StatementCounter{}
	pool := pgtest.NewWithTracer(t, counter)
	ds, err := seed.Registry()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := seed.Load(t.Context(), pool, ds); err != nil {
		t.Fatal(err)
	}
	var states []uuid.UUID
	rows, _ := pool.Query(t.Context(), `SELECT id FROM states`)
	if states, err = pgx.CollectRows(rows, pgx.RowTo[uuid.UUID]); err != nil {
		t.Fatal(err)
	}
	r := &Resolver{Catalog: catalog.New(pool)}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	ctx = context.WithValue(ctx, loadersKey{}, &loaders{idle: time.Hour, m: map[string]any{}})
	pages, err := r.Catalog.DeploymentPages(ctx, catalog.DeploymentsOfState, states, catalog.DeploymentFilter{}, catalog.Page{First: 100})
	if err != nil {
		t.Fatal(err)
	}
	fields := map[string]bool{}
	for _, f := range []string{"citations", "state", "technology", "vendor", "product", "agency", "abuses"} {
		fields[f] = true
	}
	before := counter.N.Load()
	r.fetchDeploymentFields(ctx, fields, pages)

	d := &deploymentResolver{r}
	n := 0
	for _, c := range pages {
		for _, dep := range c.Items {
			n++
			if _, err := d.Citations(ctx, dep); err != nil {
				t.Fatalf("citations: %v (not fetched with the page?)", err)
			}
			if _, err := d.State(ctx, dep); err != nil {
				t.Fatalf("state: %v", err)
			}
			if _, err := d.Technology(ctx, dep); err != nil {
				t.Fatalf("technology: %v", err)
			}
			if _, err := d.Vendor(ctx, dep); err != nil {
				t.Fatalf("vendor: %v", err)
			}
			if _, err := d.Product(ctx, dep); err != nil {
				t.Fatalf("product: %v", err)
			}
			if _, err := d.Agency(ctx, dep); err != nil {
				t.Fatalf("agency: %v", err)
			}
			if _, err := d.Abuses(ctx, dep); err != nil {
				t.Fatalf("abuses: %v", err)
			}
		}
	}
	if n < 5 {
		t.Fatalf("the seed data has %d published deployments under its states; the test needs several", n)
	}
	if got := counter.N.Load() - before; got > int64(len(fields)) {
		t.Errorf("the fields of %d deployments cost %d statements, want at most %d (one per field)", n, got, len(fields))
	}
}

// A page of evidence rows does the same for the rows' fields, under the
// evidenceRowResolver's loaders.
func TestEvidencePagesFetchWhatTheirFieldsLoad(t *testing.T) {
	counter := &StatementCounter{}
	pool := pgtest.NewWithTracer(t, counter)
	ds, err := seed.Registry()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := seed.Load(t.Context(), pool, ds); err != nil {
		t.Fatal(err)
	}
	r := &Resolver{Catalog: catalog.New(pool)}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	ctx = context.WithValue(ctx, loadersKey{}, &loaders{idle: time.Hour, m: map[string]any{}})
	page, err := r.Catalog.ExportControlEvidence(ctx, catalog.EvidenceFilter{}, catalog.Page{First: 50})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) < 5 {
		t.Fatalf("the seed data has %d evidence rows; the test needs several", len(page.Items))
	}
	fields := map[string]bool{}
	for _, f := range []string{"vendor", "state", "technology", "product", "deployments", "controlListEntries", "designations", "abuses"} {
		fields[f] = true
	}
	before := counter.N.Load()
	r.fetchEvidenceFields(ctx, fields, page.Items)

	e := &evidenceRowResolver{r}
	for _, row := range page.Items {
		for name, resolve := range map[string]func() error{
			"vendor":             func() error { _, err := e.Vendor(ctx, row); return err },
			"state":              func() error { _, err := e.State(ctx, row); return err },
			"technology":         func() error { _, err := e.Technology(ctx, row); return err },
			"product":            func() error { _, err := e.Product(ctx, row); return err },
			"deployments":        func() error { _, err := e.Deployments(ctx, row); return err },
			"controlListEntries": func() error { _, err := e.ControlListEntries(ctx, row); return err },
			"designations":       func() error { _, err := e.Designations(ctx, row); return err },
			"abuses":             func() error { _, err := e.Abuses(ctx, row); return err },
		} {
			if err := resolve(); err != nil {
				t.Fatalf("%s: %v (not fetched with the page?)", name, err)
			}
		}
	}
	if got := counter.N.Load() - before; got > int64(len(fields)) {
		t.Errorf("the fields of %d evidence rows cost %d statements, want at most %d (one per field)", len(page.Items), got, len(fields))
	}
}
