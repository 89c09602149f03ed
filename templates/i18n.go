package templates

import (
	"fmt"
	"strings"
	"sync"

	"golang.org/x/text/language"
)

// Lang is a supported page language.
type Lang string

// Supported languages; Vietnamese is the default.
const (
	VI Lang = "vi"
	EN Lang = "en"
)

var (
	catalogMu sync.RWMutex
	catalog   = map[string]map[Lang]string{}
	matcher   = language.NewMatcher([]language.Tag{language.Vietnamese, language.English})
)

// Register adds messages: key → {vi, en}. Keys are namespaced by feature
// ("signin.title"). A duplicate key panics at start-up.
func Register(msgs map[string][2]string) {
	catalogMu.Lock()
	defer catalogMu.Unlock()
	for k, v := range msgs {
		if _, dup := catalog[k]; dup {
			panic("templates: duplicate message key " + k)
		}
		catalog[k] = map[Lang]string{VI: v[0], EN: v[1]}
	}
}

// T translates key into lang, formatting args with fmt verbs in the message.
// A missing key shows the key itself, so it is noticed in tests.
func T(lang Lang, key string, args ...any) string {
	catalogMu.RLock()
	m, ok := catalog[key]
	catalogMu.RUnlock()
	if !ok {
		return key
	}
	s, ok := m[lang]
	if !ok || s == "" {
		s = m[VI]
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// HasMessage reports whether key is registered (for tests).
func HasMessage(key string) bool {
	catalogMu.RLock()
	defer catalogMu.RUnlock()
	_, ok := catalog[key]
	return ok
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
