package web

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/audit"
)

// Every event type declared in package audit has a label and a place in the
// filter, so a new type cannot reach the page as a bare code unnoticed.
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
	require.Len(t, typeOrder, len(labels))
	for _, m := range declared {
		typ := audit.EventType(m[1])
		require.Contains(t, labels, typ, "no label for %s", typ)
		require.Contains(t, typeOrder, typ, "%s missing from the filter", typ)
	}
}
