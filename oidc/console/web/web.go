// Package web is the operators' console pages of relying parties
// (/staff/clients): the list with each one's status, the registration form
// (organisation, kind, purpose and legal basis required; the scopes the
// kind policy allows the kind; keys or a secret shown once), and a relying
// party's page with the second operator's approval or rejection, disabling,
// secret rotation and its use over the last days. Vietnamese first,
// English with ui_locales.
//
// It decodes forms, calls oidc.Clients and oidc.Usage (the domain paths the
// CLI and the admin API use) and renders; it holds no SQL. The signed-in
// operator comes from the top floor (Principal, Require), never from a
// form; CSRF is the staff console's middleware's, around every route.
package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/internal/svgchart"
	"github.com/dinhdanh/dinhdanh/internal/webpage"
	"github.com/dinhdanh/dinhdanh/oidc"
	"github.com/dinhdanh/dinhdanh/staff"
	"github.com/dinhdanh/dinhdanh/templates"
)

// Paths served.
const (
	PathClients = "/staff/clients"
	PathNew     = PathClients + "/new"
)

// Clients is the relying-party registry as the console uses it
// (*oidc.Clients).
type Clients interface {
	List(ctx context.Context) ([]oidc.Client, error)
	Get(ctx context.Context, id string) (oidc.Client, error)
	KindPolicy(ctx context.Context) (oidc.KindPolicy, error)
	Propose(ctx context.Context, op oidc.Operator, c oidc.Client) (oidc.Client, string, error)
	Approve(ctx context.Context, op oidc.Operator, id string) (oidc.Client, error)
	Reject(ctx context.Context, op oidc.Operator, id, reason string) (oidc.Client, error)
	DisableBy(ctx context.Context, op oidc.Operator, id string) (oidc.Client, error)
	RotateSecretBy(ctx context.Context, op oidc.Operator, id string) (string, error)
}

// Usage is the relying parties' rolled-up use (*oidc.Usage).
type Usage interface {
	// CatchUp rolls up what the audit log added since the last run, at
	// most maxRanges ranges (the page shows figures up to now).
	CatchUp(ctx context.Context, maxRanges int) (int64, error)
	Last7Days(ctx context.Context, clientID string) ([]oidc.UsageDay, error)
}

// Handler serves the pages. Mount it with the staff console's routes
// (their session and CSRF middleware).
type Handler struct {
	Clients   Clients
	Usage     Usage
	Templates *templates.Set
	CSRF      *httpx.CSRF
	// Principal is the signed-in staff member; Require(role) lets only a
	// member holding role through (both from the staff console, by the top
	// floor).
	Principal func(*http.Request) (staff.Principal, bool)
	Require   func(staff.Role) func(http.Handler) http.Handler
	Logger    *slog.Logger
}

// catchUpRanges bounds the roll-up a page view runs: at most this many
// ranges of oidc.DefaultUsageBatch audit entries (the background loop does
// the rest).
const catchUpRanges = 5

const idPattern = "{id:[A-Za-z0-9._~:-]{1,128}}"

// Routes mounts the pages, every one for operators only.
func (h *Handler) Routes(r *mux.Router) {
	op := func(f http.HandlerFunc) http.Handler { return httpx.NoStore(h.Require(staff.RoleOperator)(f)) }
	r.Handle(PathClients, op(h.list)).Methods(http.MethodGet, http.MethodHead)
	r.Handle(PathClients, op(h.create)).Methods(http.MethodPost)
	r.Handle(PathNew, op(h.showNew)).Methods(http.MethodGet, http.MethodHead)
	r.Handle(PathClients+"/"+idPattern, op(h.show)).Methods(http.MethodGet, http.MethodHead)
	r.Handle(PathClients+"/"+idPattern+"/approve", op(h.approve)).Methods(http.MethodPost)
	r.Handle(PathClients+"/"+idPattern+"/reject", op(h.reject)).Methods(http.MethodPost)
	r.Handle(PathClients+"/"+idPattern+"/disable", op(h.disable)).Methods(http.MethodPost)
	r.Handle(PathClients+"/"+idPattern+"/secret", op(h.rotate)).Methods(http.MethodPost)
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func lang(r *http.Request) templates.Lang { return webpage.Lang(r, "") }

func (h *Handler) base(r *http.Request) templates.StaffBase {
	b := templates.StaffBase{Base: templates.Base{Lang: lang(r), CSRFToken: h.CSRF.Token(r.Context()), RequestID: httpx.RequestIDFrom(r.Context())}}
	if p, ok := h.Principal(r); ok {
		b.StaffName, b.StaffUnit = p.Name, p.Unit.Name
		if b.StaffName == "" {
			b.StaffName = p.Username
		}
	}
	return b
}

// operator is the signed-in operator as the registry audits it.
func (h *Handler) operator(r *http.Request) oidc.Operator {
	p, _ := h.Principal(r)
	name := p.Name
	if name == "" {
		name = p.Username
	}
	return oidc.Operator{MemberID: p.MemberID, Username: p.Username, Name: name}
}

func (h *Handler) render(r *http.Request, err error) {
	if err != nil {
		h.logger().ErrorContext(r.Context(), "render relying-party page", "error", err, "request_id", httpx.RequestIDFrom(r.Context()))
	}
}

func (h *Handler) serverError(w http.ResponseWriter, r *http.Request, msg string, err error) {
	h.logger().ErrorContext(r.Context(), msg, "error", err, "request_id", httpx.RequestIDFrom(r.Context()))
	h.render(r, h.Templates.StaffError(w, http.StatusInternalServerError, h.base(r), "error.generic"))
}

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	h.render(r, h.Templates.StaffError(w, http.StatusNotFound, h.base(r), "error.not_found"))
}

func clientURL(id string, l templates.Lang, extra ...string) string {
	q := url.Values{"ui_locales": {string(l)}}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	return PathClients + "/" + url.PathEscape(id) + "?" + q.Encode()
}

// list: GET /staff/clients.
func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	cs, err := h.Clients.List(r.Context())
	if err != nil {
		h.serverError(w, r, "list clients", err)
		return
	}
	l := lang(r)
	page := templates.StaffClientsPage{StaffBase: h.base(r)}
	// Pending first (they wait for someone), then by name.
	slices.SortStableFunc(cs, func(a, b oidc.Client) int {
		if (a.Status() == oidc.StatusPending) != (b.Status() == oidc.StatusPending) {
			if a.Status() == oidc.StatusPending {
				return -1
			}
			return 1
		}
		return strings.Compare(a.DisplayName(string(l)), b.DisplayName(string(l)))
	})
	for _, c := range cs {
		page.Rows = append(page.Rows, templates.StaffClientRow{
			ID: c.ID, Name: c.DisplayName(string(l)), Organisation: c.Organisation.Name, OrgCode: c.Organisation.Code,
			Kind: string(c.Kind), Status: string(c.Status()), CreatedAt: c.CreatedAt.In(webpage.Vietnam).Format("02/01/2006"),
			URL: clientURL(c.ID, l),
		})
	}
	h.render(r, h.Templates.StaffClients(w, http.StatusOK, page))
}

// form is the registration form as posted.
type form = templates.StaffClientForm

func readForm(r *http.Request) (form, []string) {
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	f := form{
		Kind: v("kind"), NameVI: v("name_vi"), NameEN: v("name_en"), OrgName: v("org_name"), OrgCode: v("org_code"),
		PurposeVI: v("purpose_vi"), PurposeEN: v("purpose_en"), LegalBasis: v("legal_basis"),
		RedirectURIs: v("redirect_uris"), MinLevel: v("min_level"), Auth: v("auth"), JWKS: v("jwks"), JWKSURI: v("jwks_uri"),
	}
	return f, r.PostForm["scope"]
}

// newPage is the form's page for kind (the kind chooser when kind is not
// one).
func (h *Handler) newPage(r *http.Request, f form, chosen []string) (templates.StaffClientNewPage, error) {
	l := lang(r)
	page := templates.StaffClientNewPage{StaffBase: h.base(r), Form: f}
	kind := oidc.Kind(f.Kind)
	if !slices.Contains(oidc.Kinds(), kind) {
		page.Form.Kind = ""
		for _, k := range oidc.Kinds() {
			page.Kinds = append(page.Kinds, templates.StaffClientOption{Value: string(k), Label: templates.T(l, "staff.policy.kind."+string(k)), Selected: k == oidc.KindPublicService})
		}
		return page, nil
	}
	policy, err := h.Clients.KindPolicy(r.Context())
	if err != nil {
		return page, err
	}
	for _, s := range offeredScopes(policy, kind) {
		page.Scopes = append(page.Scopes, templates.StaffClientOption{Value: s, Label: s, Selected: slices.Contains(chosen, s)})
	}
	levels := []assurance.Level{1, 2}
	if kind == oidc.KindBank {
		levels = []assurance.Level{2}
	}
	for _, lv := range levels {
		v := strconv.Itoa(int(lv))
		page.Levels = append(page.Levels, templates.StaffClientOption{Value: v, Label: templates.T(l, "staff.clients.f.level", v), Selected: f.MinLevel == v})
	}
	if page.Form.Auth == "" {
		page.Form.Auth = "secret"
		if kind == oidc.KindBank {
			page.Form.Auth = "private_key_jwt"
		}
	}
	return page, nil
}

// offeredScopes are the scopes a client of kind may be registered with:
// every citizen scope but openid (always there), act_for_dependent (a
// registration of its own) and the document scopes the policy refuses.
func offeredScopes(p oidc.KindPolicy, kind oidc.Kind) []string {
	var out []string
	for _, s := range attributes.Scopes() {
		if s == attributes.ScopeOpenID || s == oidc.ScopeActForDependent || !p.Allows(kind, s) {
			continue
		}
		out = append(out, s)
	}
	return out
}

// showNew: GET /staff/clients/new[?kind=].
func (h *Handler) showNew(w http.ResponseWriter, r *http.Request) {
	page, err := h.newPage(r, form{Kind: r.URL.Query().Get("kind")}, nil)
	if err != nil {
		h.serverError(w, r, "kind policy", err)
		return
	}
	h.render(r, h.Templates.StaffClientNew(w, http.StatusOK, page))
}

// check finds what the form gets wrong, each as a message key, and builds
// the client. Nothing is written when it finds anything.
func check(f form, chosen []string, offered []string) (oidc.Client, []string) {
	var bad []string
	c := oidc.Client{
		Kind: oidc.Kind(f.Kind), Name: oidc.Text{VI: f.NameVI, EN: f.NameEN}, Purpose: oidc.Text{VI: f.PurposeVI, EN: f.PurposeEN},
		Organisation: oidc.Organisation{Name: f.OrgName, Code: f.OrgCode}, LegalBasis: f.LegalBasis,
	}
	if c.Name.VI == "" {
		bad = append(bad, "staff.clients.err.name")
	}
	if f.OrgName == "" {
		bad = append(bad, "staff.clients.err.organisation_name")
	}
	if !orgCode(f.OrgCode) {
		bad = append(bad, "staff.clients.err.organisation_code")
	}
	if f.PurposeVI == "" {
		bad = append(bad, "staff.clients.err.purpose")
	}
	if f.LegalBasis == "" {
		bad = append(bad, "staff.clients.err.legal_basis")
	}
	for _, line := range strings.FieldsFunc(f.RedirectURIs, func(r rune) bool { return r == '\n' || r == '\r' || r == ' ' || r == '\t' }) {
		c.RedirectURIs = append(c.RedirectURIs, line)
	}
	if len(c.RedirectURIs) == 0 || slices.ContainsFunc(c.RedirectURIs, badRedirect) {
		bad = append(bad, "staff.clients.err.redirect_uris")
	}
	for _, s := range chosen {
		if !slices.Contains(offered, s) {
			bad = append(bad, "staff.clients.err.scopes")
			break
		}
	}
	c.Scopes = append([]string{attributes.ScopeOpenID}, chosen...)
	switch f.MinLevel {
	case "1", "2":
		c.MinLevel = assurance.Level(f.MinLevel[0] - '0')
		if c.Kind == oidc.KindBank && c.MinLevel < 2 {
			bad = append(bad, "staff.clients.err.min_level")
		}
	default:
		bad = append(bad, "staff.clients.err.min_level")
	}
	switch f.Auth {
	case "secret":
		c.TokenEndpointAuthMethod = oidc.AuthClientSecretBasic
		if c.Kind == oidc.KindBank {
			// FAPI 2.0 allows no client secret: a bank with one is held
			// to the baseline profile.
			c.Profile = oidc.ProfileBaseline
		}
	case "private_key_jwt":
		c.TokenEndpointAuthMethod = oidc.AuthPrivateKeyJWT
		switch {
		case f.JWKS != "" && f.JWKSURI != "":
			bad = append(bad, "staff.clients.err.keys")
		case f.JWKS != "":
			if !json.Valid([]byte(f.JWKS)) {
				bad = append(bad, "staff.clients.err.keys")
			} else {
				c.JWKS = json.RawMessage(f.JWKS)
				if c.GetJSONWebKeys() == nil || len(c.GetJSONWebKeys().Keys) == 0 {
					bad = append(bad, "staff.clients.err.keys")
				}
			}
		case f.JWKSURI != "":
			c.JWKSURI = f.JWKSURI
			if u, err := url.Parse(f.JWKSURI); err != nil || u.Scheme != "https" || u.Host == "" {
				bad = append(bad, "staff.clients.err.keys")
			}
		default:
			bad = append(bad, "staff.clients.err.keys")
		}
	default:
		bad = append(bad, "staff.clients.err.auth")
	}
	return c, bad
}

func orgCode(s string) bool {
	if s == "" || len(s) > 32 || strings.Count(s, "-") > 1 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	return strings.Trim(s, "0123456789-") == ""
}

func badRedirect(s string) bool {
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() || u.Host == "" || strings.Contains(s, "#") {
		return true
	}
	host := u.Hostname()
	loopback := host == "localhost" || host == "127.0.0.1" || host == "::1"
	return u.Scheme != "https" && !(u.Scheme == "http" && loopback)
}

// create: POST /staff/clients. A bad form is shown again with its errors
// and nothing is written.
func (h *Handler) create(w http.ResponseWriter, r *http.Request) {
	f, chosen := readForm(r)
	page, err := h.newPage(r, f, chosen)
	if err != nil {
		h.serverError(w, r, "kind policy", err)
		return
	}
	if page.Form.Kind == "" {
		page.Errors = []string{"staff.clients.err.kind"}
		h.render(r, h.Templates.StaffClientNew(w, http.StatusUnprocessableEntity, page))
		return
	}
	var offered []string
	for _, s := range page.Scopes {
		offered = append(offered, s.Value)
	}
	c, bad := check(f, chosen, offered)
	if len(bad) > 0 {
		page.Errors = bad
		h.render(r, h.Templates.StaffClientNew(w, http.StatusUnprocessableEntity, page))
		return
	}
	created, secret, err := h.Clients.Propose(r.Context(), h.operator(r), c)
	if err != nil {
		var oe *oidc.OnboardingError
		switch {
		case errors.As(err, &oe):
			for _, field := range oe.Fields {
				page.Errors = append(page.Errors, "staff.clients.err."+field)
			}
		case errors.Is(err, oidc.ErrInvalidClient):
			page.Errors = []string{"staff.clients.err.title"}
			page.Detail = strings.ReplaceAll(err.Error(), "oidc: invalid client registration: ", "")
		default:
			h.serverError(w, r, "propose client", err)
			return
		}
		h.render(r, h.Templates.StaffClientNew(w, http.StatusUnprocessableEntity, page))
		return
	}
	// The secret is shown on this answer only (no redirect: it would have
	// to travel in a URL or a session).
	h.showClient(w, r, http.StatusCreated, created.ID, "staff.clients.created", "", secret)
}

// show: GET /staff/clients/{id}[?done=].
func (h *Handler) show(w http.ResponseWriter, r *http.Request) {
	notice := ""
	switch r.URL.Query().Get("done") {
	case "approved", "rejected", "disabled":
		notice = "staff.clients." + r.URL.Query().Get("done")
	}
	h.showClient(w, r, http.StatusOK, mux.Vars(r)["id"], notice, "", "")
}

func (h *Handler) showClient(w http.ResponseWriter, r *http.Request, status int, id, notice, errKey, secret string) {
	ctx := r.Context()
	c, err := h.Clients.Get(ctx, id)
	if errors.Is(err, oidc.ErrNotFound) {
		h.notFound(w, r)
		return
	}
	if err != nil {
		h.serverError(w, r, "load client", err)
		return
	}
	if _, err := h.Usage.CatchUp(ctx, catchUpRanges); err != nil {
		// Figures a few minutes old are still figures: the page is shown.
		h.logger().WarnContext(ctx, "usage roll-up", "error", err, "request_id", httpx.RequestIDFrom(ctx))
	}
	days, err := h.Usage.Last7Days(ctx, c.ID)
	if err != nil {
		h.serverError(w, r, "client usage", err)
		return
	}
	l := lang(r)
	p, _ := h.Principal(r)
	page := templates.StaffClientPage{
		StaffBase: h.base(r), ID: c.ID, Name: c.DisplayName(string(l)), Status: string(c.Status()),
		RedirectURIs: c.RedirectURIs, Scopes: c.Scopes, Notice: notice, Error: errKey, Secret: secret,
		CanDisable: !c.Disabled && c.Status() != oidc.StatusRejected,
		CanRotate:  c.Usable() && (c.TokenEndpointAuthMethod == oidc.AuthClientSecretBasic || c.TokenEndpointAuthMethod == oidc.AuthClientSecretPost),
	}
	if c.Pending() {
		page.OwnProposal = c.Approval.ProposedBy == p.MemberID
		page.CanDecide = !page.OwnProposal
	}
	field := func(label, value string, code bool) {
		if value != "" {
			page.Fields = append(page.Fields, templates.StaffClientField{Label: label, Value: value, Code: code})
		}
	}
	field("staff.clients.f.id", c.ID, true)
	field("staff.clients.f.kind", templates.T(l, "staff.policy.kind."+string(c.Kind)), false)
	field("staff.clients.f.org_name", c.Organisation.Name, false)
	field("staff.clients.f.org_code", c.Organisation.Code, true)
	field("staff.clients.f.purpose_vi", c.Purpose.VI, false)
	field("staff.clients.f.purpose_en", c.Purpose.EN, false)
	field("staff.clients.f.legal_basis", c.LegalBasis, false)
	field("staff.clients.f.min_level", templates.T(l, "staff.clients.f.level", strconv.Itoa(int(c.MinLevel))), false)
	field("staff.clients.f.auth", c.TokenEndpointAuthMethod, true)
	field("staff.clients.f.profile", string(c.Profile), true)
	field("staff.clients.f.jwks_uri", c.JWKSURI, true)
	if a := c.Approval; a.State != oidc.ApprovalNone {
		page.ProposedBy = fmt.Sprintf("%s · %s", a.ProposedName, a.ProposedAt.In(webpage.Vietnam).Format("02/01/2006 15:04"))
		if !a.DecidedAt.IsZero() {
			page.DecidedBy = fmt.Sprintf("%s · %s", a.DecidedName, a.DecidedAt.In(webpage.Vietnam).Format("02/01/2006 15:04"))
		}
		page.RejectReason = a.Reason
	}
	var total oidc.UsageDay
	for _, d := range days {
		page.Usage = append(page.Usage, usageRow(d, d.Day.Format("02/01")))
		total.SignIns, total.Tokens, total.Failures = total.SignIns+d.SignIns, total.Tokens+d.Tokens, total.Failures+d.Failures
	}
	page.UsageTotal = usageRow(total, "")
	if page.Chart, err = chart(l, days); err != nil {
		h.serverError(w, r, "usage chart", err)
		return
	}
	h.render(r, h.Templates.StaffClient(w, status, page))
}

// chart draws the week as bars: per day, sign-ins, tokens and failures.
func chart(l templates.Lang, days []oidc.UsageDay) (template.HTML, error) {
	c := svgchart.Bars{ID: "usage-chart", Title: templates.T(l, "staff.clients.usage.chart"), Desc: templates.T(l, "staff.clients.usage.chart_desc"),
		Series: []svgchart.Series{
			{Key: oidc.MetricSignIns, Label: templates.T(l, "staff.clients.usage.sign_ins")},
			{Key: oidc.MetricTokens, Label: templates.T(l, "staff.clients.usage.tokens")},
			{Key: oidc.MetricFailures, Label: templates.T(l, "staff.clients.usage.failures")},
		}}
	for _, d := range days {
		c.Groups = append(c.Groups, svgchart.Group{Key: d.Day.Format(time.DateOnly), Label: d.Day.Format("02/01"),
			Values: []int64{d.SignIns, d.Tokens, d.Failures}})
	}
	return c.SVG()
}

func usageRow(d oidc.UsageDay, label string) templates.StaffUsageRow {
	row := templates.StaffUsageRow{Day: label, SignIns: d.SignIns, Tokens: d.Tokens, Failures: d.Failures, ErrorRate: "–"}
	if !d.Day.IsZero() {
		row.DayISO = d.Day.Format("2006-01-02")
	}
	if d.Tokens+d.Failures > 0 {
		row.ErrorRate = strconv.FormatFloat(100*d.ErrorRate(), 'f', 1, 64) + " %"
	}
	return row
}

// decision answers an action on a client: back to its page with a notice,
// or the page again with the error.
func (h *Handler) decision(w http.ResponseWriter, r *http.Request, err error, done string) {
	id := mux.Vars(r)["id"]
	switch {
	case err == nil:
		http.Redirect(w, r, clientURL(id, lang(r), "done", done), http.StatusSeeOther)
	case errors.Is(err, oidc.ErrNotFound):
		h.notFound(w, r)
	case errors.Is(err, oidc.ErrSelfApproval):
		h.showClient(w, r, http.StatusForbidden, id, "", "staff.clients.err.self", "")
	case errors.Is(err, oidc.ErrNotPending):
		h.showClient(w, r, http.StatusConflict, id, "", "staff.clients.err.not_pending", "")
	case errors.Is(err, oidc.ErrInvalidClient):
		h.showClient(w, r, http.StatusUnprocessableEntity, id, "", "staff.clients.err.reason", "")
	default:
		h.serverError(w, r, "client "+done, err)
	}
}

// approve: POST /staff/clients/{id}/approve.
func (h *Handler) approve(w http.ResponseWriter, r *http.Request) {
	_, err := h.Clients.Approve(r.Context(), h.operator(r), mux.Vars(r)["id"])
	h.decision(w, r, err, "approved")
}

// reject: POST /staff/clients/{id}/reject.
func (h *Handler) reject(w http.ResponseWriter, r *http.Request) {
	_, err := h.Clients.Reject(r.Context(), h.operator(r), mux.Vars(r)["id"], r.PostFormValue("reason"))
	h.decision(w, r, err, "rejected")
}

// disable: POST /staff/clients/{id}/disable.
func (h *Handler) disable(w http.ResponseWriter, r *http.Request) {
	_, err := h.Clients.DisableBy(r.Context(), h.operator(r), mux.Vars(r)["id"])
	h.decision(w, r, err, "disabled")
}

// rotate: POST /staff/clients/{id}/secret; the new secret is on this
// answer only.
func (h *Handler) rotate(w http.ResponseWriter, r *http.Request) {
	id := mux.Vars(r)["id"]
	secret, err := h.Clients.RotateSecretBy(r.Context(), h.operator(r), id)
	if err != nil {
		h.decision(w, r, err, "rotated")
		return
	}
	h.showClient(w, r, http.StatusOK, id, "staff.clients.rotated", "", secret)
}
