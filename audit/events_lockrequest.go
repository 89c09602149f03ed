package audit

// Event types of locks by authorities (package lockrequest). Each names the
// citizen's account, so the citizen sees it in their history, and the staff
// member who acted (ActorKind Officer, supervisors included). Reason is the
// request's reason code; the officer's free text is never recorded here.
const (
	// LockRequested: an officer filed a request to lock the account.
	LockRequested EventType = "lock_request.filed"
	// LockApproved: a supervisor approved it; the account's own
	// AccountLocked event follows from the lock.
	LockApproved EventType = "lock_request.approved"
	// LockRefused: a supervisor refused it; nothing was locked.
	LockRefused EventType = "lock_request.refused"
	// LockWithdrawn: the officer who filed it withdrew it.
	LockWithdrawn EventType = "lock_request.withdrawn"
	// UnlockedAtCounter: an officer unlocked the account after a verified
	// read of the citizen's chip card (Detail names the read); the
	// account's own AccountUnlocked event comes with it.
	UnlockedAtCounter EventType = "lock_request.unlocked_at_counter"
)
