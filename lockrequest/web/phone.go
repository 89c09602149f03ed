package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/lockrequest"
	"github.com/dinhdanh/dinhdanh/staff"
	"github.com/dinhdanh/dinhdanh/templates"
)

func (h *Handler) showPhone(w http.ResponseWriter, r *http.Request) {
	p, ok := h.member(w, r)
	if !ok {
		return
	}
	if !p.Has(staff.RoleOfficer) {
		h.forbidden(w, r)
		return
	}
	h.render(r, h.Templates.StaffPhone(w, http.StatusOK, templates.StaffPhonePage{StaffBase: h.base(r, p)}))
}

// changePhone sets a citizen's phone number after a verified chip read
// (lockrequest.Service.ChangePhone).
func (h *Handler) changePhone(w http.ResponseWriter, r *http.Request) {
	p, ok := h.member(w, r)
	if !ok || !h.csrfOK(w, r) {
		return
	}
	page := templates.StaffPhonePage{StaffBase: h.base(r, p), PersonalID: personalID(r),
		ReadID: strings.TrimSpace(r.PostFormValue("read_id")), Phone: strings.TrimSpace(r.PostFormValue("phone"))}
	_, err := h.Locks.ChangePhone(r.Context(), p, page.PersonalID, page.ReadID, page.Phone, origin(r))
	status := http.StatusOK
	switch {
	case err == nil:
		page.Done = true
	case errors.Is(err, lockrequest.ErrForbidden):
		h.forbidden(w, r)
		return
	case errors.Is(err, lockrequest.ErrNotFound):
		status, page.Error = http.StatusNotFound, "locks.error.no_account"
	case errors.Is(err, lockrequest.ErrNoVerifiedRead):
		h.logger().InfoContext(r.Context(), "phone change refused: chip read not verified", "error", err, "request_id", httpx.RequestIDFrom(r.Context()))
		status, page.Error = http.StatusUnprocessableEntity, "locks.error.no_read"
	case errors.Is(err, accounts.ErrPhoneTaken):
		status, page.Error = http.StatusConflict, "locks.phone.taken"
	case errors.Is(err, accounts.ErrInvalidPhone), errors.Is(err, accounts.ErrSamePhone):
		status, page.Error = http.StatusBadRequest, "locks.phone.invalid"
	case errors.Is(err, lockrequest.ErrInvalid):
		status, page.Error = http.StatusBadRequest, "locks.error.invalid"
	default:
		h.fail(w, r, err)
		return
	}
	h.render(r, h.Templates.StaffPhone(w, status, page))
}
