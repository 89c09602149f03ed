// Package audittest has a spy audit.Recorder for tests of the packages that
// record events, and Tamper for tests that must find a log altered behind
// the application's back. The spy is a test double of the Recorder
// interface, not of a store: the real writer is tested in audit/postgres.
package audittest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/audit"
)

// Tamper runs statements in one transaction on super, a superuser's
// connection (pgtest.DB.Super), with the append-only triggers off
// (session_replication_role = replica skips ordinary triggers): what an
// attacker with the database's keys could do, and the chain must reveal.
func Tamper(t testing.TB, super *pgx.Conn, stmts ...string) {
	t.Helper()
	ctx := t.Context()
	err := pgx.BeginFunc(ctx, super, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SET LOCAL session_replication_role = replica"); err != nil {
			return err
		}
		for _, s := range stmts {
			if _, err := tx.Exec(ctx, s); err != nil {
				return fmt.Errorf("%s: %w", s, err)
			}
		}
		return nil
	})
	require.NoError(t, err)
}

// Spy records events in memory. SetFail makes Record fail, as a down audit
// store would, so tests can check that the action fails with it.
type Spy struct {
	mu     sync.Mutex
	events []audit.Event
	fail   error
	before func(audit.Event)
}

// Record implements audit.Recorder.
func (s *Spy) Record(_ context.Context, e audit.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.before != nil {
		s.before(e)
	}
	if s.fail != nil {
		return s.fail
	}
	s.events = append(s.events, e)
	return nil
}

// Before makes Record call fn first with each event (nil: nothing), for a
// test that acts at the moment an event is written, such as a client
// disconnecting.
func (s *Spy) Before(fn func(audit.Event)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.before = fn
}

// SetFail makes every later Record return err (nil: succeed again).
func (s *Spy) SetFail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = err
}

// Events returns a copy of what was recorded, oldest first.
func (s *Spy) Events() []audit.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.events)
}

// Reset forgets the recorded events.
func (s *Spy) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = nil
}

// Types returns the recorded event types, oldest first.
func (s *Spy) Types() []audit.EventType {
	var out []audit.EventType
	for _, e := range s.Events() {
		out = append(out, e.Type)
	}
	return out
}

// OfReason returns the recorded events of type t with the given reason.
func (s *Spy) OfReason(t audit.EventType, reason string) []audit.Event {
	var out []audit.Event
	for _, e := range s.Of(t) {
		if e.Reason == reason {
			out = append(out, e)
		}
	}
	return out
}

// Of returns the recorded events of type t.
func (s *Spy) Of(t audit.EventType) []audit.Event {
	var out []audit.Event
	for _, e := range s.Events() {
		if e.Type == t {
			out = append(out, e)
		}
	}
	return out
}
