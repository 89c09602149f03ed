package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// challengeLen is the size of the challenge the chip signs (ICAO 9303-11
// §6.1: INTERNAL AUTHENTICATE with an 8-byte RND.IFD).
const challengeLen = 8

// maxAnswer bounds what is read of a gateway answer.
const maxAnswer = 1 << 20

func runEnrol(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("cardreader enrol", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cf cardFlags
	cf.register(fs)
	gateway := fs.String("gateway", "", "the gateway's base URL, e.g. https://id.example.vn")
	token := fs.String("token", "", "the officer's API credential (ddo_...); default $CARDREADER_TOKEN")
	timeout := fs.Duration("timeout", 30*time.Second, "time allowed for each call to the gateway")
	passport := fs.Bool("passport", false, "the document must be a passport (a passport's portrait, DG2, is read and sent for the officer's visual comparison in any case)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if *token == "" {
		*token = os.Getenv("CARDREADER_TOKEN")
	}
	base, err := url.Parse(*gateway)
	switch {
	case *gateway == "":
		return fmt.Errorf("%w: --gateway is required", errUsage)
	case err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "":
		return fmt.Errorf("%w: --gateway must be an http(s) URL", errUsage)
	case *token == "":
		return fmt.Errorf("%w: --token (or $CARDREADER_TOKEN) is required", errUsage)
	}
	req, err := cf.request()
	if err != nil {
		return err
	}
	g := &gatewayClient{base: strings.TrimRight(base.String(), "/"), token: *token,
		http: &http.Client{Timeout: *timeout}}

	// Connect first: no challenge is spent when there is no card.
	card, release, err := cf.connect(ctx)
	if err != nil {
		return err
	}
	defer release()

	var ch struct {
		Challenge []byte `json:"challenge"`
	}
	if err := g.post(ctx, "/counter/api/v1/challenges", struct{}{}, &ch, nil); err != nil {
		return fmt.Errorf("get a challenge: %w", err)
	}
	if len(ch.Challenge) != challengeLen {
		return fmt.Errorf("get a challenge: the gateway sent %d bytes, want %d", len(ch.Challenge), challengeLen)
	}
	// The chip signs the gateway's challenge (INTERNAL AUTHENTICATE with
	// its DG15 key), so the gateway can tell it from a copy.
	req.Challenge = ch.Challenge
	req.PassportPortrait = true
	r, err := readChip(ctx, card, req)
	if err != nil {
		return err
	}
	switch {
	case *passport && r.Passport == nil:
		return errors.New("--passport: the card is not a passport")
	case r.Passport != nil && len(r.Portrait) > 0:
		// A foreigner has no national portrait reference: the gateway
		// shows the chip's (checked against EF.SOD) to the officer. An ID
		// card's DG2 is never read here, nor sent.
		r.Chip.DataGroups[2] = r.Portrait
	}
	release() // the card is done before the network is
	var answer json.RawMessage
	err = g.post(ctx, "/counter/api/v1/reads", map[string]any{"chip": r.Chip}, nil, &answer)
	var refused *gatewayError
	if errors.As(err, &refused) && refused.read != nil {
		// A refused read (422) comes with every check: the officer sees
		// which failed and why, and the command still fails.
		if werr := printJSON(stdout, refused.body); werr != nil {
			return werr
		}
		if f := refused.read.failed(); f != "" {
			return fmt.Errorf("send the chip data: %w (%s)", err, f)
		}
	}
	if err != nil {
		return fmt.Errorf("send the chip data: %w", err)
	}
	return printJSON(stdout, answer)
}

// printJSON writes a JSON answer indented, or as it came when it is not.
func printJSON(w io.Writer, answer []byte) error {
	var pretty bytes.Buffer
	if json.Indent(&pretty, answer, "", "  ") != nil {
		pretty.Reset()
		pretty.Write(answer)
	}
	pretty.WriteByte('\n')
	_, err := w.Write(pretty.Bytes())
	return err
}

// gatewayError is a non-2xx answer of the gateway. It is errGateway.
type gatewayError struct {
	status int
	msg    string
	body   []byte
	// read is the read a refusal carries (counter API: 422 with the read
	// and its checks), nil when none.
	read *gatewayRead
}

func (e *gatewayError) Error() string {
	return fmt.Sprintf("%v (HTTP %d): %s", errGateway, e.status, e.msg)
}

func (e *gatewayError) Is(target error) bool { return target == errGateway }

// gatewayRead is the part of the gateway's read this command looks at.
type gatewayRead struct {
	Checks []struct {
		Name   string `json:"name"`
		OK     bool   `json:"ok"`
		Detail string `json:"detail"`
	} `json:"checks"`
}

// failed names the failed checks with their reasons.
func (r *gatewayRead) failed() string {
	var out []string
	for _, c := range r.Checks {
		if !c.OK {
			out = append(out, c.Name+": "+c.Detail)
		}
	}
	return strings.Join(out, "; ")
}

type gatewayClient struct {
	base, token string
	http        *http.Client
}

// errGateway: the gateway answered with an error status.
var errGateway = errors.New("gateway refused")

// post sends body as JSON and decodes a 2xx answer into out, or keeps it
// raw in raw. A non-2xx answer becomes an error carrying the gateway's
// message.
func (g *gatewayClient) post(ctx context.Context, path string, body, out any, raw *json.RawMessage) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, g.base+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", "application/json")
	hreq.Header.Set("Authorization", "Bearer "+g.token)
	resp, err := g.http.Do(hreq)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := &gatewayError{status: resp.StatusCode, msg: gatewayMessage(data), body: data}
		var problem struct {
			Read *gatewayRead `json:"read"`
		}
		if json.Unmarshal(data, &problem) == nil {
			e.read = problem.Read
		}
		return e
	}
	if raw != nil {
		if !json.Valid(data) {
			return errors.New("the gateway's answer is not JSON")
		}
		*raw = data
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("the gateway's answer does not decode: %w", err)
	}
	return nil
}

// gatewayMessage picks the human part of an error answer: the usual JSON
// error fields when there are some, else the text itself (shortened).
func gatewayMessage(data []byte) string {
	var e map[string]any
	if json.Unmarshal(data, &e) == nil {
		var parts []string
		for _, k := range []string{"error", "error_description", "message", "detail", "reason"} {
			if s, ok := e[k].(string); ok && s != "" {
				parts = append(parts, s)
			}
		}
		if len(parts) > 0 {
			return strings.Join(parts, ": ")
		}
	}
	s := strings.TrimSpace(string(data))
	if len(s) > 500 {
		s = s[:500] + "…"
	}
	if s == "" {
		return "no message"
	}
	return s
}
