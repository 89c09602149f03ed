package web

import (
	"context"
	"errors"
	"net/http"
	"slices"

	"github.com/dinhdanh/dinhdanh/oidc"
	"github.com/dinhdanh/dinhdanh/templates"
)

// PathPolicy is the operators' page of the kind policy.
const PathPolicy = "/staff/policy"

// KindPolicy is the kind policy as the operators' page reads and sets it:
// the same domain path as the admin API and `dinhdanh policy`
// (oidc.Clients), audited there.
type KindPolicy interface {
	KindPolicy(ctx context.Context) (oidc.KindPolicy, error)
	SetKindRule(ctx context.Context, actor string, r oidc.KindRule) error
}

func (h *Handler) policyPage(w http.ResponseWriter, r *http.Request, status int, notice string) {
	p, err := h.Policy.KindPolicy(r.Context())
	if err != nil {
		h.serverError(w, r, "read kind policy", err)
		return
	}
	page := templates.StaffPolicyPage{StaffBase: h.Base(r), Scopes: oidc.DocumentScopes(), Notice: notice}
	for _, k := range oidc.Kinds() {
		row := templates.StaffPolicyRow{Kind: string(k)}
		for _, s := range oidc.DocumentScopes() {
			row.Cells = append(row.Cells, templates.StaffPolicyCell{Scope: s, Allowed: slices.Contains(p[k], s)})
		}
		page.Rows = append(page.Rows, row)
	}
	h.render(r, h.Templates.StaffPolicy(w, status, page))
}

func (h *Handler) showPolicy(w http.ResponseWriter, r *http.Request) {
	notice := ""
	if r.URL.Query().Get("saved") == "1" {
		notice = "staff.policy.saved"
	}
	h.policyPage(w, r, http.StatusOK, notice)
}

// setPolicy allows or refuses one document scope to one kind.
func (h *Handler) setPolicy(w http.ResponseWriter, r *http.Request) {
	p, _ := Principal(r)
	rule := oidc.KindRule{Kind: oidc.Kind(r.PostFormValue("kind")), Scope: r.PostFormValue("scope"), Allowed: r.PostFormValue("allowed") == "true"}
	err := h.Policy.SetKindRule(r.Context(), p.Username, rule)
	switch {
	case errors.Is(err, oidc.ErrInvalidRule):
		h.policyPage(w, r, http.StatusUnprocessableEntity, "staff.policy.invalid")
	case err != nil:
		h.serverError(w, r, "set kind policy", err)
	default:
		http.Redirect(w, r, PathPolicy+"?saved=1&ui_locales="+string(h.Base(r).Lang), http.StatusSeeOther)
	}
}
