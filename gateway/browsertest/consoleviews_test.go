package browsertest_test

import (
	"context"
	"testing"
)

// consoleView is one of the four ways a console page is checked: a
// language at the desktop's or the phone's width.
type consoleView struct {
	Lang  string
	Phone bool
}

// Name is the view's subtest and screenshot suffix: "vi-1280", "en-390".
func (v consoleView) Name() string {
	if v.Phone {
		return v.Lang + "-390"
	}
	return v.Lang + "-1280"
}

// consoleViews are Vietnamese and English at 1280 px, then at 390 px.
var consoleViews = []consoleView{{"vi", false}, {"en", false}, {"vi", true}, {"en", true}}

// eachConsoleView runs check once per view as a subtest (named "vi-1280",
// "en-390", ...) on b, a browser already signed in to the console (an
// authenticator code is good once), its tab set to the view's width and
// each run with the browser budget of a whole test.
func eachConsoleView(t *testing.T, b *browser, check func(t *testing.T, b *browser, v consoleView, i int)) {
	t.Helper()
	for i, v := range consoleViews {
		t.Run(v.Name(), func(t *testing.T) {
			b := b.on(t)
			ctx, cancel := context.WithTimeout(b.tab, testTimeout)
			t.Cleanup(cancel)
			b.ctx = ctx
			if v.Phone {
				b.phone()
			} else {
				b.desktop()
			}
			check(t, b, v, i)
		})
	}
}
