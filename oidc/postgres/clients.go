package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dinhdanh/dinhdanh/oidc"
)

// decodedClients keeps each client as last decoded, keyed by its id, with
// the stored JSON it came from: the token, introspection and userinfo paths
// read the client with every request, and decoding its JSON was the largest
// allocation of a token read (bench/README.md, profiles). A row that changed
// in any way decodes again; nothing is ever served from a stale row, since
// the row is still read with every request (the same round trip as the
// token's) and only its decoding is saved. Callers get a Clone.
type decodedClients struct {
	mu sync.Mutex
	m  map[string]decodedClient
}

type decodedClient struct {
	data   []byte
	client oidc.Client
}

// maxDecodedClients bounds the cache: past it, it starts again empty (a
// country has thousands of relying parties, not millions).
const maxDecodedClients = 20000

// decode is decodeClient for the client stored as id, whose row holds
// data: from the cache when data is what was decoded last time.
func (d *decodedClients) decode(id string, data, secretHash []byte, disabled bool) (oidc.Client, error) {
	d.mu.Lock()
	e, ok := d.m[id]
	d.mu.Unlock()
	if !ok || !bytes.Equal(e.data, data) {
		c, err := decodeClient(data, nil, false)
		if err != nil {
			return oidc.Client{}, err
		}
		e = decodedClient{data: data, client: c}
		d.mu.Lock()
		if d.m == nil || len(d.m) >= maxDecodedClients {
			d.m = make(map[string]decodedClient)
		}
		d.m[id] = e
		d.mu.Unlock()
	}
	c := e.client.Clone()
	c.SecretHash = secretHash
	c.Disabled = disabled
	return c, nil
}

func decodeClient(data, secretHash []byte, disabled bool) (oidc.Client, error) {
	var c oidc.Client
	if err := json.Unmarshal(data, &c); err != nil {
		return oidc.Client{}, fmt.Errorf("oidc/postgres: decode client: %w", err)
	}
	c.SecretHash = secretHash
	c.Disabled = disabled
	return c, nil
}

func (s *Store) loadClient(ctx context.Context, id string) (oidc.Client, error) {
	var data, hash []byte
	var disabled bool
	err := s.q(ctx).QueryRow(ctx, `SELECT data, secret_hash, disabled FROM oidc_clients WHERE id = $1`, id).
		Scan(&data, &hash, &disabled)
	if errors.Is(err, pgx.ErrNoRows) {
		return oidc.Client{}, oidc.ErrNotFound
	}
	if err != nil {
		return oidc.Client{}, fmt.Errorf("oidc/postgres: load client: %w: %w", oidc.ErrUnavailable, err)
	}
	return decodeClient(data, hash, disabled)
}

// loadClientWithPolicy is loadClient and the operators' kind rules in one
// round trip: GetClient runs on every authorization, PAR and token request,
// and the rules table is a handful of rows.
func (s *Store) loadClientWithPolicy(ctx context.Context, id string) (oidc.Client, []oidc.KindRule, error) {
	var data, hash, rulesJSON []byte
	var disabled bool
	err := s.q(ctx).QueryRow(ctx, `SELECT c.data, c.secret_hash, c.disabled,
			COALESCE((SELECT json_agg(json_build_object('kind', p.kind, 'scope', p.scope, 'allowed', p.allowed))
				FROM oidc_kind_policy p), '[]')
		FROM oidc_clients c WHERE c.id = $1`, id).
		Scan(&data, &hash, &disabled, &rulesJSON)
	if errors.Is(err, pgx.ErrNoRows) {
		return oidc.Client{}, nil, oidc.ErrNotFound
	}
	if err != nil {
		return oidc.Client{}, nil, fmt.Errorf("oidc/postgres: load client: %w: %w", oidc.ErrUnavailable, err)
	}
	var raw []struct {
		Kind    string `json:"kind"`
		Scope   string `json:"scope"`
		Allowed bool   `json:"allowed"`
	}
	if err := json.Unmarshal(rulesJSON, &raw); err != nil {
		return oidc.Client{}, nil, fmt.Errorf("oidc/postgres: kind policy: %w", err)
	}
	rules := make([]oidc.KindRule, 0, len(raw))
	for _, r := range raw {
		rules = append(rules, oidc.KindRule{Kind: oidc.Kind(r.Kind), Scope: r.Scope, Allowed: r.Allowed})
	}
	c, err := s.clients.decode(id, data, hash, disabled)
	return c, rules, err
}

// CreateClient implements oidc.ClientStore.
func (s *Store) CreateClient(ctx context.Context, c oidc.Client) error {
	data, err := json.Marshal(c)
	if err != nil {
		return err
	}
	_, err = s.q(ctx).Exec(ctx, `INSERT INTO oidc_clients (id, data, secret_hash, disabled, created_at, updated_at, org_code)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, c.ID, data, c.SecretHash, c.Disabled, c.CreatedAt.UTC(), c.UpdatedAt.UTC(), c.Organisation.Code)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return oidc.ErrAlreadyExists
	}
	if err != nil {
		return fmt.Errorf("oidc/postgres: create client: %w", err)
	}
	return nil
}

// LoadClient implements oidc.ClientStore.
func (s *Store) LoadClient(ctx context.Context, id string) (oidc.Client, error) {
	return s.loadClient(ctx, id)
}

// ListClients implements oidc.ClientStore.
func (s *Store) ListClients(ctx context.Context) ([]oidc.Client, error) {
	return s.listClients(ctx, `SELECT data, secret_hash, disabled FROM oidc_clients ORDER BY id`)
}

// ClientsByOrganisation implements oidc.OrganisationStore: the clients
// whose owner has the registration or tax code code (oidc_clients_org_code_idx).
func (s *Store) ClientsByOrganisation(ctx context.Context, code string) ([]oidc.Client, error) {
	if code == "" {
		return []oidc.Client{}, nil
	}
	return s.listClients(ctx, `SELECT data, secret_hash, disabled FROM oidc_clients WHERE org_code = $1 ORDER BY id`, code)
}

func (s *Store) listClients(ctx context.Context, query string, args ...any) ([]oidc.Client, error) {
	rows, err := s.q(ctx).Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("oidc/postgres: list clients: %w", err)
	}
	defer rows.Close()
	out := []oidc.Client{}
	for rows.Next() {
		var data, hash []byte
		var disabled bool
		if err := rows.Scan(&data, &hash, &disabled); err != nil {
			return nil, err
		}
		c, err := decodeClient(data, hash, disabled)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// UpdateClient implements oidc.ClientStore: fn runs on the row locked FOR
// UPDATE, inside one transaction.
func (s *Store) UpdateClient(ctx context.Context, id string, fn func(*oidc.Client) error) (oidc.Client, error) {
	var out oidc.Client
	err := s.inTx(ctx, func(ctx context.Context) error {
		var data, hash []byte
		var disabled bool
		err := s.q(ctx).QueryRow(ctx, `SELECT data, secret_hash, disabled FROM oidc_clients WHERE id = $1 FOR UPDATE`, id).
			Scan(&data, &hash, &disabled)
		if errors.Is(err, pgx.ErrNoRows) {
			return oidc.ErrNotFound
		}
		if err != nil {
			return err
		}
		c, err := decodeClient(data, hash, disabled)
		if err != nil {
			return err
		}
		if err := fn(&c); err != nil {
			return err
		}
		c.ID = id
		data, err = json.Marshal(c)
		if err != nil {
			return err
		}
		_, err = s.q(ctx).Exec(ctx, `UPDATE oidc_clients SET data = $2, secret_hash = $3, disabled = $4, updated_at = $5, org_code = $6 WHERE id = $1`,
			id, data, c.SecretHash, c.Disabled, c.UpdatedAt.UTC(), c.Organisation.Code)
		out = c
		return err
	})
	if err != nil {
		if errors.Is(err, oidc.ErrNotFound) || errors.Is(err, oidc.ErrInvalidClient) {
			return oidc.Client{}, err
		}
		return oidc.Client{}, fmt.Errorf("oidc/postgres: update client %q: %w", id, err)
	}
	return out, nil
}
