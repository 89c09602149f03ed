package reconcile_test

import (
	"testing"
	"unicode"

	"github.com/stretchr/testify/require"
	"golang.org/x/text/unicode/norm"

	"github.com/dinhdanh/dinhdanh/reconcile"
)

func nfd(s string) string { return norm.NFD.String(s) }

func TestFold(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		same bool
	}{
		{"identical", "Nguyễn Văn An", "Nguyễn Văn An", true},
		{"upper case, Vietnamese letters too", "NGUYỄN VĂN AN", "Nguyễn Văn An", true},
		{"Đ and đ", "ĐỖ THỊ ĐÀO", "đỗ thị đào", true},
		{"NFD against NFC", nfd("Nguyễn Thị Phượng"), "Nguyễn Thị Phượng", true},
		{"NFD and upper case", nfd("TRẦN THỊ HỒNG"), "Trần Thị Hồng", true},
		{"inner and outer white space", "  Lê   Văn\tTám \n", "Lê Văn Tám", true},
		{"no-break space", "Phạm\u00a0Văn\u00a0Đồng", "Phạm Văn Đồng", true},
		{"eth of legacy encodings", "Ðặng Văn Ðức", "Đặng Văn Đức", true},
		{"old-style tone: oa", "Nguyễn Thị Hòa", "Nguyễn Thị Hoà", true},
		{"old-style tone: uy", "Lê Thị Thủy", "LÊ THỊ THUỶ", true},
		{"old-style tone: oe", "Trần Văn Khỏe", "Trần Văn Khoẻ", true},
		{"old-style tone, NFD", nfd("Vũ Thị Thúy"), "Vũ Thị Thuý", true},

		// Diacritics tell names apart: never merged.
		{"Lê is not Lệ", "Lê Văn An", "Lệ Văn An", false},
		{"Lâm is not Lam", "Nguyễn Văn Lâm", "Nguyễn Văn Lam", false},
		{"Đặng is not Dặng", "Đặng Văn Khoa", "Dặng Văn Khoa", false},
		{"marks stripped are another name", "Nguyễn Văn An", "Nguyen Van An", false},
		{"another tone", "Trần Thị Thuỷ", "Trần Thị Thuý", false},
		{"Hoà is not Hoa", "Lê Thị Hoà", "Lê Thị Hoa", false},
		{"Ân is not An", "Trần Văn Ân", "Trần Văn An", false},
		{"another syllable", "Lê Văn An", "Lê Văn Anh", false},
		{"a missing space is not white space", "Phạm Văn Nam", "PhạmVăn Nam", false},
		{"Ư is not U", "Nguyễn Thị Thư", "Nguyễn Thị Thu", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fa, fb := reconcile.Fold(tt.a), reconcile.Fold(tt.b)
			require.Equal(t, tt.same, fa == fb, "%q → %q, %q → %q", tt.a, fa, tt.b, fb)
			require.True(t, norm.NFC.IsNormalString(fa), fa)
			require.Equal(t, fa, reconcile.Fold(fa), "folding twice changes nothing")
		})
	}
}

// The tables are what they say: each upper-case letter's lower case (the
// eth excepted), all in NFC.
func TestFoldTables(t *testing.T) {
	up, low := []rune(reconcile.FoldUpper), []rune(reconcile.FoldLower)
	require.Len(t, low, len(up))
	for i, r := range up {
		if r == 'Ð' || r == 'ð' {
			require.Equal(t, 'đ', low[i])
			continue
		}
		require.Equal(t, unicode.ToLower(r), low[i], string(r))
	}
	for _, s := range []string{reconcile.FoldUpper, reconcile.FoldLower} {
		require.True(t, norm.NFC.IsNormalString(s))
	}
	for _, p := range reconcile.TonePairs {
		require.True(t, norm.NFC.IsNormalString(p[0]) && norm.NFC.IsNormalString(p[1]), p[0])
		require.Equal(t, norm.NFD.String(p[0])[:1], p[1][:1], "the same vowel: %s → %s", p[0], p[1])
		require.NotEqual(t, p[0], p[1])
	}
}
