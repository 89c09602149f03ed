package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/dinhdanh/dinhdanh/sharing"
)

const shareUsage = `usage: dinhdanh share verify -jwks FILE|URL [-challenge CODE] [-issuer URL] TEXT|-

  share verify  check a QR credential (the scanned text, or - for standard input)
                against a JWKS file or URL, offline when a file; prints what it proves as JSON`

// cmdShare checks sharing credentials as a verifier would.
func cmdShare(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		return errors.New(shareUsage)
	}
	fs := flag.NewFlagSet("share verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	jwksFrom := fs.String("jwks", "", "the gateway's JWKS: a file, or an https URL such as https://id.example.gov.vn/jwks.json")
	challenge := fs.String("challenge", "", "the check code the verifier gave the citizen, if any")
	issuer := fs.String("issuer", "", "the issuer the credential must name, if set")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *jwksFrom == "" || fs.NArg() != 1 {
		return errors.New(shareUsage)
	}
	text := fs.Arg(0)
	if text == "-" {
		b, err := io.ReadAll(io.LimitReader(os.Stdin, 64<<10))
		if err != nil {
			return err
		}
		text = string(b)
	}
	keys, err := readJWKS(ctx, *jwksFrom)
	if err != nil {
		return err
	}
	v, err := sharing.VerifyAny(text, keys, time.Now(), sharing.VerifyOptions{Issuer: *issuer, Challenge: *challenge})
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(map[string]any{
		"iss": v.Issuer, "acr": v.ACR, "jti": v.JTI, "kid": v.KeyID, "nonce": v.Nonce,
		"iat": v.IssuedAt, "exp": v.Expires, "undisclosed": v.Undisclosed, "claims": v.Claims,
	})
}

// readJWKS reads a key set from a file or an http(s) URL.
func readJWKS(ctx context.Context, from string) (jose.JSONWebKeySet, error) {
	var set jose.JSONWebKeySet
	var body []byte
	if strings.HasPrefix(from, "https://") || strings.HasPrefix(from, "http://") {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, from, nil)
		if err != nil {
			return set, err
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return set, fmt.Errorf("fetch JWKS: %w", err)
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return set, fmt.Errorf("fetch JWKS: %s", res.Status)
		}
		if body, err = io.ReadAll(io.LimitReader(res.Body, 1<<20)); err != nil {
			return set, fmt.Errorf("fetch JWKS: %w", err)
		}
	} else {
		var err error
		if body, err = os.ReadFile(from); err != nil {
			return set, err
		}
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return set, fmt.Errorf("read JWKS: %w", err)
	}
	return set, nil
}
