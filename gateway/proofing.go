package gateway

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/dinhdanh/dinhdanh/accounts"
	biometricspg "github.com/dinhdanh/dinhdanh/biometrics/postgres"
	"github.com/dinhdanh/dinhdanh/cardreader"
	"github.com/dinhdanh/dinhdanh/proofing"
	proofingapi "github.com/dinhdanh/dinhdanh/proofing/api"
	proofingpg "github.com/dinhdanh/dinhdanh/proofing/postgres"
	"github.com/dinhdanh/dinhdanh/staff"
)

// chipVerifier adapts package cardreader's passive and active
// authentication, with the CSCA list the operator loaded, to the proofing
// domain. Without a list every chip fails passive authentication, with a
// reason that says so.
type chipVerifier struct{ trust *cardreader.TrustStore }

// errNoTrust: no CSCA list is configured (proofing.trust).
var errNoTrust = errors.New("no country signing (CSCA) certificates are loaded (proofing.trust)")

// VerifyChip implements proofing.ChipVerifier.
func (v chipVerifier) VerifyChip(chip cardreader.ChipData, now time.Time) (proofing.ChipResult, error) {
	if v.trust == nil {
		return proofing.ChipResult{}, errNoTrust
	}
	res, err := cardreader.Verify(chip, v.trust, now)
	if err != nil && !res.PassiveAuth {
		// A signer named by an SOD whose data groups do not match (or
		// that is revoked, expired, badly signed) is not reported: passive
		// authentication did not pass, and the error names why. (When it
		// passed and only the chip's own proof failed, the error wraps
		// cardreader.ErrClone, as proofing.ChipVerifier says.)
		return proofing.ChipResult{}, err
	}
	return proofing.ChipResult{Signer: res.Signer, CSCA: res.CSCA, ActiveAuth: res.ActiveAuth}, err
}

// loadTrust reads the CSCA list named in the configuration, if any.
func loadTrust(path string) (*cardreader.TrustStore, error) {
	if path == "" {
		return nil, nil
	}
	ts, err := cardreader.LoadTrust(path)
	if err != nil {
		return nil, fmt.Errorf("gateway: proofing.trust: %w", err)
	}
	return ts, nil
}

// officerCredentials resolves an officer's API credential (ddo_…) to the
// staff member it was issued to, with the member's own roles and unit, for
// the counter's API. A credential issued before staff members existed
// (an officer id and a unit name) stands for an officer of that unit.
type officerCredentials struct{ svc *staff.Service }

func (o officerCredentials) principal(ctx context.Context, token string) (staff.Principal, error) {
	c, p, err := o.svc.AuthenticateMember(ctx, token)
	switch {
	case errors.Is(err, staff.ErrUnauthenticated):
		return staff.Principal{}, fmt.Errorf("%w: %w", proofingapi.ErrUnauthenticated, err)
	case err != nil:
		return staff.Principal{}, err
	case p != nil:
		return *p, nil
	}
	return staff.Principal{MemberID: c.OfficerID, Username: c.OfficerID, Name: c.OfficerID,
		Unit: staff.Unit{Code: c.Unit, Name: c.Unit}, Roles: []staff.Role{staff.RoleOfficer}, Session: "credential:" + c.ID}, nil
}

// ipWindow admits at most n requests a minute from one client address:
// the app's unauthenticated calls. A stranger exhausts only their own
// address's allowance, never a citizen's.
type ipWindow struct {
	n   int
	now func() time.Time

	mu     sync.Mutex
	window time.Time
	counts map[string]int
}

func (l *ipWindow) allow(ip string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if w := l.now().Truncate(time.Minute); !w.Equal(l.window) || l.counts == nil {
		l.window, l.counts = w, map[string]int{}
	}
	l.counts[ip]++
	return l.counts[ip] <= l.n
}

// proofingParts is what newProofing builds on.
type proofingParts struct {
	Accounts *accounts.Service
	// Registry is the population registry with the foreigners' laid over
	// it (foreigners.People), so that the counter looks up a foreigner by
	// the assigned number too.
	Registry proofing.Registry
	// Foreigners is the foreigners' registry a passport is matched with.
	Foreigners proofing.Foreigners
	// Notifier tells citizens the result (through the outbox).
	Notifier proofing.Notifier
	Staff    *staff.Service
}

// newProofing builds identity proofing and its JSON APIs.
func newProofing(o Options, p proofingParts) (*proofing.Service, *proofingpg.Store, *proofingapi.Handler, error) {
	ts, err := loadTrust(o.Config.Proofing.Trust)
	if err != nil {
		return nil, nil, nil, err
	}
	store := proofingpg.NewStore(o.Pool)
	svc, err := proofing.New(proofing.Config{
		Store: store, Chips: chipVerifier{trust: ts}, Registry: p.Registry, Foreigners: p.Foreigners,
		Accounts: p.Accounts, Biometrics: biometricspg.NewStore(o.Pool, o.Now), Matcher: proofing.TemplateMatcher{References: store, Threshold: o.Config.Proofing.FingerprintThreshold},
		Audit: o.Audit, Notifier: p.Notifier, Now: o.Now,
	})
	if err != nil {
		return nil, nil, nil, err
	}
	limit := &ipWindow{n: 30, now: o.Now}
	api := &proofingapi.Handler{Proofing: svc, Officer: officerCredentials{p.Staff}.principal, AppLimit: limit.allow, Logger: o.Logger}
	return svc, store, api, nil
}
