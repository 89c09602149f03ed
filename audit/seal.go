package audit

import (
	"crypto/ed25519"
	"encoding/binary"
	"fmt"
	"time"
)

// SignatureSize is the size of a seal's signature (Ed25519).
const SignatureSize = ed25519.SignatureSize

// sealContext prefixes every signed seal, so that no other signature by the
// audit key (checkpoints are JWS over JSON) can pass for a seal.
const sealContext = "dinhdanh.audit.seal.v1\x00"

// Seal is the signed chain head every committed batch writes in its own
// transaction: the newest event's sequence number, hash and log time, and
// the sequence number of the head it extended. The newest seal is the head:
// there is no unsealed tail. Seals are stored insert-only, so whoever moves
// the head must be able to sign with the audit key.
//
// A seal with PrevSeq -1 and no signature is the legacy head adopted when
// seals were introduced; it only ever seals what existed then.
type Seal struct {
	Seq      int64
	PrevSeq  int64
	Hash     Hash
	LoggedAt time.Time
	SealedAt time.Time
	KeyID    string
	Sig      []byte
}

// Head returns the chain head the seal covers.
func (s Seal) Head() Head { return Head{Seq: s.Seq, Hash: s.Hash, LoggedAt: s.LoggedAt} }

// Legacy reports whether s is the unsigned head adopted at the upgrade.
func (s Seal) Legacy() bool { return s.PrevSeq == -1 && len(s.Sig) == 0 }

func sealMessage(b []byte, s Seal) []byte {
	b = append(b, sealContext...)
	b = binary.BigEndian.AppendUint64(b, uint64(s.PrevSeq))
	b = binary.BigEndian.AppendUint64(b, uint64(s.Seq))
	b = binary.BigEndian.AppendUint64(b, uint64(s.LoggedAt.UnixMicro()))
	b = binary.BigEndian.AppendUint64(b, uint64(s.SealedAt.UnixMicro()))
	return append(b, s.Hash[:]...)
}

// Seal signs head as the successor of the head at prevSeq.
func (k *Key) Seal(prevSeq int64, head Head, sealedAt time.Time) Seal {
	s := Seal{
		Seq: head.Seq, PrevSeq: prevSeq, Hash: head.Hash,
		LoggedAt: head.LoggedAt.UTC().Truncate(time.Microsecond),
		SealedAt: sealedAt.UTC().Truncate(time.Microsecond),
		KeyID:    k.id,
	}
	s.Sig = ed25519.Sign(k.priv, sealMessage(nil, s))
	return s
}

// VerifySeal checks s's signature. It fails with ErrUnknownKey when the key
// id is not in the set and with ErrBadSignature when the signature does not
// verify. The legacy seal has no signature and is refused too: callers that
// accept it check Legacy first.
func (ks KeySet) VerifySeal(s Seal) error {
	pub, ok := ks[s.KeyID]
	if !ok {
		return fmt.Errorf("%w: seal %d: key %q", ErrUnknownKey, s.Seq, s.KeyID)
	}
	if len(s.Sig) != SignatureSize || !ed25519.Verify(pub, sealMessage(nil, s), s.Sig) {
		return fmt.Errorf("%w: seal %d does not verify", ErrBadSignature, s.Seq)
	}
	return nil
}

// StoredHead is what a writer reads back before it extends the chain: the
// newest seal (the head) and the newest stored event.
type StoredHead struct {
	Seal   Seal
	Sealed bool // false: no seal at all, an empty chain
	End    Head // the newest stored event (Genesis when there is none)
}

// CheckHead refuses to extend a stored head that a writer with keys did not
// write: an unsigned or badly signed seal, a head behind wrote (the newest
// head this writer wrote or accepted), or a chain whose newest event is not
// the sealed one (events deleted, appended or rewritten behind the writers'
// back). Every refusal wraps ErrHeadTampered.
func CheckHead(h StoredHead, keys KeySet, wrote Head) error {
	tampered := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrHeadTampered, fmt.Sprintf(format, args...))
	}
	s := h.Seal
	if !h.Sealed {
		s = Seal{}
	}
	switch {
	case h.Sealed && !s.Legacy():
		if err := keys.VerifySeal(s); err != nil {
			return tampered("the newest seal (event %d) was not made with the audit key: %v", s.Seq, err)
		}
	case h.Sealed && s.Seq < wrote.Seq:
		return tampered("the unsigned upgrade seal (event %d) is the head again, after event %d was sealed", s.Seq, wrote.Seq)
	}
	if s.Seq < wrote.Seq {
		return tampered("the head was moved back from event %d to event %d", wrote.Seq, s.Seq)
	}
	if s.Seq == wrote.Seq && s.Hash != wrote.Hash && wrote.Seq > 0 {
		return tampered("event %d is sealed with another hash than the one this writer sealed", s.Seq)
	}
	switch {
	case h.End.Seq > s.Seq:
		return tampered("events %d..%d lie beyond the sealed head %d: appended behind the writers' back, or the head was rewound", s.Seq+1, h.End.Seq, s.Seq)
	case h.End.Seq < s.Seq:
		return tampered("the chain ends at event %d but event %d is sealed: events were deleted", h.End.Seq, s.Seq)
	case h.End.Hash != s.Hash:
		return tampered("the newest event %d does not have the sealed hash: events were rewritten", s.Seq)
	}
	return nil
}
