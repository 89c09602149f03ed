package templates

import (
	"io/fs"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every message key the staff console's pages name is registered, in both
// languages.
func TestStaffMessagesRegistered(t *testing.T) {
	key := regexp.MustCompile(`"(staff\.[a-z_.]+)"`)
	names, err := fs.Glob(files, "html/*staff*.html")
	require.NoError(t, err)
	require.NotEmpty(t, names)
	for _, n := range names {
		b, err := fs.ReadFile(files, n)
		require.NoError(t, err)
		for _, m := range key.FindAllStringSubmatch(string(b), -1) {
			if m[1] == "staff.role." || m[1] == "staff.level." {
				continue // completed with printf in the template
			}
			assert.True(t, HasMessage(m[1]), "%s: %s", n, m[1])
			assert.NotEqual(t, T(VI, m[1]), T(EN, m[1]), "%s: %s has no English", n, m[1])
		}
	}
	for _, k := range []string{"staff.role.officer", "staff.role.supervisor", "staff.role.operator", "staff.level.commune",
		"staff.link.counter", "staff.link.locks", "staff.link.members", "staff.link.units", "staff.units.title", "staff.passkeys.title"} {
		assert.True(t, HasMessage(k), k)
	}
}
