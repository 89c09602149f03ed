// Package audittest has a spy audit.Recorder for tests of the packages that
// record events. It is a test double of the Recorder interface, not of a
// store: the real writer is tested in audit/postgres.
package audittest

import (
	"context"
	"slices"
	"sync"

	"github.com/dinhdanh/dinhdanh/audit"
)

// Spy records events in memory. SetFail makes Record fail, as a down audit
// store would, so tests can check that the action fails with it.
type Spy struct {
	mu     sync.Mutex
	events []audit.Event
	fail   error
}

// Record implements audit.Recorder.
func (s *Spy) Record(_ context.Context, e audit.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	s.events = append(s.events, e)
	return nil
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
