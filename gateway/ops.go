package gateway

import (
	"context"

	"github.com/dinhdanh/dinhdanh/accounts"
	accountspg "github.com/dinhdanh/dinhdanh/accounts/postgres"
	"github.com/dinhdanh/dinhdanh/attributes"
	attributespg "github.com/dinhdanh/dinhdanh/attributes/postgres"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/consent"
	"github.com/dinhdanh/dinhdanh/foreigners"
	foreignerspg "github.com/dinhdanh/dinhdanh/foreigners/postgres"
	"github.com/dinhdanh/dinhdanh/guardianship"
	"github.com/dinhdanh/dinhdanh/oidc"
	oidcpg "github.com/dinhdanh/dinhdanh/oidc/postgres"
	"github.com/dinhdanh/dinhdanh/staff"
)

// Ops is the operations set of operator commands (`dinhdanh client`,
// `keys`, `account`, `enrol`, `import`): the services they use, each built
// on first use with the constructors New uses, so a command gets the same
// keys, password parameters and rules as the serving gateway. It builds no
// templates, sessions, metrics or HTTP handler and starts no goroutine:
// key refresh, back-channel logout delivery and maintenance are the serving
// replicas' work (logout notifications queued here are delivered by them).
//
// An Ops is for one command: its methods are not safe for concurrent use.
// It holds nothing to close; the pool and the audit recorder in Options
// belong to the caller.
type Ops struct {
	o Options

	registry  *attributespg.Store
	accounts  *accounts.Service
	locking   *accounts.Service
	oidcStore *oidcpg.Store
	keys      *oidc.Keys
	clients   *oidc.Clients
	consent   *consent.Service
	staff     *staff.Service
	notices   accounts.Notifier

	guardianship *guardianship.Service
}

// Notices queues notifications to citizens in the outbox (serving replicas
// deliver them): an account locked or unlocked from the command line is
// told like any other.
func (s *Ops) Notices() (accounts.Notifier, error) {
	if s.notices == nil {
		inbox := accountspg.NewInbox(s.o.Pool)
		svc, _, err := newNotify(s.o, newSender(s.o, inbox), &accounts.LogSender{Logger: s.o.Logger, Inbox: inbox, Now: s.o.Now})
		if err != nil {
			return nil, err
		}
		s.notices = newOutboxNotifier(s.o, svc, s.OIDCStore())
	}
	return s.notices, nil
}

// NewOps checks o and returns an operations set that has built nothing yet.
func NewOps(o Options) (*Ops, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	return &Ops{o: o}, nil
}

// Audit is the audit recorder of Options.
func (s *Ops) Audit() audit.Recorder { return s.o.Audit }

// Registry is the built-in population and document registry.
func (s *Ops) Registry() *attributespg.Store {
	if s.registry == nil {
		s.registry = attributespg.NewStore(s.o.Pool)
	}
	return s.registry
}

// People is the population registry with the foreigners' registry laid
// over it.
func (s *Ops) People() attributes.Registry {
	return foreigners.People{Population: s.Registry(), Foreigners: foreignerspg.NewStore(s.o.Pool)}
}

// Accounts is the account service, as the serving gateway builds it but
// without what a lock ends beyond the account (tokens, relying parties): it
// refuses to lock (accounts.ErrNoLockCascade). LockAccount builds the whole.
func (s *Ops) Accounts() (*accounts.Service, error) {
	if s.accounts == nil {
		notices, err := s.Notices()
		if err != nil {
			return nil, err
		}
		acc, err := newAccounts(s.o, s.People(), accountspg.NewInbox(s.o.Pool), lockCascade{}, nil, notices, nil)
		if err != nil {
			return nil, err
		}
		s.accounts = acc
	}
	return s.accounts, nil
}

// OIDCStore is the OpenID Connect provider's storage (clients, tokens,
// signing keys).
func (s *Ops) OIDCStore() *oidcpg.Store {
	if s.oidcStore == nil {
		s.oidcStore = oidcpg.NewStore(s.o.Pool, oidc.NewFositeSession)
	}
	return s.oidcStore
}

// Keys are the ID-token signing keys. Loading them creates the first keys
// in an empty database, as the serving gateway's start does; their refresh
// loop is not started.
func (s *Ops) Keys(ctx context.Context) (*oidc.Keys, error) {
	if s.keys == nil {
		k, err := newKeys(ctx, s.o, s.OIDCStore())
		if err != nil {
			return nil, err
		}
		s.keys = k
	}
	return s.keys, nil
}

// Clients is the relying-party registry.
func (s *Ops) Clients() (*oidc.Clients, error) {
	if s.clients == nil {
		hasher, err := oidc.NewSecretHasher(s.o.Config.Secrets.SecretPepper)
		if err != nil {
			return nil, err
		}
		s.clients = newClients(s.o, s.OIDCStore(), hasher)
	}
	return s.clients, nil
}

// Consent is the consent service, wired to the provider as in the serving
// gateway. Back-channel logout notifications it sends are queued for the
// serving replicas to deliver.
func (s *Ops) Consent(ctx context.Context) (*consent.Service, error) {
	if s.consent == nil {
		keys, err := s.Keys(ctx)
		if err != nil {
			return nil, err
		}
		_, _, svc, err := newConsent(s.o, consentParts{
			OIDCStore: s.OIDCStore(), Keys: keys, Registry: s.Registry(), People: s.People(), Outbound: outboundClient(s.o.Config),
		})
		if err != nil {
			return nil, err
		}
		s.consent = svc
	}
	return s.consent, nil
}

// Staff is the staff domain (members, units, officers' API credentials).
func (s *Ops) Staff() (*staff.Service, error) {
	if s.staff == nil {
		svc, err := newStaff(s.o, nil)
		if err != nil {
			return nil, err
		}
		s.staff = svc
	}
	return s.staff, nil
}

// LockAccount locks a citizen's account through the accounts domain, wired
// as in the serving gateway, so every token and relying party ends with it
// (accounts.Service.Lock).
func (s *Ops) LockAccount(ctx context.Context, personalID, reason string, by accounts.Actor) (accounts.Account, error) {
	if s.locking == nil {
		svc, err := s.Consent(ctx)
		if err != nil {
			return accounts.Account{}, err
		}
		notices, err := s.Notices()
		if err != nil {
			return accounts.Account{}, err
		}
		acc, err := newAccounts(s.o, s.People(), accountspg.NewInbox(s.o.Pool), lockCascade{tokens: s.OIDCStore(), consent: svc}, nil, notices, nil)
		if err != nil {
			return accounts.Account{}, err
		}
		s.locking = acc
	}
	a, err := s.locking.ByPersonalID(ctx, personalID)
	if err != nil {
		return accounts.Account{}, err
	}
	return s.locking.Lock(ctx, a.ID, reason, by)
}

// UnlockAccount unlocks an account (at the commune police or in the app).
func (s *Ops) UnlockAccount(ctx context.Context, personalID string, by accounts.Actor) (accounts.Account, error) {
	acc, err := s.Accounts()
	if err != nil {
		return accounts.Account{}, err
	}
	a, err := acc.ByPersonalID(ctx, personalID)
	if err != nil {
		return accounts.Account{}, err
	}
	return acc.Unlock(ctx, a.ID, by)
}
