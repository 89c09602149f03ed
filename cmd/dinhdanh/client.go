package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/gateway"
	"github.com/dinhdanh/dinhdanh/oidc"
)

const clientUsage = `usage: dinhdanh client create|list|show|update|enable|disable|rotate-secret [flags] [CLIENT_ID]

  client create [-file client.json] [flags]   register a relying party; prints its secret once
  client list [-json]                         every registered client
  client show CLIENT_ID [-json]               one client
  client update CLIENT_ID [flags]             change only the fields whose flags are given
  client disable CLIENT_ID                    stop a client: its tokens stop working
  client enable CLIENT_ID                     undo disable
  client rotate-secret CLIENT_ID              new secret, printed once; the old one stops working

Every change is recorded in the audit log with -actor (default $USER).
Run "dinhdanh client create -h" for the registration flags.`

// cmdClient runs the relying-party registry commands.
func cmdClient(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(clientUsage)
	}
	sub, rest := args[0], args[1:]
	id, rest := leadingArg(rest)
	fs := flag.NewFlagSet("client "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	tf := toolFlags(fs)
	var cf clientFlags
	switch sub {
	case "create", "update":
		cf.register(fs, sub == "create")
	case "list", "show", "enable", "disable", "rotate-secret":
	default:
		return fmt.Errorf("unknown client command %q\n%s", sub, clientUsage)
	}
	cfg, pos, err := loadConfig(fs, rest, config.Needs{})
	if err != nil {
		return err
	}
	wantID := sub != "create" && sub != "list"
	if id, err = oneID(id, pos, wantID, "CLIENT_ID", "client "+sub); err != nil {
		return err
	}
	if sub == "update" && fs.NFlag() == countSet(fs, "config", "data", "actor", "json") {
		return errors.New("client update: nothing to change: give the flags of the fields to change (dinhdanh client update -h)")
	}
	var fileClient *oidc.Client
	if cf.file != "" {
		c, err := readClientFile(cf.file)
		if err != nil {
			return err
		}
		fileClient = &c
	}
	actor, err := tf.needActor(sub != "list" && sub != "show")
	if err != nil {
		return err
	}

	ops, done, err := openOps(ctx, &cfg, *tf.data, stderr)
	if err != nil {
		return err
	}
	defer done()
	clients, err := ops.Clients()
	if err != nil {
		return err
	}

	switch sub {
	case "create":
		var c oidc.Client
		if fileClient != nil {
			c = *fileClient
		}
		if err := cf.apply(fs, &c); err != nil {
			return err
		}
		created, secret, err := clients.Create(ctx, actor, c)
		if err != nil {
			return clientError("client create", c.ID, err)
		}
		if *tf.json {
			if secret != "" {
				fmt.Fprintln(stderr, secretWarning(created.ID))
			}
			return writeJSON(stdout, struct {
				Client       oidc.Client `json:"client"`
				ClientSecret string      `json:"client_secret,omitempty"`
			}{created, secret})
		}
		fmt.Fprintf(stdout, "registered client %s (%s)\n", created.ID, created.Name.VI)
		printSecret(stdout, created, secret)
		fmt.Fprintln(stdout)
		printClient(stdout, created)
		return nil

	case "list":
		cs, err := clients.List(ctx)
		if err != nil {
			return err
		}
		if *tf.json {
			if cs == nil {
				cs = []oidc.Client{}
			}
			return writeJSON(stdout, cs)
		}
		if len(cs) == 0 {
			fmt.Fprintln(stdout, "no clients registered")
			return nil
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "CLIENT ID\tKIND\tLEVEL\tAUTH\tSTATUS\tNAME")
		for _, c := range cs {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\n", c.ID, c.Kind, c.MinLevel, c.TokenEndpointAuthMethod, clientStatus(c), c.Name.VI)
		}
		return tw.Flush()

	case "show":
		c, err := clients.Get(ctx, id)
		if err != nil {
			return clientError("client show", id, err)
		}
		if *tf.json {
			return writeJSON(stdout, c)
		}
		printClient(stdout, c)
		return nil

	case "update":
		var hadSecret bool
		c, err := clients.Update(ctx, actor, id, func(c *oidc.Client) error {
			hadSecret = usesSecret(*c)
			if fileClient != nil {
				*c = *fileClient
			}
			return cf.apply(fs, c)
		})
		if err != nil {
			return clientError("client update", id, err)
		}
		msg := "updated client " + id
		if usesSecret(c) && !hadSecret {
			msg += fmt.Sprintf("\nIt now authenticates with a client secret and has none yet: run `dinhdanh client rotate-secret %s`.", id)
		}
		return showResult(stdout, *tf.json, c, msg)

	case "enable", "disable":
		var c oidc.Client
		if sub == "disable" {
			c, err = clients.Disable(ctx, actor, id)
		} else {
			c, err = clients.Update(ctx, actor, id, func(c *oidc.Client) error { c.Disabled = false; return nil })
		}
		if err != nil {
			return clientError("client "+sub, id, err)
		}
		msg := "enabled client " + id
		if sub == "disable" {
			msg = "disabled client " + id + ": its tokens stop working and it can get no more"
		}
		return showResult(stdout, *tf.json, c, msg)

	default: // rotate-secret
		c, err := clients.Get(ctx, id)
		if err != nil {
			return clientError("client rotate-secret", id, err)
		}
		if !usesSecret(c) {
			return fmt.Errorf("client rotate-secret: client %q has no secret: it authenticates with %s", id, c.TokenEndpointAuthMethod)
		}
		secret, err := clients.RotateSecret(ctx, actor, id)
		if err != nil {
			return clientError("client rotate-secret", id, err)
		}
		if *tf.json {
			fmt.Fprintln(stderr, secretWarning(id))
			return writeJSON(stdout, map[string]string{"client_id": id, "client_secret": secret})
		}
		fmt.Fprintf(stdout, "new secret for client %s; the old secret no longer works\n", id)
		printSecret(stdout, oidc.Client{ID: id}, secret)
		return nil
	}
}

// clientFlags are the registration fields settable from the command line.
type clientFlags struct {
	file                                     string
	id, nameVI, nameEN, purposeVI, purposeEN string
	kind, auth, authAlg, idTokenAlg          string
	jwksFile, jwksURI, subjectType, sector   string
	logoURI, backchannel, scopes, grantTypes string
	profile, requestObjectAlg                string
	minLevel                                 int
	requirePAR, requireSignedRequestObject   bool
	acceptDependents                         bool
	accessTokenFormat                        string
	orgName, orgCode, legalBasis             string
	accessTokenLifetime                      time.Duration
	redirects, postLogout, atAudience        listFlag
	responses                                responseFlags
}

func (f *clientFlags) register(fs *flag.FlagSet, create bool) {
	if create {
		fs.StringVar(&f.id, "id", "", "client_id (default: random)")
		fs.StringVar(&f.file, "file", "", "JSON registration (the fields of 'client show -json'); flags override it")
	} else {
		fs.StringVar(&f.file, "file", "", "JSON registration replacing the stored one (id, secret and creation time are kept); flags override it")
	}
	fs.StringVar(&f.nameVI, "name-vi", "", "name shown to citizens, in Vietnamese (required)")
	fs.StringVar(&f.nameEN, "name-en", "", "name in English")
	fs.StringVar(&f.purposeVI, "purpose-vi", "", "why it asks for data, in Vietnamese (shown on the consent screen)")
	fs.StringVar(&f.purposeEN, "purpose-en", "", "purpose in English")
	fs.StringVar(&f.orgName, "org-name", "", "the organisation that owns it")
	fs.StringVar(&f.orgCode, "org-code", "", "the organisation's registration or tax code (digits, at most one hyphen)")
	fs.StringVar(&f.legalBasis, "legal-basis", "", "the decree or contract its use of citizens' data rests on")
	fs.StringVar(&f.logoURI, "logo-uri", "", "its logo: an https URL, or a data:image/(png|jpeg|gif|webp|svg+xml);base64 URL of at most 16 KiB")
	fs.StringVar(&f.kind, "kind", "", "public_service, bank, insurer or other (default other); its document scopes must be allowed by the kind policy (dinhdanh policy show)")
	fs.Var(&f.redirects, "redirect-uri", "redirect_uri, exact match (repeatable; https, or http only for loopback)")
	fs.Var(&f.postLogout, "post-logout-uri", "post_logout_redirect_uri (repeatable)")
	fs.StringVar(&f.backchannel, "backchannel-logout-uri", "", "https back-channel logout endpoint")
	fs.StringVar(&f.scopes, "scopes", "", `scopes it may ask for, e.g. "openid profile personal_id"`)
	fs.StringVar(&f.grantTypes, "grant-types", "", `grant types (default "authorization_code refresh_token"; "client_credentials" for a machine client)`)
	fs.IntVar(&f.minLevel, "min-level", 0, "assurance level always required, 1 or 2 (default 1; 2 for a bank)")
	fs.StringVar(&f.auth, "auth", "", "token_endpoint_auth_method: client_secret_basic (default), client_secret_post, private_key_jwt or none")
	fs.StringVar(&f.authAlg, "auth-alg", "", "token_endpoint_auth_signing_alg for private_key_jwt: RS256 (default), ES256 or PS256")
	fs.StringVar(&f.jwksFile, "jwks-file", "", "file with the client's JSON Web Key Set (private_key_jwt)")
	fs.StringVar(&f.jwksURI, "jwks-uri", "", "https URL of the client's JSON Web Key Set (private_key_jwt)")
	fs.StringVar(&f.idTokenAlg, "id-token-alg", "", "id_token_signed_response_alg: ES256 (default) or RS256")
	fs.StringVar(&f.subjectType, "subject-type", "", "pairwise (default) or public")
	fs.StringVar(&f.sector, "sector", "", "sector_identifier for pairwise subjects (needed when redirect URIs span hosts)")
	fs.BoolVar(&f.requirePAR, "require-par", false, "require pushed authorization requests (RFC 9126)")
	f.responses.register(fs)
	fs.StringVar(&f.profile, "profile", "", "security profile: fapi2 (FAPI 2.0: PAR, private_key_jwt ES256/PS256; the default for a bank) or baseline")
	fs.StringVar(&f.requestObjectAlg, "request-object-alg", "", "request_object_signing_alg: ES256, PS256 or RS256 (default: any of them; ES256 or PS256 for fapi2)")
	fs.BoolVar(&f.requireSignedRequestObject, "require-signed-request-object", false, "refuse authorization requests without a signed request object (RFC 9101)")
	fs.BoolVar(&f.acceptDependents, "accept-dependents", false, "let a guardian sign in for a child under 14 or a ward (scope act_for_dependent, token exchange); off by default")
	fs.StringVar(&f.accessTokenFormat, "access-token-format", "", "opaque (default) or jwt: RFC 9068 JWT access tokens its resource servers validate on their own (client-credentials tokens then have no row)")
	fs.DurationVar(&f.accessTokenLifetime, "access-token-lifetime", 0, "life of its JWT access tokens, 1m to 15m (default 5m): a resource server validating them locally sees a lock or a revocation only at expiry")
	fs.Var(&f.atAudience, "access-token-audience", "an https resource server its JWT access tokens may be for (repeatable; the aud, or the one named by the resource parameter; default the client_id)")
}

// apply copies the flags given on the command line into c, leaving the
// fields of flags not given as they are.
func (f *clientFlags) apply(fs *flag.FlagSet, c *oidc.Client) error {
	var err error
	fs.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "id":
			c.ID = f.id
		case "name-vi":
			c.Name.VI = f.nameVI
		case "name-en":
			c.Name.EN = f.nameEN
		case "purpose-vi":
			c.Purpose.VI = f.purposeVI
		case "purpose-en":
			c.Purpose.EN = f.purposeEN
		case "org-name":
			c.Organisation.Name = f.orgName
		case "org-code":
			c.Organisation.Code = f.orgCode
		case "legal-basis":
			c.LegalBasis = f.legalBasis
		case "logo-uri":
			c.LogoURL = f.logoURI
		case "kind":
			c.Kind = oidc.Kind(f.kind)
		case "redirect-uri":
			c.RedirectURIs = f.redirects.values()
		case "post-logout-uri":
			c.PostLogoutRedirectURIs = f.postLogout.values()
		case "backchannel-logout-uri":
			c.BackchannelLogoutURI = f.backchannel
		case "scopes":
			c.Scopes = words(f.scopes)
		case "grant-types":
			c.GrantTypes = words(f.grantTypes)
		case "min-level":
			c.MinLevel = assurance.Level(f.minLevel)
		case "auth":
			c.TokenEndpointAuthMethod = f.auth
		case "auth-alg":
			c.TokenEndpointAuthSigningAlg = f.authAlg
		case "jwks-file":
			c.JWKS = nil
			if f.jwksFile != "" {
				var b []byte
				if b, err = os.ReadFile(f.jwksFile); err != nil {
					err = fmt.Errorf("-jwks-file: %w", err)
					return
				}
				if b = bytes.TrimSpace(b); !json.Valid(b) {
					err = fmt.Errorf("-jwks-file %s: not JSON", f.jwksFile)
					return
				}
				c.JWKS = b
			}
		case "jwks-uri":
			c.JWKSURI = f.jwksURI
		case "id-token-alg":
			c.IDTokenSignedResponseAlg = f.idTokenAlg
		case "subject-type":
			c.SubjectType = oidc.SubjectType(f.subjectType)
		case "sector":
			c.SectorIdentifier = f.sector
		case "require-par":
			c.RequirePAR = f.requirePAR
		case "profile":
			c.Profile = oidc.Profile(f.profile)
		case "request-object-alg":
			c.RequestObjectSigningAlg = f.requestObjectAlg
		case "require-signed-request-object":
			c.RequireSignedRequestObject = f.requireSignedRequestObject
		case "accept-dependents":
			c.AcceptDependents = f.acceptDependents
		case "access-token-format":
			c.AccessTokenFormat = f.accessTokenFormat
		case "access-token-lifetime":
			c.AccessTokenLifetime = int(f.accessTokenLifetime / time.Second)
		case "access-token-audience":
			c.AccessTokenAudience = f.atAudience.values()
		default:
			f.responses.apply(fl.Name, c)
		}
	})
	return err
}

// readClientFile decodes a registration strictly: a misspelt field is an
// error, not silently ignored.
func readClientFile(path string) (oidc.Client, error) {
	var c oidc.Client
	b, err := os.ReadFile(path)
	if err != nil {
		return c, fmt.Errorf("-file: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return c, fmt.Errorf("-file %s: %w", path, err)
	}
	return c, nil
}

// clientError names the client and turns registry errors into sentences.
func clientError(op, id string, err error) error {
	switch {
	case errors.Is(err, oidc.ErrNotFound):
		return fmt.Errorf("%s: no client %q", op, id)
	case errors.Is(err, oidc.ErrAlreadyExists):
		return fmt.Errorf("%s: client %q already exists", op, id)
	case errors.Is(err, oidc.ErrInvalidClient):
		// Validate joins every problem with newlines; list them.
		msg := strings.TrimPrefix(err.Error(), oidc.ErrInvalidClient.Error()+": ")
		return fmt.Errorf("%s: invalid registration, nothing saved:\n  %s", op, strings.ReplaceAll(msg, "\n", "\n  "))
	}
	return fmt.Errorf("%s: %w", op, err)
}

func secretWarning(id string) string {
	return fmt.Sprintf("The client secret is shown only this once: the gateway stores only a keyed hash of it. "+
		"Hand it to the relying party over a secure channel now; if it is lost, run `dinhdanh client rotate-secret %s`.", id)
}

func printSecret(w io.Writer, c oidc.Client, secret string) {
	if secret == "" {
		fmt.Fprintf(w, "  client_id:     %s\n  no client secret: it authenticates with %s\n", c.ID, c.TokenEndpointAuthMethod)
		return
	}
	fmt.Fprintf(w, "  client_id:     %s\n  client_secret: %s\n\n%s\n", c.ID, secret, secretWarning(c.ID))
}

func showResult(w io.Writer, asJSON bool, c oidc.Client, msg string) error {
	if asJSON {
		return writeJSON(w, c)
	}
	fmt.Fprintln(w, msg)
	fmt.Fprintln(w)
	printClient(w, c)
	return nil
}

// usesSecret reports a confidential client that authenticates with a
// client secret (OIDC Core §9).
func usesSecret(c oidc.Client) bool {
	return c.TokenEndpointAuthMethod == oidc.AuthClientSecretBasic || c.TokenEndpointAuthMethod == oidc.AuthClientSecretPost
}

func clientStatus(c oidc.Client) string { return string(c.Status()) }

// printClient writes a registration for an operator to read.
func printClient(w io.Writer, c oidc.Client) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", k, v)
		}
	}
	row("client_id", c.ID)
	row("status", clientStatus(c))
	row("name (vi)", c.Name.VI)
	row("name (en)", c.Name.EN)
	row("kind", string(c.Kind))
	row("min_level", fmt.Sprint(c.MinLevel))
	row("purpose (vi)", c.Purpose.VI)
	row("purpose (en)", c.Purpose.EN)
	row("purpose_version", fmt.Sprint(c.PurposeVersion))
	row("organisation", c.Organisation.Name)
	row("organisation_code", c.Organisation.Code)
	row("legal_basis", c.LegalBasis)
	if a := c.Approval; a.State != oidc.ApprovalNone {
		row("proposed_by", a.ProposedBy+" "+a.ProposedAt.Format(time.RFC3339))
		if a.DecidedBy != "" {
			row(string(a.State)+"_by", a.DecidedBy+" "+a.DecidedAt.Format(time.RFC3339))
		}
	}
	row("logo_uri", c.LogoURL)
	row("redirect_uris", strings.Join(c.RedirectURIs, " "))
	row("post_logout_redirect_uris", strings.Join(c.PostLogoutRedirectURIs, " "))
	row("backchannel_logout_uri", c.BackchannelLogoutURI)
	row("grant_types", strings.Join(c.GrantTypes, " "))
	row("scopes", strings.Join(c.Scopes, " "))
	row("token_endpoint_auth_method", c.TokenEndpointAuthMethod)
	if c.TokenEndpointAuthMethod == oidc.AuthPrivateKeyJWT {
		row("token_endpoint_auth_signing_alg", c.GetTokenEndpointAuthSigningAlgorithm())
	}
	if len(c.JWKS) > 0 {
		n := 0
		if set := c.GetJSONWebKeys(); set != nil {
			n = len(set.Keys)
		}
		row("jwks", fmt.Sprintf("%d key(s)", n))
	}
	row("jwks_uri", c.JWKSURI)
	row("id_token_signed_response_alg", c.IDTokenAlg())
	row("subject_type", string(c.SubjectType))
	if c.SubjectType == oidc.SubjectPairwise {
		row("sector", c.Sector())
	}
	row("require_par", fmt.Sprint(c.RequirePAR))
	printResponseSecurity(row, c)
	profile := c.Profile
	if profile == oidc.ProfileDefault {
		profile = oidc.ProfileBaseline
	}
	row("profile", string(profile))
	row("request_object_signing_alg", c.RequestObjectSigningAlg)
	if c.RequireSignedRequestObject {
		row("require_signed_request_object", "true")
	}
	row("accept_dependents", fmt.Sprint(c.AcceptDependents))
	if c.JWTAccessTokens() {
		row("access_token_format", oidc.AccessTokenJWT)
		row("access_token_lifetime", c.JWTAccessTokenLifespan().String())
		row("access_token_audience", strings.Join(c.AccessTokenAudience, " "))
	} else {
		row("access_token_format", oidc.AccessTokenOpaque)
	}
	if !c.CreatedAt.IsZero() {
		row("created_at", c.CreatedAt.UTC().Format(time.RFC3339))
		row("updated_at", c.UpdatedAt.UTC().Format(time.RFC3339))
	}
	_ = tw.Flush()
}

// ---- shared by the operator commands (client, keys, audit, account) ----

type commonFlags struct {
	data  *string
	actor *string
	json  *bool
}

// toolFlags adds the flags every operator command takes besides -config.
func toolFlags(fs *flag.FlagSet) commonFlags {
	return commonFlags{
		data:  fs.String("data", ".data", "without DATABASE_URL: the folder of 'dinhdanh dev' whose database to use"),
		actor: fs.String("actor", os.Getenv("USER"), "operator name recorded in the audit log (default $USER)"),
		json:  fs.Bool("json", false, "print JSON instead of text"),
	}
}

// needActor returns the operator's name when the command changes anything.
func (f commonFlags) needActor(changes bool) (string, error) {
	a := strings.TrimSpace(*f.actor)
	if changes && a == "" {
		return "", errors.New("-actor is required ($USER is not set): every change is recorded with the operator's name")
	}
	return a, nil
}

// openOps is openTool with the gateway's operations set: the services a
// command uses are built when it first asks for them, and no background
// work of a serving gateway starts. done flushes the audit log and closes
// everything.
func openOps(ctx context.Context, cfg *config.Config, dataDir string, stderr io.Writer) (*gateway.Ops, func(), error) {
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	pool, rec, done, err := openTool(ctx, cfg, dataDir, logger)
	if err != nil {
		return nil, nil, err
	}
	ops, err := gateway.NewOps(gateway.Options{Config: *cfg, Pool: pool, Logger: logger, Audit: rec})
	if err != nil {
		done()
		return nil, nil, err
	}
	return ops, done, nil
}

// leadingArg takes a positional argument written before the flags
// ("client show ID -json"), which package flag would stop at.
func leadingArg(args []string) (string, []string) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return args[0], args[1:]
	}
	return "", args
}

// oneID checks the positional arguments: exactly one identifier (before or
// after the flags) when want, none otherwise.
func oneID(id string, rest []string, want bool, name, cmd string) (string, error) {
	if id == "" && len(rest) > 0 {
		id, rest = rest[0], rest[1:]
	}
	switch {
	case len(rest) > 0:
		return "", fmt.Errorf("%s: unexpected arguments %q", cmd, rest)
	case want && id == "":
		return "", fmt.Errorf("%s: %s is required", cmd, name)
	case !want && id != "":
		return "", fmt.Errorf("%s: unexpected argument %q", cmd, id)
	}
	return id, nil
}

// countSet counts which of names were given on the command line.
func countSet(fs *flag.FlagSet, names ...string) int {
	n := 0
	fs.Visit(func(f *flag.Flag) {
		for _, name := range names {
			if f.Name == name {
				n++
			}
		}
	})
	return n
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, " ") }

func (l *listFlag) Set(v string) error {
	*l = append(*l, v)
	return nil
}

// values drops empty entries, so `-redirect-uri ""` clears the list.
func (l listFlag) values() []string {
	var out []string
	for _, v := range l {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// words splits a space- or comma-separated list.
func words(s string) []string {
	return strings.Fields(strings.ReplaceAll(s, ",", " "))
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
