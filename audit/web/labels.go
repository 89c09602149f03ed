package web

import (
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/templates"
)

// typeOrder is the order of the activity filter's options; the filter
// accepts only these types. Their labels are the messages
// "history.type.<type>" (templates/history.go), in Vietnamese and English.
var typeOrder = []audit.EventType{
	audit.SignInSucceeded, audit.SignInFailed, audit.SecondFactorOK, audit.SecondFactorFailed,
	audit.SignInLockedOut, audit.SignedOut, audit.OTPSent, audit.TokenIssued, audit.TokenRefreshed,
	audit.TokenRevoked, audit.RefreshReuse, audit.TokenKeyMismatch, audit.UserinfoRead, audit.Introspected, audit.AuthorizeDenied,
	audit.ConsentGranted, audit.ConsentRefused, audit.ConsentRevoked, audit.ReceiptDownloaded,
	audit.AccountRegistered, audit.AccountActivated, audit.AccountLocked, audit.AccountUnlocked,
	audit.PasswordChanged, audit.PhoneChanged, audit.EmailChanged, audit.DeviceChanged, audit.FactorChanged, audit.HistoryViewed,
	audit.OfficerAction, audit.OperatorAction, audit.RetentionApplied, audit.ClientChanged, audit.KeyRotated,
	audit.CredentialIssued,
	audit.LanguageChanged,
	audit.LockRequested, audit.LockApproved, audit.LockRefused, audit.LockWithdrawn, audit.UnlockedAtCounter,
	audit.DependentRegistered, audit.DependentEnded, audit.DependentShareRevoked,
	audit.GuardianshipRecordEntered, audit.GuardianshipRecordEnded,
	audit.DocumentIntegrated, audit.DocumentRemoved,
	audit.OrganisationCreated, audit.StaffListChecked, audit.StaffLevelChecked,
}

var knownTypes = func() map[audit.EventType]bool {
	m := make(map[audit.EventType]bool, len(typeOrder))
	for _, t := range typeOrder {
		m[t] = true
	}
	return m
}()

// message translates key, or returns fallback when there is no such message
// (a newer event type or outcome shows its code rather than a message key).
func message(lang templates.Lang, key, fallback string) string {
	if !templates.HasMessage(key) {
		return fallback
	}
	return templates.T(lang, key)
}

// typeLabel names an event type for the citizen.
func typeLabel(lang templates.Lang, t audit.EventType) string {
	return message(lang, "history.type."+string(t), string(t))
}

// outcomeLabel names an outcome for the citizen.
func outcomeLabel(lang templates.Lang, o audit.Outcome) string {
	if o == "" {
		return ""
	}
	return message(lang, "history.outcome."+string(o), string(o))
}

// claimLabel names a released attribute (never its value), with the labels
// of the consent screen.
func claimLabel(lang templates.Lang, claim string) string {
	return message(lang, "consent.claim."+claim, claim)
}
