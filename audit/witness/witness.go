// Package witness publishes audit checkpoints, as they are made, to a
// witness outside the database: a file (JSON lines, the format `dinhdanh
// audit verify -checkpoints` reads) or an HTTP endpoint. A database
// superuser can delete or rewrite everything inside the database, seals and
// checkpoints included; the witness keeps what was signed.
package witness

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"

	"github.com/dinhdanh/dinhdanh/audit"
)

// File appends each checkpoint as one JSON line to a file, and syncs it.
type File struct {
	path string
	mu   sync.Mutex
}

var _ audit.Witness = (*File)(nil)

// NewFile returns a sink appending to path (created with mode 0600).
func NewFile(path string) *File { return &File{path: path} }

// Publish appends c.
func (f *File) Publish(_ context.Context, c audit.Checkpoint) error {
	var line bytes.Buffer
	if err := audit.WriteCheckpoints(&line, []audit.Checkpoint{c}); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	fh, err := os.OpenFile(f.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("audit witness: %w", err)
	}
	if _, err := fh.Write(line.Bytes()); err != nil {
		fh.Close()
		return fmt.Errorf("audit witness: %w", err)
	}
	if err := fh.Sync(); err != nil {
		fh.Close()
		return fmt.Errorf("audit witness: %w", err)
	}
	if err := fh.Close(); err != nil {
		return fmt.Errorf("audit witness: %w", err)
	}
	return nil
}

// HTTP POSTs each checkpoint as a JSON object (the same object as one line
// of the file) to a URL; any 2xx answer is an acknowledgement.
type HTTP struct {
	url    string
	client *http.Client
}

var _ audit.Witness = (*HTTP)(nil)

// NewHTTP returns a sink posting to url with client (http.DefaultClient
// when nil; the writer bounds each Publish with its own deadline).
func NewHTTP(url string, client *http.Client) *HTTP {
	if client == nil {
		client = http.DefaultClient
	}
	return &HTTP{url: url, client: client}
}

// Publish posts c.
func (h *HTTP) Publish(ctx context.Context, c audit.Checkpoint) error {
	body, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("audit witness: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("audit witness: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := h.client.Do(req)
	if err != nil {
		return fmt.Errorf("audit witness: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("audit witness: %s answered %s", h.url, resp.Status)
	}
	return nil
}

// All publishes to every witness and fails when any fails. It returns nil
// for none and the witness itself for one.
func All(ws ...audit.Witness) audit.Witness {
	switch len(ws) {
	case 0:
		return nil
	case 1:
		return ws[0]
	}
	return all(ws)
}

type all []audit.Witness

func (a all) Publish(ctx context.Context, c audit.Checkpoint) error {
	var errs []error
	for _, w := range a {
		errs = append(errs, w.Publish(ctx, c))
	}
	return errors.Join(errs...)
}
