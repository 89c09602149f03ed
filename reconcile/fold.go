package reconcile

import (
	"strings"

	"golang.org/x/text/unicode/norm"
)

// Fold is the key under which the reconciliation compares an owner's name
// and address with the population registry's (the SQL function
// reconcile_fold of reconcile/postgres does the same, and a test keeps the
// two in agreement). Two spellings with the same key are the same name:
//
//  1. Unicode NFC: "Nguyễn" typed with combining marks (NFD, as some
//     systems and macOS file names store it) is the precomposed "Nguyễn".
//  2. White space: runs of spaces, tabs, line breaks and no-break spaces
//     are one space, none at either end.
//  3. Case: ASCII and every Vietnamese letter (Đ, Ơ, Ữ, ...) lowercased,
//     by this fixed table, whatever the database's locale (lower() alone
//     folds only ASCII under the C locale).
//  4. Look-alikes of legacy encodings: the eth Ð/ð (U+00D0/U+00F0), which
//     old fonts and converters put for Đ, is đ.
//  5. Tone placement: the old and new styles of writing the tone in the
//     open syllables oa, oe and uy ("Hòa"/"Hoà", "Thùy"/"Thuỳ", "Khỏe"/
//     "Khoẻ") are one spelling (the tone on the second vowel).
//
// Diacritics are NOT stripped: they tell names apart ("Lê" and "Lệ", "Lâm"
// and "Lam", "Đặng" and "Dặng" are different people's names), and a
// reconciliation that completes an ID number from a name must never merge
// two people. A name missing its marks therefore does not match, and is
// left to the operators as unmatched.
func Fold(s string) string {
	s = norm.NFC.String(s)
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if foldSpace(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(foldRune(r))
	}
	return tonePlacement.Replace(b.String())
}

func foldSpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\v', '\f', '\r', '\u00a0':
		return true
	}
	return false
}

// FoldUpper and FoldLower are the Vietnamese letters and look-alikes Fold
// maps, rune for rune (the arguments of reconcile_fold's translate()).
const (
	FoldUpper = "ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬĐÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴÐð"
	FoldLower = "àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđđ"
)

var foldTable = func() map[rune]rune {
	up, low := []rune(FoldUpper), []rune(FoldLower)
	m := make(map[rune]rune, len(up))
	for i, r := range up {
		m[r] = low[i]
	}
	return m
}()

func foldRune(r rune) rune {
	if r >= 'A' && r <= 'Z' {
		return r + ('a' - 'A')
	}
	if l, ok := foldTable[r]; ok {
		return l
	}
	return r
}

// TonePairs are the old-style spellings of oa, oe and uy with a tone and
// the new-style spelling Fold writes for each (the arguments of
// reconcile_fold's replace()).
var TonePairs = [][2]string{
	{"òa", "oà"}, {"óa", "oá"}, {"ỏa", "oả"}, {"õa", "oã"}, {"ọa", "oạ"},
	{"òe", "oè"}, {"óe", "oé"}, {"ỏe", "oẻ"}, {"õe", "oẽ"}, {"ọe", "oẹ"},
	{"ùy", "uỳ"}, {"úy", "uý"}, {"ủy", "uỷ"}, {"ũy", "uỹ"}, {"ụy", "uỵ"},
}

var tonePlacement = func() *strings.Replacer {
	var args []string
	for _, p := range TonePairs {
		args = append(args, p[0], p[1])
	}
	return strings.NewReplacer(args...)
}()
