package web

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/templates"
)

// Every event type declared in package audit has a label in both languages
// and a place in the filter, so a new type cannot reach the page as a bare
// code unnoticed.
func TestEveryEventTypeHasALabel(t *testing.T) {
	files, err := filepath.Glob("../*.go")
	require.NoError(t, err)
	var declared [][]string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		declared = append(declared, regexp.MustCompile(`(?m)^\s+\w+\s+EventType = "([^"]+)"`).FindAllStringSubmatch(string(src), -1)...)
	}
	require.Greater(t, len(declared), 30)
	require.Len(t, typeOrder, len(declared), "the filter lists exactly the declared types")
	require.Len(t, knownTypes, len(typeOrder), "no type twice in the filter")
	for _, m := range declared {
		typ := audit.EventType(m[1])
		require.Contains(t, typeOrder, typ, "%s missing from the filter", typ)
		key := "history.type." + string(typ)
		require.True(t, templates.HasMessage(key), "no label for %s", typ)
		vi, en := templates.T(templates.VI, key), templates.T(templates.EN, key)
		require.NotEmpty(t, en)
		require.NotEqual(t, vi, en, "%s: English label missing", typ)
	}
	for _, o := range []audit.Outcome{audit.Success, audit.Failure, audit.Denied} {
		require.NotEqual(t, string(o), outcomeLabel(templates.VI, o))
		require.NotEqual(t, outcomeLabel(templates.VI, o), outcomeLabel(templates.EN, o))
	}
	require.Equal(t, "some.future_type", typeLabel(templates.EN, "some.future_type"), "unknown types show their code")
}
