package postgres

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dinhdanh/dinhdanh/attributes"
)

// Migrations are the population and documents tables.
//
//go:embed migrations/*.sql
var Migrations embed.FS

// Store is the population and document registries on a pgx pool.
type Store struct {
	pool *pgxpool.Pool
	now  func() time.Time
}

var (
	_ attributes.Registry       = (*Store)(nil)
	_ attributes.DocumentSource = (*Store)(nil)
)

// NewStore returns a Store on pool (the application role).
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool, now: time.Now} }

// WithClock returns a copy of s that reads documents' expiry against now: a
// valid document whose expires_on has passed is read as expired.
func (s *Store) WithClock(now func() time.Time) *Store {
	c := *s
	c.now = now
	return &c
}

const personColumns = `personal_id, old_id, full_name, birth_date, gender, nationality, street, ward, district,
	province, country, phone, email, passport_no, coalesce(guardian_id, ''), guardian_relation, issue_date`

// Person implements attributes.Registry.
func (s *Store) Person(ctx context.Context, personalID string) (attributes.Person, error) {
	var p attributes.Person
	var gender string
	var issue *time.Time
	err := s.pool.QueryRow(ctx, `SELECT `+personColumns+` FROM population WHERE personal_id = $1`, personalID).Scan(
		&p.PersonalID, &p.OldID, &p.FullName, &p.BirthDate, &gender, &p.Nationality,
		&p.Residence.Street, &p.Residence.Ward, &p.Residence.District, &p.Residence.Province, &p.Residence.Country,
		&p.Phone, &p.Email, &p.PassportNo, &p.GuardianID, &p.GuardianRelation, &issue)
	if errors.Is(err, pgx.ErrNoRows) {
		return attributes.Person{}, attributes.ErrNotFound
	}
	if err != nil {
		return attributes.Person{}, fmt.Errorf("attributes/postgres: person: %w", err)
	}
	p.Gender = attributes.Gender(gender)
	p.BirthDate = dateUTC(p.BirthDate)
	if issue != nil {
		p.IssueDate = dateUTC(*issue)
	}
	return p, nil
}

// Dependents implements attributes.Registry: the people registered under
// personalID, oldest first.
func (s *Store) Dependents(ctx context.Context, personalID string) ([]attributes.Dependent, error) {
	rows, err := s.pool.Query(ctx, `SELECT personal_id, full_name, birth_date, gender, guardian_relation
		FROM population WHERE guardian_id = $1 ORDER BY birth_date, personal_id`, personalID)
	if err != nil {
		return nil, fmt.Errorf("attributes/postgres: dependents: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (attributes.Dependent, error) {
		var d attributes.Dependent
		var gender string
		err := row.Scan(&d.PersonalID, &d.FullName, &d.BirthDate, &gender, &d.Relation)
		d.Gender, d.BirthDate = attributes.Gender(gender), dateUTC(d.BirthDate)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("attributes/postgres: dependents: %w", err)
	}
	return out, nil
}

// Documents implements attributes.DocumentSource: holderID's documents of
// the given kinds (all kinds when none given) that are in the holder's
// wallet (integrated: never one a feed created and the holder has not
// integrated, nor one the holder removed), by kind then number, each with
// its status on today's date (attributes.EffectiveStatus).
func (s *Store) Documents(ctx context.Context, holderID string, kinds ...attributes.DocumentKind) ([]attributes.Document, error) {
	ks := make([]string, len(kinds))
	for i, k := range kinds {
		ks[i] = string(k)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+documentColumns+`
		FROM documents WHERE holder_id = $1 AND wallet = 'integrated' AND (cardinality($2::text[]) = 0 OR kind = ANY($2))
		ORDER BY kind, number`, holderID, ks)
	if err != nil {
		return nil, fmt.Errorf("attributes/postgres: documents: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (attributes.Document, error) {
		d, err := scanDocument(row)
		d.Status = attributes.EffectiveStatus(d, s.now())
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("attributes/postgres: documents: %w", err)
	}
	return out, nil
}

const documentColumns = `kind, number, holder_id, issued_on, expires_on, issuer, fields, status`

// scanDocument reads documentColumns (the status as recorded).
func scanDocument(row pgx.Row, more ...any) (attributes.Document, error) {
	var d attributes.Document
	var kind string
	var issued, expires *time.Time
	var fields []byte
	dest := append([]any{&kind, &d.Number, &d.HolderID, &issued, &expires, &d.Issuer, &fields, &d.Status}, more...)
	if err := row.Scan(dest...); err != nil {
		return d, err
	}
	d.Kind = attributes.DocumentKind(kind)
	if issued != nil {
		d.IssuedOn = dateUTC(*issued)
	}
	if expires != nil {
		t := dateUTC(*expires)
		d.ExpiresOn = &t
	}
	if len(fields) > 0 && string(fields) != "{}" {
		if err := json.Unmarshal(fields, &d.Fields); err != nil {
			return d, err
		}
	}
	return d, nil
}

// Write stores people and documents in one transaction (see WritePeople).
func (s *Store) Write(ctx context.Context, people []attributes.Person, docs []attributes.Document) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := WritePeople(ctx, tx, people); err != nil {
			return err
		}
		_, err := WriteDocuments(ctx, tx, docs)
		return err
	})
}

// WritePeople inserts or replaces population records inside tx: COPY into a
// temporary table, then one INSERT … ON CONFLICT, so thousands of records
// take one round trip each way.
func WritePeople(ctx context.Context, tx pgx.Tx, people []attributes.Person) (int64, error) {
	if len(people) == 0 {
		return 0, nil
	}
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE population_in (LIKE population INCLUDING DEFAULTS) ON COMMIT DROP`); err != nil {
		return 0, fmt.Errorf("attributes/postgres: write people: %w", err)
	}
	cols := []string{"personal_id", "old_id", "full_name", "birth_date", "gender", "nationality", "street", "ward",
		"district", "province", "country", "phone", "email", "passport_no", "guardian_id", "guardian_relation", "issue_date"}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"population_in"}, cols, pgx.CopyFromSlice(len(people), func(i int) ([]any, error) {
		p := people[i]
		return []any{p.PersonalID, p.OldID, p.FullName, dateUTC(p.BirthDate), string(p.Gender), p.Nationality,
			p.Residence.Street, p.Residence.Ward, p.Residence.District, p.Residence.Province, p.Residence.Country,
			p.Phone, p.Email, p.PassportNo, nullString(p.GuardianID), p.GuardianRelation, nullDate(p.IssueDate)}, nil
	}))
	if err != nil {
		return 0, fmt.Errorf("attributes/postgres: write people: %w", err)
	}
	tag, err := tx.Exec(ctx, `INSERT INTO population (`+joinCols(cols)+`, updated_at)
		SELECT `+joinCols(cols)+`, now() FROM population_in
		ON CONFLICT (personal_id) DO UPDATE SET old_id = EXCLUDED.old_id, full_name = EXCLUDED.full_name,
			birth_date = EXCLUDED.birth_date, gender = EXCLUDED.gender, nationality = EXCLUDED.nationality,
			street = EXCLUDED.street, ward = EXCLUDED.ward, district = EXCLUDED.district, province = EXCLUDED.province,
			country = EXCLUDED.country, phone = EXCLUDED.phone, email = EXCLUDED.email, passport_no = EXCLUDED.passport_no,
			guardian_id = EXCLUDED.guardian_id, guardian_relation = EXCLUDED.guardian_relation,
			issue_date = EXCLUDED.issue_date, updated_at = now()`)
	if err != nil {
		return 0, fmt.Errorf("attributes/postgres: write people: %w", err)
	}
	return tag.RowsAffected(), nil
}

// WriteDocuments inserts or replaces documents inside tx, like WritePeople.
// A new document is integrated into its holder's wallet (the population
// import brings documents already integrated); a replaced one keeps its
// wallet state, so that a document its holder removed stays removed.
func WriteDocuments(ctx context.Context, tx pgx.Tx, docs []attributes.Document) (int64, error) {
	if len(docs) == 0 {
		return 0, nil
	}
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE documents_in (LIKE documents INCLUDING DEFAULTS) ON COMMIT DROP`); err != nil {
		return 0, fmt.Errorf("attributes/postgres: write documents: %w", err)
	}
	cols := []string{"kind", "number", "holder_id", "issued_on", "expires_on", "issuer", "fields", "status"}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"documents_in"}, cols, pgx.CopyFromSlice(len(docs), func(i int) ([]any, error) {
		d := docs[i]
		fields := d.Fields
		if fields == nil {
			fields = map[string]string{}
		}
		status := d.Status
		if status == "" {
			status = "valid"
		}
		var expires any
		if d.ExpiresOn != nil {
			expires = dateUTC(*d.ExpiresOn)
		}
		return []any{string(d.Kind), d.Number, d.HolderID, nullDate(d.IssuedOn), expires, d.Issuer, fields, status}, nil
	}))
	if err != nil {
		return 0, fmt.Errorf("attributes/postgres: write documents: %w", err)
	}
	tag, err := tx.Exec(ctx, `INSERT INTO documents (`+joinCols(cols)+`, wallet, updated_at)
		SELECT `+joinCols(cols)+`, 'integrated', now() FROM documents_in
		ON CONFLICT (kind, number) DO UPDATE SET holder_id = EXCLUDED.holder_id, issued_on = EXCLUDED.issued_on,
			expires_on = EXCLUDED.expires_on, issuer = EXCLUDED.issuer, fields = EXCLUDED.fields,
			status = EXCLUDED.status, updated_at = now()`)
	if err != nil {
		return 0, fmt.Errorf("attributes/postgres: write documents: %w", err)
	}
	return tag.RowsAffected(), nil
}

// Existing returns which of ids have population records, inside tx.
func Existing(ctx context.Context, tx pgx.Tx, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := tx.Query(ctx, `SELECT personal_id FROM population WHERE personal_id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("attributes/postgres: existing: %w", err)
	}
	found, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("attributes/postgres: existing: %w", err)
	}
	for _, id := range found {
		out[id] = true
	}
	return out, nil
}

func joinCols(cols []string) string { return strings.Join(cols, ", ") }

func dateUTC(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

func nullDate(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return dateUTC(t)
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}
