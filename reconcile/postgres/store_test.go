package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/audit/audittest"
	"github.com/dinhdanh/dinhdanh/internal/testclock"
	"github.com/dinhdanh/dinhdanh/reconcile"
	"github.com/dinhdanh/dinhdanh/reconcile/postgres"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func d(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 0, 0, 0, 0, time.UTC) }

type person struct {
	id, name                         string
	birth                            time.Time
	street, ward, district, province string
}

var (
	addrHN  = [4]string{"1 Tràng Tiền", "Tràng Tiền", "Hoàn Kiếm", "Hà Nội"}
	addrHN2 = [4]string{"5 Kim Mã", "Kim Mã", "Ba Đình", "Hà Nội"}
	addrHCM = [4]string{"10 Lê Lợi", "Bến Nghé", "Quận 1", "Hồ Chí Minh"}
)

func p(id, name string, birth time.Time, a [4]string) person {
	return person{id, name, birth, a[0], a[1], a[2], a[3]}
}

// The fixture population: every kind of finding needs one of them.
var people = []person{
	p("001090000001", "Nguyễn Văn An", d(1990, 1, 2), addrHN),
	p("001190000002", "Trần Thị Bình", d(1990, 5, 6), addrHN2),
	p("079085000003", "Lê Văn Cường", d(1985, 3, 4), addrHCM),
	p("079095000004", "Phạm Văn Dũng", d(1995, 7, 8), addrHCM), // two people with the same
	p("079095000005", "Phạm Văn Dũng", d(1995, 7, 8), addrHCM), // name, birth and address
	p("001088000006", "Hoàng Văn Em", d(1988, 1, 1), addrHN),
	p("001092000007", "Đặng Văn Khoa", d(1992, 2, 2), addrHN),
}

func v(number, owner, name string, birth time.Time, a [4]string, retired bool) postgres.VehicleRecord {
	return postgres.VehicleRecord{Number: number, OwnerID: owner, OwnerName: name, OwnerBirthDate: birth,
		OwnerStreet: a[0], OwnerWard: a[1], OwnerDistrict: a[2], OwnerProvince: a[3], Retired: retired}
}

var vehicles = []postgres.VehicleRecord{
	v("29A-00001", "001090000001", "nguyễn văn an ", d(1990, 1, 2), addrHN, false), // right (case and spaces ignored)
	v("29A-00002", "", "Trần Thị Bình", d(1990, 5, 6), addrHN2, false),             // completed, then shared with 29A-00015
	v("29A-00003", "", "Ngô Văn Mới", d(1970, 1, 1), addrHN, false),                // nobody matches
	v("51F-00004", "", "Phạm Văn Dũng", d(1995, 7, 8), addrHCM, false),             // two people match
	v("29A-00005", "12345", "Nguyễn Văn An", d(1990, 1, 2), addrHN, false),         // not 12 digits
	v("29A-00006", "999090000001", "Nguyễn Văn An", d(1990, 1, 2), addrHN, false),  // unknown province
	v("29A-00007", "001085000001", "Nguyễn Văn An", d(1990, 1, 2), addrHN, false),  // year of birth
	v("29A-00008", "001090999999", "Nguyễn Văn An", d(1990, 1, 2), addrHN, false),  // not in the registry
	v("51F-00009", "079085000003", "Lê Văn Cường", d(1985, 3, 4), addrHCM, false),  // right, but shared with 51F-00010
	v("51F-00010", "079085000003", "Đỗ Văn Giang", d(1985, 3, 4), addrHCM, false),  // names someone else (name)
	v("29A-00011", "001088000006", "Hoàng Văn Em", d(1988, 12, 12), addrHN, false), // names someone else (birth date)
	v("29A-00012", "001092000007", "Vũ Thị Hoa", d(1992, 9, 9), addrHN, false),     // names someone else (both)
	v("29A-00013", "bad", "Nguyễn Văn An", d(1990, 1, 2), addrHN, true),            // retired: never wrong
	v("29A-00014", "", "Trần Thị Bình", d(1990, 5, 6), addrHN2, true),              // retired: never completed
	v("29A-00015", "001190000002", "Bùi Văn Long", d(1990, 5, 6), addrHN2, false),  // names someone else, shared after completion
}

type want struct {
	number string
	kind   reconcile.Kind
	reason string
	before string
	after  string
}

func seed(t *testing.T, db *pgtest.DB, s *postgres.Store) {
	t.Helper()
	for _, x := range people {
		_, err := db.App.Exec(t.Context(), `INSERT INTO population (personal_id, full_name, birth_date, gender, nationality, street, ward, district, province, country)
			VALUES ($1, $2, $3, 'male', 'VN', $4, $5, $6, $7, 'VN')`, x.id, x.name, x.birth, x.street, x.ward, x.district, x.province)
		require.NoError(t, err)
	}
	require.NoError(t, s.PutVehicles(t.Context(), vehicles))
}

func TestReconcileFindings(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	clock := testclock.New(d(2026, 12, 9))
	s := postgres.NewStore(db.App, clock.Now)
	ctx := t.Context()
	seed(t, db, s)

	var reports []reconcile.Progress
	run, err := s.Reconcile(ctx, "op", reconcile.DefaultRules(), 4, func(p reconcile.Progress) {
		clock.Advance(time.Second)
		reports = append(reports, p)
	})
	require.NoError(t, err)
	require.EqualValues(t, len(vehicles), run.Records)
	require.False(t, run.FinishedAt.IsZero())
	require.Len(t, reports, 4) // after 4, 8 and 12 records, then once at the end
	require.Equal(t, reconcile.Progress{Done: 4, Total: 15, Elapsed: 0}, reports[0])
	require.Equal(t, reconcile.Progress{Done: 15, Total: 15, Elapsed: 3 * time.Second}, reports[3])

	wants := []want{
		{"29A-00002", reconcile.Completed, reconcile.ReasonCompleted, "", "001190000002"},
		{"29A-00002", reconcile.SharedID, reconcile.ReasonShared, "001190000002", "001190000002"},
		{"29A-00003", reconcile.Unmatched, reconcile.ReasonNoMatch, "", ""},
		{"29A-00005", reconcile.WrongID, reconcile.ReasonLength, "12345", "12345"},
		{"29A-00006", reconcile.WrongID, reconcile.ReasonProvince, "999090000001", "999090000001"},
		{"29A-00007", reconcile.WrongID, reconcile.ReasonYear, "001085000001", "001085000001"},
		{"29A-00008", reconcile.WrongID, reconcile.ReasonNotInRegistry, "001090999999", "001090999999"},
		{"29A-00011", reconcile.WrongID, reconcile.ReasonBirthDiffers, "001088000006", "001088000006"},
		{"29A-00012", reconcile.WrongID, reconcile.ReasonBothDiffer, "001092000007", "001092000007"},
		{"29A-00013", reconcile.Retired, reconcile.ReasonRetired, "bad", "bad"},
		{"29A-00014", reconcile.Retired, reconcile.ReasonRetired, "", ""},
		{"29A-00015", reconcile.SharedID, reconcile.ReasonShared, "001190000002", "001190000002"},
		{"29A-00015", reconcile.WrongID, reconcile.ReasonNameDiffers, "001190000002", "001190000002"},
		{"51F-00004", reconcile.Unmatched, reconcile.ReasonSeveralMatch, "", ""},
		{"51F-00009", reconcile.SharedID, reconcile.ReasonShared, "079085000003", "079085000003"},
		{"51F-00010", reconcile.SharedID, reconcile.ReasonShared, "079085000003", "079085000003"},
		{"51F-00010", reconcile.WrongID, reconcile.ReasonNameDiffers, "079085000003", "079085000003"},
	}
	var got []want
	provinces := map[string]string{}
	require.NoError(t, s.Findings(ctx, run.ID, nil, func(f reconcile.Finding) error {
		require.Equal(t, run.ID, f.RunID)
		got = append(got, want{f.Number, f.Kind, f.Reason, f.Before, f.After})
		provinces[f.Number] = f.Province
		return nil
	}))
	sort.Slice(got, func(i, j int) bool {
		if got[i].number != got[j].number {
			return got[i].number < got[j].number
		}
		return got[i].kind < got[j].kind
	})
	require.Equal(t, wants, got)
	require.Equal(t, "Hồ Chí Minh", provinces["51F-00010"])

	// The Go form of the rules agrees with the SQL on every number checked.
	for _, r := range vehicles {
		if r.Retired || r.OwnerID == "" {
			continue
		}
		reason := reconcile.CheckID(r.OwnerID, r.OwnerBirthDate)
		if reason == "" {
			continue
		}
		require.Contains(t, got, want{r.Number, reconcile.WrongID, reason, r.OwnerID, r.OwnerID}, r.Number)
	}

	figs, err := s.Figures(ctx, run.ID)
	require.NoError(t, err)
	require.Equal(t, map[reconcile.Kind]int64{
		reconcile.Completed: 1, reconcile.Unmatched: 2, reconcile.WrongID: 8, reconcile.SharedID: 4, reconcile.Retired: 2,
	}, reconcile.Totals(figs))
	require.Contains(t, figs, reconcile.Figure{Province: "Hồ Chí Minh", Kind: reconcile.SharedID, Count: 2})

	owner, err := s.OwnerID(ctx, "29A-00002")
	require.NoError(t, err)
	require.Equal(t, "001190000002", owner)
	owner, err = s.OwnerID(ctx, "29A-00014")
	require.NoError(t, err)
	require.Equal(t, "", owner, "a retired vehicle is never completed")
}

func TestReconcileUndo(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	s := postgres.NewStore(db.App, nil)
	ctx := t.Context()
	seed(t, db, s)
	extra := v("30B-00001", "", "Nguyễn Văn An", d(1990, 1, 2), addrHN, false) // completed too
	require.NoError(t, s.PutVehicles(ctx, []postgres.VehicleRecord{extra}))
	run, err := s.Reconcile(ctx, "op", reconcile.DefaultRules(), 0, nil)
	require.NoError(t, err)

	tests := []struct {
		name     string
		run      int64
		number   string
		restored int64
		err      error
	}{
		{"unknown run", run.ID + 1, "", 0, reconcile.ErrNotFound},
		{"unknown vehicle", run.ID, "99Z-99999", 0, reconcile.ErrNotFound},
		{"a flag changes nothing to undo", run.ID, "29A-00005", 0, reconcile.ErrNotUndoable},
		{"one finding", run.ID, "29A-00002", 1, nil},
		{"the same again", run.ID, "29A-00002", 0, reconcile.ErrUndone},
		{"the rest of the run", run.ID, "", 1, nil},
		{"the run again", run.ID, "", 0, nil},
	}
	for _, tt := range tests {
		n, err := s.Undo(ctx, tt.run, tt.number, "op2")
		if tt.err != nil {
			require.ErrorIs(t, err, tt.err, tt.name)
			continue
		}
		require.NoError(t, err, tt.name)
		require.Equal(t, tt.restored, n, tt.name)
	}
	for _, number := range []string{"29A-00002", "30B-00001"} {
		owner, err := s.OwnerID(ctx, number)
		require.NoError(t, err)
		require.Equal(t, "", owner, number)
	}
	figs, err := s.Figures(ctx, run.ID)
	require.NoError(t, err)
	require.Zero(t, reconcile.Totals(figs)[reconcile.Completed])
	latest, err := s.LatestRun(ctx)
	require.NoError(t, err)
	require.Equal(t, run.ID, latest.ID)
	require.False(t, latest.UndoneAt.IsZero())
}

// TestScheduleClaim: replicas that reach a scheduled period at once each
// try to claim it; exactly one wins and runs, the others are told it was
// claimed, and the period is never run twice, even after the run ended.
func TestScheduleClaim(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	s := postgres.NewStore(db.App, nil)
	ctx := t.Context()
	seed(t, db, s)
	audits := &audittest.Spy{}
	svc, err := reconcile.New(reconcile.Config{Store: s, Audit: audits})
	require.NoError(t, err)

	const period = "2026-12-11T00:00:00Z"
	const claimers = 4
	type result struct {
		run reconcile.Run
		err error
	}
	results := make(chan result, claimers)
	start := make(chan struct{})
	for range claimers {
		go func() {
			<-start
			run, err := svc.Scheduled(ctx, period)
			results <- result{run, err}
		}()
	}
	close(start)
	var won []reconcile.Run
	for range claimers {
		r := <-results
		if r.err == nil {
			won = append(won, r.run)
			continue
		}
		require.ErrorIs(t, r.err, reconcile.ErrPeriodClaimed)
	}
	require.Len(t, won, 1, "exactly one claimer runs the period")
	require.EqualValues(t, len(vehicles), won[0].Records)
	require.Equal(t, period, won[0].Period)
	require.Equal(t, reconcile.ScheduleActor, won[0].Actor)

	_, err = svc.Scheduled(ctx, period)
	require.ErrorIs(t, err, reconcile.ErrPeriodClaimed, "a finished period is not run again")
	next, err := svc.Scheduled(ctx, "2026-12-12T00:00:00Z")
	require.NoError(t, err, "the next period runs")
	require.Greater(t, next.ID, won[0].ID)

	ev := audits.Of(audit.OperatorAction)
	require.Len(t, ev, 2, "one audit event per run, none for a refused claim")
	require.Equal(t, reconcile.ReasonAuditRun, ev[0].Reason)
	require.Equal(t, period, ev[0].Detail["period"])
	require.Equal(t, audit.Success, ev[0].Outcome)
}

// TestOneRunAtATime: a run not finished and making progress blocks a new
// one (by hand or scheduled); a stopped or silent one does not.
func TestOneRunAtATime(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	s := postgres.NewStore(db.App, nil)
	ctx := t.Context()
	seed(t, db, s)

	run, err := s.Start(ctx, "op", "")
	require.NoError(t, err)
	got, err := s.GetRun(ctx, run.ID)
	require.NoError(t, err)
	require.True(t, got.Running(time.Now()))
	_, err = s.Start(ctx, "op2", "")
	require.ErrorIs(t, err, reconcile.ErrRunning)
	_, err = s.Start(ctx, reconcile.ScheduleActor, "2026-12-11T00:00:00Z")
	require.ErrorIs(t, err, reconcile.ErrRunning)

	// Its process died: no progress for longer than RunStaleAfter.
	_, err = db.App.Exec(ctx, `UPDATE reconcile_runs SET progress_at = now() - interval '16 minutes' WHERE id = $1`, run.ID)
	require.NoError(t, err)
	second, err := s.Start(ctx, "op2", "")
	require.NoError(t, err)

	// A run that fails is marked stopped and blocks nothing.
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = s.Continue(cancelled, second, reconcile.DefaultRules(), 0, nil)
	require.Error(t, err)
	got, err = s.GetRun(ctx, second.ID)
	require.NoError(t, err)
	require.False(t, got.StoppedAt.IsZero())
	require.False(t, got.Running(time.Now()))
	third, err := s.Reconcile(ctx, "op3", reconcile.DefaultRules(), 0, nil)
	require.NoError(t, err)

	runs, err := s.Runs(ctx, 2)
	require.NoError(t, err)
	require.Equal(t, []int64{third.ID, second.ID}, []int64{runs[0].ID, runs[1].ID})
	require.EqualValues(t, len(vehicles), runs[0].Records)
	require.Positive(t, runs[0].Took())
	_, err = s.GetRun(ctx, third.ID+10)
	require.ErrorIs(t, err, reconcile.ErrNotFound)
}

// TestFindingsExportAudited: a run's findings (vehicle numbers and owners'
// ID numbers) are exported only once the export is in the audit log, with
// the actor, the run and the number of rows; when the audit log refuses
// the event, nothing is written.
func TestFindingsExportAudited(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	s := postgres.NewStore(db.App, nil)
	ctx := t.Context()
	seed(t, db, s)
	audits := &audittest.Spy{}
	svc, err := reconcile.New(reconcile.Config{Store: s, Audit: audits})
	require.NoError(t, err)
	run, err := svc.Reconcile(ctx, "op", nil)
	require.NoError(t, err)

	var out bytes.Buffer
	require.NoError(t, svc.WriteFindingsCSV(ctx, writeFunc(func(b []byte) (int, error) {
		if out.Len() == 0 {
			require.Len(t, audits.OfReason(audit.OperatorAction, reconcile.ReasonAuditFindings), 1, "audited before the first byte")
		}
		return out.Write(b)
	}), run.ID, "op2"))
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	require.Equal(t, "run,vehicle,kind,reason,province,owner_id_before,owner_id_after,undone_at", lines[0])
	ev := audits.OfReason(audit.OperatorAction, reconcile.ReasonAuditFindings)
	require.Len(t, ev, 1)
	require.Equal(t, audit.Operator, ev[0].ActorKind)
	require.Equal(t, "op2", ev[0].ActorID)
	require.Equal(t, audit.Success, ev[0].Outcome)
	require.Equal(t, map[string]string{"run": strconv.FormatInt(run.ID, 10), "rows": strconv.Itoa(len(lines) - 1)}, ev[0].Detail)
	require.Greater(t, len(lines), 10)

	tests := []struct {
		name  string
		run   int64
		actor string
		fail  error
		err   error
	}{
		{"the audit log refuses", run.ID, "op2", errors.New("audit store down"), nil},
		{"unknown run", run.ID + 1, "op2", nil, reconcile.ErrNotFound},
		{"no actor", run.ID, " ", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			audits.SetFail(tt.fail)
			defer audits.SetFail(nil)
			var w bytes.Buffer
			err := svc.WriteFindingsCSV(ctx, &w, tt.run, tt.actor)
			require.Error(t, err)
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
			}
			if tt.fail != nil {
				require.ErrorIs(t, err, tt.fail)
			}
			require.Zero(t, w.Len(), "nothing written")
		})
	}
	require.Len(t, audits.OfReason(audit.OperatorAction, reconcile.ReasonAuditFindings), 1, "only the export that was written is recorded")
}

type writeFunc func([]byte) (int, error)

func (f writeFunc) Write(b []byte) (int, error) { return f(b) }
