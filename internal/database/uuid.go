package database

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// RegisterTypes teaches a connection to move github.com/google/uuid values
// as PostgreSQL's 16-byte binary uuid, and to scan the registry's string
// types without reflection (tryRegistryString). Left to itself, pgx sees that
// uuid.UUID is a sql.Scanner and a driver.Valuer and goes through text both
// ways: every uuid read became a 36-character string and a parse, every
// uuid parameter a string (after a failed plan that built an error). For a
// wide GraphQL answer, which reads tens of thousands of IDs, that was a
// quarter of its allocations.
func RegisterTypes(_ context.Context, conn *pgx.Conn) error {
	m := conn.TypeMap()
	t := &pgtype.Type{Name: "uuid", OID: pgtype.UUIDOID, Codec: uuidCodec{}}
	m.RegisterType(t)
	m.RegisterType(&pgtype.Type{Name: "_uuid", OID: pgtype.UUIDArrayOID, Codec: &pgtype.ArrayCodec{ElementType: t}})
	m.TryWrapScanPlanFuncs = append([]pgtype.TryWrapScanPlanFunc{tryRegistryString}, m.TryWrapScanPlanFuncs...)
	return nil
}

// uuidCodec is pgtype.UUIDCodec with plans of its own for uuid.UUID.
type uuidCodec struct{ pgtype.UUIDCodec }

func (c uuidCodec) PlanEncode(m *pgtype.Map, oid uint32, format int16, value any) pgtype.EncodePlan {
	if _, ok := value.(uuid.UUID); ok {
		if format == pgtype.BinaryFormatCode {
			return encodeUUIDBinary{}
		}
		return encodeUUIDText{}
	}
	return c.UUIDCodec.PlanEncode(m, oid, format, value)
}

func (c uuidCodec) PlanScan(m *pgtype.Map, oid uint32, format int16, target any) pgtype.ScanPlan {
	if _, ok := target.(*uuid.UUID); ok {
		return scanUUID{format: format}
	}
	return c.UUIDCodec.PlanScan(m, oid, format, target)
}

type encodeUUIDBinary struct{}

func (encodeUUIDBinary) Encode(value any, buf []byte) ([]byte, error) {
	u := value.(uuid.UUID)
	return append(buf, u[:]...), nil
}

type encodeUUIDText struct{}

func (encodeUUIDText) Encode(value any, buf []byte) ([]byte, error) {
	return append(buf, value.(uuid.UUID).String()...), nil
}

type scanUUID struct{ format int16 }

// Scan reads a uuid. NULL leaves the zero UUID, as uuid.UUID's own Scan
// (the sql.Scanner this replaces) did; nullable columns scan into
// *uuid.UUID, which pgx sets to nil before it gets here.
func (p scanUUID) Scan(src []byte, dst any) error {
	d := dst.(*uuid.UUID)
	if src == nil {
		return nil
	}
	if p.format == pgtype.BinaryFormatCode {
		if len(src) != 16 {
			return fmt.Errorf("uuid: %d bytes, want 16", len(src))
		}
		copy(d[:], src)
		return nil
	}
	u, err := uuid.ParseBytes(src)
	if err != nil {
		return fmt.Errorf("uuid: %w", err)
	}
	*d = u
	return nil
}
