package templates

import (
	"fmt"
	"reflect"
	"strings"
	"sync"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/message/catalog"
)

// Lang is a supported page language.
type Lang string

// Supported languages; Vietnamese is the default.
const (
	VI Lang = "vi"
	EN Lang = "en"
)

// The messages live in an x/text/message catalogue, one per process: every
// key in Vietnamese and English, plural messages as plural.Selectf so that
// "1 minute" and "2 minutes" come from one message. keys records what was
// registered (HasMessage, duplicate checks).
var (
	keysMu   sync.RWMutex
	keys     = map[string]bool{}
	messages = catalog.NewBuilder(catalog.Fallback(language.Vietnamese))
	printers = map[Lang]*message.Printer{
		VI: message.NewPrinter(language.Vietnamese, message.Catalog(messages)),
		EN: message.NewPrinter(language.English, message.Catalog(messages)),
	}
	matcher = language.NewMatcher([]language.Tag{language.Vietnamese, language.English})
)

func claim(k string) {
	if keys[k] {
		panic("templates: duplicate message key " + k)
	}
	keys[k] = true
}

// Register adds messages: key → {vi, en}. Keys are namespaced by feature
// ("signin.title"). An empty English text falls back to the Vietnamese. A
// duplicate key panics at start-up.
func Register(msgs map[string][2]string) {
	keysMu.Lock()
	defer keysMu.Unlock()
	for k, v := range msgs {
		claim(k)
		en := v[1]
		if en == "" {
			en = v[0]
		}
		must(messages.SetString(language.Vietnamese, k, v[0]))
		must(messages.SetString(language.English, k, en))
	}
}

// Forms are a plural message's wordings in one language: One where the
// language says "1 minute" (CLDR plural category one; English has it,
// Vietnamese does not), Other for every other count. An empty One uses
// Other.
type Forms struct {
	One, Other string
}

// Plural is a message whose words depend on a count. Arg is the count's
// position among T's arguments, from 1 (0 means 1).
type Plural struct {
	Arg    int
	VI, EN Forms
}

// RegisterPlural adds plural-aware messages (a duplicate key panics). T
// picks the form from the count's CLDR plural category in the page's
// language: English "1 minute", "2 minutes"; Vietnamese "1 phút", "2 phút".
func RegisterPlural(msgs map[string]Plural) {
	keysMu.Lock()
	defer keysMu.Unlock()
	for k, p := range msgs {
		claim(k)
		arg := max(p.Arg, 1)
		for _, x := range []struct {
			tag   language.Tag
			forms Forms
		}{{language.Vietnamese, p.VI}, {language.English, p.EN}} {
			if x.forms.One == "" {
				must(messages.SetString(x.tag, k, x.forms.Other))
				continue
			}
			must(messages.Set(x.tag, k, plural.Selectf(arg, "%d", plural.One, x.forms.One, plural.Other, x.forms.Other)))
		}
	}
}

func must(err error) {
	if err != nil {
		panic("templates: " + err.Error())
	}
}

// T translates key into lang, formatting args with the fmt verbs of the
// message through the catalogue (a plural message picks its form from its
// count). Numbers print as fmt prints them, without grouping (a year stays
// 2026, a code 123456). A missing key shows the key itself, so it is
// noticed in tests.
func T(lang Lang, key string, args ...any) string {
	if !HasMessage(key) {
		return key
	}
	p, ok := printers[lang]
	if !ok {
		p = printers[VI]
	}
	wrapped := make([]any, len(args))
	for i, a := range args {
		wrapped[i] = a
		if a != nil && isInteger(a) {
			wrapped[i] = count{a}
		}
	}
	return p.Sprintf(key, wrapped...)
}

// count is an integer argument: plural selection reads its value; printing
// is fmt's, not the printer's localized digits.
type count struct{ v any }

func isInteger(a any) bool {
	k := reflect.TypeOf(a).Kind()
	return reflect.Int <= k && k <= reflect.Uintptr
}

func (c count) Format(s fmt.State, verb rune) { fmt.Fprintf(s, fmt.FormatString(s, verb), c.v) }

// PluralForm implements plural.Interface for the catalogue's Selectf.
func (c count) PluralForm(t language.Tag, _ int) (plural.Form, int) {
	v := reflect.ValueOf(c.v)
	var n int
	if v.CanInt() {
		n = int(v.Int())
	} else {
		n = int(v.Uint())
	}
	abs := n
	if abs < 0 {
		abs = -abs
	}
	return plural.Cardinal.MatchPlural(t, abs, 0, 0, 0, 0), n
}

// HasMessage reports whether key is registered (for tests).
func HasMessage(key string) bool {
	keysMu.RLock()
	defer keysMu.RUnlock()
	return keys[key]
}

// Negotiate picks the page language: the first supported tag of ui_locales
// (OIDC Core §3.1.2.1, space-separated), then Accept-Language, then Vietnamese.
func Negotiate(uiLocales, acceptLanguage string) Lang {
	for _, tag := range strings.Fields(uiLocales) {
		switch strings.ToLower(strings.SplitN(strings.SplitN(tag, "-", 2)[0], "_", 2)[0]) {
		case "vi":
			return VI
		case "en":
			return EN
		}
	}
	if acceptLanguage != "" {
		tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
		if err == nil && len(tags) > 0 {
			_, idx, conf := matcher.Match(tags...)
			if conf != language.No && idx == 1 {
				return EN
			}
		}
	}
	return VI
}
