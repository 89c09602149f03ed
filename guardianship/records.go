package guardianship

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/personalid"
)

// RecordInput is what an officer enters from a guardianship decision.
type RecordInput struct {
	WardID     string
	GuardianID string
	Number     string
	Starts     time.Time
	Ends       *time.Time
}

// EnterRecord checks and stores a guardianship record an officer enters:
// both personal id numbers are known to the registry and differ, the
// number is given, and an end comes after the start. Audited
// (GuardianshipRecordEntered, by the officer) before it commits, in the
// guardian's history when the guardian holds an account.
func (s *Service) EnterRecord(ctx context.Context, in RecordInput, by Officer) (Record, error) {
	r := Record{
		ID: uuid.NewString(), WardID: strings.TrimSpace(in.WardID), GuardianID: strings.TrimSpace(in.GuardianID),
		Number: strings.TrimSpace(in.Number), Starts: in.Starts.UTC(),
		OfficerID: strings.TrimSpace(by.ID), Unit: strings.TrimSpace(by.Unit), CreatedAt: s.Now(),
	}
	if in.Ends != nil {
		e := in.Ends.UTC()
		r.Ends = &e
	}
	var errs []error
	for _, pid := range []string{r.WardID, r.GuardianID} {
		if _, err := personalid.Parse(pid); err != nil {
			errs = append(errs, err)
		}
	}
	switch {
	case r.WardID == r.GuardianID:
		errs = append(errs, errors.New("the ward and the guardian are the same person"))
	case r.Number == "":
		errs = append(errs, errors.New("the decision number is required"))
	case r.Starts.IsZero():
		errs = append(errs, errors.New("the start date is required"))
	case r.Ends != nil && !r.Ends.After(r.Starts):
		errs = append(errs, errors.New("the end must come after the start"))
	case r.OfficerID == "" || r.Unit == "":
		errs = append(errs, errors.New("the officer and unit are required"))
	}
	if len(errs) > 0 {
		return Record{}, fmt.Errorf("%w: %w", ErrInvalid, errors.Join(errs...))
	}
	for _, pid := range []string{r.WardID, r.GuardianID} {
		if _, err := s.registry.Person(ctx, pid); errors.Is(err, attributes.ErrNotFound) {
			return Record{}, fmt.Errorf("%w: %s", ErrUnknownPerson, pid)
		} else if err != nil {
			return Record{}, fmt.Errorf("guardianship: enter record: %w", err)
		}
	}
	accountID, err := s.accountOf(ctx, r.GuardianID)
	if err != nil {
		return Record{}, err
	}
	e := s.officerEvent(by, audit.GuardianshipRecordEntered, accountID, r)
	if err := s.store.CreateRecord(ctx, r, func() error { return s.record(ctx, e) }); err != nil {
		return Record{}, fmt.Errorf("guardianship: enter record: %w", err)
	}
	return r, nil
}

// EndRecord sets the end of a guardianship record (a later decision ended
// it); at is not before its start. The end becomes the authority end of the
// ward registered on it: the guardian's authority stops at at, and Sweep
// records it then. Audited like EnterRecord.
func (s *Service) EndRecord(ctx context.Context, id string, at time.Time, by Officer) (Record, error) {
	at = at.UTC()
	if strings.TrimSpace(by.ID) == "" || strings.TrimSpace(by.Unit) == "" {
		return Record{}, fmt.Errorf("%w: the officer and unit are required", ErrInvalid)
	}
	out, err := s.store.UpdateRecord(ctx, id, func(r *Record) error {
		if at.Before(r.Starts) {
			return fmt.Errorf("%w: the end comes before the start", ErrInvalid)
		}
		if r.Ends != nil && !at.Before(*r.Ends) {
			return fmt.Errorf("%w: the record ends on %s already", ErrInvalid, r.Ends.Format(time.DateOnly))
		}
		r.Ends = &at
		accountID, err := s.accountOf(ctx, r.GuardianID)
		if err != nil {
			return err
		}
		return s.record(ctx, s.officerEvent(by, audit.GuardianshipRecordEnded, accountID, *r))
	})
	if err != nil {
		return Record{}, fmt.Errorf("guardianship: end record: %w", err)
	}
	return out, nil
}

// Records lists the newest guardianship records entered, at most limit.
func (s *Service) Records(ctx context.Context, limit int) ([]Record, error) {
	return s.store.ListRecords(ctx, limit)
}

// RecordsFor lists the records naming the ward, newest start first.
func (s *Service) RecordsFor(ctx context.Context, wardID string) ([]Record, error) {
	return s.store.RecordsFor(ctx, strings.TrimSpace(wardID))
}

func (s *Service) accountOf(ctx context.Context, pid string) (string, error) {
	a, err := s.accounts.ByPersonalID(ctx, pid)
	switch {
	case errors.Is(err, accounts.ErrNotFound):
		return "", nil
	case err != nil:
		return "", fmt.Errorf("guardianship: %w", err)
	}
	return a.ID, nil
}

func (s *Service) officerEvent(by Officer, t audit.EventType, accountID string, r Record) audit.Event {
	d := map[string]string{"record": r.ID, "unit": by.Unit, "starts": r.Starts.Format(time.RFC3339)}
	if r.Ends != nil {
		d["ends"] = r.Ends.Format(time.RFC3339)
	}
	if by.Session != "" {
		d["session"] = by.Session
	}
	return audit.Event{Type: t, ActorKind: audit.Officer, ActorID: by.ID, AccountID: accountID, Outcome: audit.Success,
		IP: by.IP, UserAgent: by.UserAgent, RequestID: by.RequestID, Detail: d}
}
