package web_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/lockrequest/web"
)

// A citizen who lost the old phone gets a new number at the counter: an
// officer, only with a verified read of that citizen's chip card.
func TestChangePhoneAtCounter(t *testing.T) {
	s := newSite(t)
	officer, sup := s.as(t, "officer"), s.as(t, "sup")
	const oldPhone, newPhone = "+84901234567", "+84907654321"
	s.acc.Citizen(t, "001085000077", "correct horse battery", "+84901000077", 2)

	for _, tc := range []struct {
		name        string
		read, phone string
		status      int
		want        string
	}{
		{"unknown read", "read-x", "0907 654 321", http.StatusUnprocessableEntity, "không phải là lần đọc đã xác thực"},
		{"no read", "", "0907 654 321", http.StatusBadRequest, "Thông tin chưa hợp lệ"},
		{"bad number", "read-1", "09x", http.StatusBadRequest, "không hợp lệ"},
		{"the number on record", "read-1", oldPhone, http.StatusBadRequest, "không hợp lệ"},
		{"another account's number", "read-1", "+84901000077", http.StatusConflict, "tài khoản khác"},
		{"verified read", "read-1", "0907 654 321", http.StatusOK, "Đã đổi số điện thoại"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body, _ := officer.post(web.PathPhone, web.PathPhone, url.Values{"personal_id": {pid}, "read_id": {tc.read}, "phone": {tc.phone}})
			assert.Equal(t, tc.status, status)
			assert.Contains(t, body, tc.want)
		})
	}
	a, err := s.acc.Service.Get(t.Context(), s.account.ID)
	require.NoError(t, err)
	assert.Equal(t, newPhone, a.Phone)
	assert.Contains(t, s.acc.Sender.Last(oldPhone), "doi sang", "the old number is told")

	status, _, _ := sup.post(web.PathPhone, web.PathLocks, url.Values{"personal_id": {pid}, "read_id": {"read-1"}, "phone": {"0907 000 000"}})
	assert.Equal(t, http.StatusForbidden, status, "a supervisor alone does not change it")

	var changed []audit.Event
	for _, e := range s.acc.Audit.Events() {
		if e.Type == audit.PhoneChanged && e.AccountID == s.account.ID {
			changed = append(changed, e)
		}
	}
	require.Len(t, changed, 1)
	assert.Equal(t, audit.Officer, changed[0].ActorKind)
	assert.Equal(t, "counter", changed[0].Detail["method"])
	assert.Equal(t, "read-1", changed[0].Detail["chip_read_id"])
}
