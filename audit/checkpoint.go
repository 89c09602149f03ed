package audit

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// CheckpointKind says why a checkpoint was signed.
type CheckpointKind string

// Checkpoint kinds.
const (
	// PeriodicCheckpoint seals the chain every N events or T seconds.
	PeriodicCheckpoint CheckpointKind = "periodic"
	// RetentionAnchor records the last event dropped by retention: the
	// chain is verified from here on once older partitions are gone.
	RetentionAnchor CheckpointKind = "retention"
)

// checkpointType is the "typ" of the signed payload, so that no other
// signature by the audit key can pass for a checkpoint.
const checkpointType = "dinhdanh.audit.checkpoint.v1"

// Checkpoint is a signed statement that the chain had hash Hash at sequence
// number Seq. JWS (compact, EdDSA) is the authority; the other fields repeat
// its payload for indexing and reading, and a verifier rejects a checkpoint
// whose fields disagree with what was signed.
//
// Exported as JSON lines (WriteCheckpoints), checkpoints let a third party
// keep evidence that even a database superuser cannot rewrite: any change to
// an event before a checkpoint changes the hash the checkpoint signed.
type Checkpoint struct {
	Kind     CheckpointKind `json:"kind"`
	Seq      int64          `json:"seq"`
	Hash     Hash           `json:"hash"`
	LoggedAt time.Time      `json:"logged_at"`
	SignedAt time.Time      `json:"signed_at"`
	KeyID    string         `json:"kid"`
	JWS      string         `json:"jws"`
}

// Head returns the chain head the checkpoint seals.
func (c Checkpoint) Head() Head { return Head{Seq: c.Seq, Hash: c.Hash, LoggedAt: c.LoggedAt} }

type checkpointPayload struct {
	Type     string         `json:"typ"`
	Kind     CheckpointKind `json:"kind"`
	Seq      int64          `json:"seq"`
	Hash     Hash           `json:"hash"`
	LoggedAt time.Time      `json:"logged_at"`
	SignedAt time.Time      `json:"signed_at"`
}

// Sign seals head into a checkpoint of the given kind.
func (k *Key) Sign(kind CheckpointKind, head Head, signedAt time.Time) (Checkpoint, error) {
	c := Checkpoint{
		Kind:     kind,
		Seq:      head.Seq,
		Hash:     head.Hash,
		LoggedAt: head.LoggedAt.UTC().Truncate(time.Microsecond),
		SignedAt: signedAt.UTC().Truncate(time.Microsecond),
		KeyID:    k.id,
	}
	payload, err := json.Marshal(checkpointPayload{
		Type: checkpointType, Kind: c.Kind, Seq: c.Seq, Hash: c.Hash, LoggedAt: c.LoggedAt, SignedAt: c.SignedAt,
	})
	if err != nil {
		return c, fmt.Errorf("audit: sign checkpoint: %w", err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: k.priv},
		(&jose.SignerOptions{}).WithHeader(jose.HeaderKey("kid"), k.id))
	if err != nil {
		return c, fmt.Errorf("audit: sign checkpoint: %w", err)
	}
	obj, err := signer.Sign(payload)
	if err != nil {
		return c, fmt.Errorf("audit: sign checkpoint: %w", err)
	}
	if c.JWS, err = obj.CompactSerialize(); err != nil {
		return c, fmt.Errorf("audit: sign checkpoint: %w", err)
	}
	return c, nil
}

// Verify checks c's signature against the key set and returns the
// checkpoint as signed. It fails with ErrUnknownKey when the key id is not
// in the set, and with ErrBadSignature when the signature does not verify or
// c's fields disagree with the signed payload.
func (ks KeySet) Verify(c Checkpoint) (Checkpoint, error) {
	obj, err := jose.ParseSignedCompact(c.JWS, []jose.SignatureAlgorithm{jose.EdDSA})
	if err != nil {
		return c, fmt.Errorf("%w: checkpoint %d: %w", ErrBadSignature, c.Seq, err)
	}
	if len(obj.Signatures) != 1 {
		return c, fmt.Errorf("%w: checkpoint %d: want one signature", ErrBadSignature, c.Seq)
	}
	kid := obj.Signatures[0].Header.KeyID
	pub, ok := ks[kid]
	if !ok {
		return c, fmt.Errorf("%w: checkpoint %d: key %q", ErrUnknownKey, c.Seq, kid)
	}
	payload, err := obj.Verify(pub)
	if err != nil {
		return c, fmt.Errorf("%w: checkpoint %d: %w", ErrBadSignature, c.Seq, err)
	}
	var p checkpointPayload
	if err := json.Unmarshal(payload, &p); err != nil || p.Type != checkpointType {
		return c, fmt.Errorf("%w: checkpoint %d: payload is not an audit checkpoint", ErrBadSignature, c.Seq)
	}
	signed := Checkpoint{
		Kind: p.Kind, Seq: p.Seq, Hash: p.Hash, LoggedAt: p.LoggedAt.UTC(), SignedAt: p.SignedAt.UTC(),
		KeyID: kid, JWS: c.JWS,
	}
	if c.Kind != signed.Kind || c.Seq != signed.Seq || c.Hash != signed.Hash ||
		!c.LoggedAt.Equal(signed.LoggedAt) || (c.KeyID != "" && c.KeyID != kid) {
		return signed, fmt.Errorf("%w: checkpoint %d: stored fields disagree with the signed payload", ErrBadSignature, c.Seq)
	}
	return signed, nil
}

// WriteCheckpoints writes checkpoints as JSON lines, one per line.
func WriteCheckpoints(w io.Writer, cps []Checkpoint) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	for _, c := range cps {
		if err := enc.Encode(c); err != nil {
			return fmt.Errorf("audit: export checkpoints: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("audit: export checkpoints: %w", err)
	}
	return nil
}

// ReadCheckpoints reads JSON lines written by WriteCheckpoints. It does not
// verify them: Verify does, with the key set it is given.
func ReadCheckpoints(r io.Reader) ([]Checkpoint, error) {
	dec := json.NewDecoder(r)
	var out []Checkpoint
	for {
		var c Checkpoint
		err := dec.Decode(&c)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("audit: read checkpoints: line %d: %w", len(out)+1, err)
		}
		out = append(out, c)
	}
}
