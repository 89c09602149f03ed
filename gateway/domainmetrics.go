package gateway

import (
	"context"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/consent/backchannel"
	"github.com/dinhdanh/dinhdanh/lockrequest"
	"github.com/dinhdanh/dinhdanh/notify"
	"github.com/dinhdanh/dinhdanh/oidc"
	"github.com/dinhdanh/dinhdanh/staff"
)

// domainMetrics are what happened to citizens, counted where the gateway
// sees it whole, so that the domain packages stay free of Prometheus:
//
//   - sign-ins, second factors, tokens, consents, locks and unlocks from
//     the audit events themselves (countingRecorder): an event is counted
//     once its Record returned nil, i.e. once it is committed, so the
//     counts are those of the audit trail. Events chained inside a
//     caller's transaction (audit/postgres.Store.RecordTx: the document
//     registries' pushes and the wallet) do not pass the Recorder and are
//     not counted; none of them is counted here.
//   - SMS and e-mail at the wire (countingSender, countingChannel), each
//     attempt sent or failed, separately for one-time codes and for
//     notifications (whose failed attempts are retried by the outbox).
//   - back-channel logout attempts once their outcome is stored
//     (countingDeliveries).
//
// Every label takes a value from a fixed set (unknown values count as
// "other"): never an account, a client, a phone number or free text. A
// replica counts what it served; operator commands (another process)
// are not counted.
type domainMetrics struct {
	signIns       *prometheus.CounterVec // actor, outcome, level
	secondFactors *prometheus.CounterVec // factor, purpose, outcome
	tokens        *prometheus.CounterVec // grant
	consents      *prometheus.CounterVec // action
	locks         *prometheus.CounterVec // reason
	unlocks       prometheus.Counter
	sent, failed  *prometheus.CounterVec // channel, purpose
	logouts       *prometheus.CounterVec // outcome
}

// Label values: the sets each label takes.
var (
	actorValues   = []string{string(audit.Citizen), string(staff.ActorKind), string(audit.Officer), string(audit.Operator), string(audit.Client), string(audit.System), "other"}
	signInOutcome = []string{"success", "failure", "denied", "locked_out"}
	levelValues   = []string{"0", "1", "2", "none"}
	factorValues  = map[string]string{
		string(accounts.FactorTOTP): "totp", "totp": "totp", string(accounts.FactorSMS): "sms",
		string(accounts.FactorPasskey): "passkey", "passkey": "passkey",
		"security_answers": "security_answers", "passcode": "passcode",
	}
	purposeValues = []string{"signin", "activation", "registration",
		string(accounts.PurposeRecovery), string(accounts.PurposeUnlock), string(accounts.PurposeDevice), "other"}
	grantValues = []string{oidc.GrantAuthorizationCode, oidc.GrantRefreshToken, oidc.GrantClientCredentials, oidc.GrantTokenExchange, "other"}
	// Lock reasons: the codes accounts, lockrequest and the citizen's page
	// use. A holder's own reason (accounts.SelfLockPrefix and free text)
	// counts as holder_request; an operator's free text as other.
	lockReasons = func() []string {
		r := []string{"holder_request", "lost_phone", "misuse", "card_revoked", "death", "evidence_revoked",
			"too_many_failures", accounts.LockPermitExpired, "other"}
		for _, l := range []lockrequest.Reason{lockrequest.ReasonMisuse, lockrequest.ReasonCardRevoked, lockrequest.ReasonDeath,
			lockrequest.ReasonCourtOrder, lockrequest.ReasonOther} {
			r = append(r, l.LockReason())
		}
		return r
	}()
	channelValues    = []string{string(notify.SMS), string(notify.Email)}
	messagePurposes  = []string{"code", "notice"}
	logoutOutcomes   = []string{"delivered", "retry", "gave_up"}
	consentActions   = map[audit.EventType]string{audit.ConsentGranted: "granted", audit.ConsentRefused: "refused", audit.ConsentRevoked: "revoked"}
	consentActionSet = []string{"granted", "refused", "revoked"}
)

func newDomainMetrics() *domainMetrics {
	m := &domainMetrics{
		signIns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dinhdanh_signins_total",
			Help: "Sign-ins that ended, by who signed in, outcome (success, failure, denied: locked or not activated, locked_out: refused by a throttle) and assurance level reached (none unless success).",
		}, []string{"actor", "outcome", "level"}),
		secondFactors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dinhdanh_second_factor_total",
			Help: "Second-factor and one-time-code checks by factor (totp, sms, passkey, ...), purpose (signin, activation, registration, recovery, unlock, device) and outcome.",
		}, []string{"factor", "purpose", "outcome"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dinhdanh_tokens_issued_total",
			Help: "Token responses issued at the token endpoint, by grant type.",
		}, []string{"grant"}),
		consents: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dinhdanh_consents_total",
			Help: "Consent decisions: granted, refused (at the consent screen) and revoked (by the citizen, a lock, an expiry).",
		}, []string{"action"}),
		locks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dinhdanh_account_locks_total",
			Help: "Accounts locked, by reason code.",
		}, []string{"reason"}),
		unlocks: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "dinhdanh_account_unlocks_total",
			Help: "Accounts unlocked.",
		}),
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dinhdanh_messages_sent_total",
			Help: "SMS and e-mail messages handed to the SMS gateway or SMTP server, by channel and purpose (code: one-time codes; notice: notifications).",
		}, []string{"channel", "purpose"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dinhdanh_messages_failed_total",
			Help: "SMS and e-mail attempts the SMS gateway or SMTP server refused or did not answer, by channel and purpose (notices are retried by the outbox).",
		}, []string{"channel", "purpose"}),
		logouts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dinhdanh_backchannel_logout_total",
			Help: "Back-channel logout attempts by outcome: delivered, retry (failed, will be retried), gave_up (failed for the last time).",
		}, []string{"outcome"}),
	}
	// Every series exists from the start at 0, so that rates and ratios
	// are defined before the first event of a kind.
	for _, a := range actorValues {
		for _, o := range signInOutcome {
			m.signIns.WithLabelValues(a, o, "none")
		}
		for _, l := range levelValues[:3] {
			m.signIns.WithLabelValues(a, "success", l)
		}
	}
	for _, f := range []string{"totp", "sms", "passkey"} {
		for _, o := range []audit.Outcome{audit.Success, audit.Failure} {
			m.secondFactors.WithLabelValues(f, "signin", string(o))
		}
	}
	for _, g := range grantValues {
		m.tokens.WithLabelValues(g)
	}
	for _, a := range consentActionSet {
		m.consents.WithLabelValues(a)
	}
	for _, r := range lockReasons {
		m.locks.WithLabelValues(r)
	}
	for _, c := range channelValues {
		for _, p := range messagePurposes {
			m.sent.WithLabelValues(c, p)
			m.failed.WithLabelValues(c, p)
		}
	}
	for _, o := range logoutOutcomes {
		m.logouts.WithLabelValues(o)
	}
	return m
}

func (m *domainMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.signIns, m.secondFactors, m.tokens, m.consents, m.locks, m.unlocks, m.sent, m.failed, m.logouts}
}

// oneOf returns v if set holds it, else "other".
func oneOf(v string, set []string) string {
	for _, s := range set {
		if s == v {
			return v
		}
	}
	return "other"
}

// count counts one committed audit event.
func (m *domainMetrics) count(e audit.Event) {
	actor := oneOf(string(e.ActorKind), actorValues)
	purpose := e.Detail["purpose"]
	switch e.Type {
	case audit.SignInSucceeded:
		// The password step of a browser sign-in is not the end of it (the
		// second factor is); the app's sign-in (device key and passcode) is.
		if e.Detail["channel"] == "app" {
			m.signIns.WithLabelValues(actor, "success", level(e.ACR)).Inc()
		}
	case audit.SignInFailed:
		m.signIns.WithLabelValues(actor, outcome(e.Outcome), "none").Inc()
	case audit.SignInLockedOut:
		if purpose == "" {
			m.signIns.WithLabelValues(actor, "locked_out", "none").Inc()
		}
	case audit.SecondFactorOK, audit.SecondFactorFailed:
		factor, ok := factorValues[e.Detail["factor"]]
		if !ok {
			factor = "other"
		}
		p := "signin"
		if purpose != "" {
			p = oneOf(purpose, purposeValues)
		}
		m.secondFactors.WithLabelValues(factor, p, string(e.Outcome)).Inc()
		if p != "signin" || e.Detail["factor"] == "" {
			return
		}
		if e.Type == audit.SecondFactorFailed {
			m.signIns.WithLabelValues(actor, outcome(e.Outcome), "none").Inc()
			return
		}
		// The end of a browser sign-in: the level it reached is the
		// event's acr (none for staff, "0" for an unidentified account).
		lv := level(e.ACR)
		if lv == "none" && e.ActorKind == audit.Citizen {
			lv = "0"
		}
		m.signIns.WithLabelValues(actor, "success", lv).Inc()
	case audit.TokenIssued, audit.TokenRefreshed:
		if e.Outcome == audit.Success {
			m.tokens.WithLabelValues(oneOf(e.Detail["grant_type"], grantValues)).Inc()
		}
	case audit.ConsentGranted, audit.ConsentRefused, audit.ConsentRevoked:
		if e.Outcome == audit.Success || e.Type == audit.ConsentRefused {
			m.consents.WithLabelValues(consentActions[e.Type]).Inc()
		}
	case audit.AccountLocked:
		if e.Outcome == audit.Success {
			m.locks.WithLabelValues(lockReason(e.Reason)).Inc()
		}
	case audit.AccountUnlocked:
		if e.Outcome == audit.Success {
			m.unlocks.Inc()
		}
	}
}

func level(acr string) string {
	if l, ok := assurance.ParseACR(acr); ok {
		return l.String()
	}
	return "none"
}

func outcome(o audit.Outcome) string {
	if o == audit.Denied {
		return "denied"
	}
	return "failure"
}

func lockReason(r string) string {
	if strings.HasPrefix(r, accounts.SelfLockPrefix) {
		return "holder_request"
	}
	return oneOf(r, lockReasons)
}

// countingRecorder counts each event its Recorder committed.
type countingRecorder struct {
	audit.Recorder
	m *domainMetrics
}

// Record implements audit.Recorder.
func (r countingRecorder) Record(ctx context.Context, e audit.Event) error {
	if err := r.Recorder.Record(ctx, e); err != nil {
		return err
	}
	r.m.count(e)
	return nil
}

// recorder returns rec counted, or rec itself without metrics (operator
// commands).
func (m *domainMetrics) recorder(rec audit.Recorder) audit.Recorder {
	if m == nil {
		return rec
	}
	return countingRecorder{Recorder: rec, m: m}
}

// countingSender counts one-time codes sent by SMS.
type countingSender struct {
	accounts.Sender
	m *domainMetrics
}

// Send implements accounts.Sender.
func (s countingSender) Send(ctx context.Context, phone, message string) error {
	err := s.Sender.Send(ctx, phone, message)
	s.m.message(string(notify.SMS), "code", err)
	return err
}

func (m *domainMetrics) smsCodes(s accounts.Sender) accounts.Sender {
	if m == nil {
		return s
	}
	return countingSender{Sender: s, m: m}
}

// countingChannel counts the messages of one notification channel.
type countingChannel struct {
	ch               notify.Channel
	channel, purpose string
	m                *domainMetrics
}

// Deliver implements notify.Channel.
func (c countingChannel) Deliver(ctx context.Context, address string, msg notify.Message) error {
	err := c.ch.Deliver(ctx, address, msg)
	c.m.message(c.channel, c.purpose, err)
	return err
}

func (m *domainMetrics) channel(ch notify.Channel, name notify.ChannelName, purpose string) notify.Channel {
	if m == nil || ch == nil {
		return ch
	}
	return countingChannel{ch: ch, channel: string(name), purpose: purpose, m: m}
}

func (m *domainMetrics) message(channel, purpose string, err error) {
	if err != nil {
		m.failed.WithLabelValues(channel, purpose).Inc()
		return
	}
	m.sent.WithLabelValues(channel, purpose).Inc()
}

// countingDeliveries counts each back-channel logout attempt once its
// outcome is stored.
type countingDeliveries struct {
	backchannel.Queue
	m *domainMetrics
}

// Record implements backchannel.Queue.
func (q countingDeliveries) Record(ctx context.Context, id string, o backchannel.Outcome) error {
	if err := q.Queue.Record(ctx, id, o); err != nil {
		return err
	}
	switch {
	case !o.DeliveredAt.IsZero():
		q.m.logouts.WithLabelValues("delivered").Inc()
	case !o.GaveUpAt.IsZero():
		q.m.logouts.WithLabelValues("gave_up").Inc()
	default:
		q.m.logouts.WithLabelValues("retry").Inc()
	}
	return nil
}

func (m *domainMetrics) deliveries(q backchannel.Queue) backchannel.Queue {
	if m == nil {
		return q
	}
	return countingDeliveries{Queue: q, m: m}
}
