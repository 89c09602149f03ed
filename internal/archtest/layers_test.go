package archtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"go/parser"
	"go/token"
	"io"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// module is the module path; rules below name packages relative to it.
const module = "github.com/dinhdanh/dinhdanh"

// pkgInfo is what the layer rules read of `go list -json`: a package's
// non-test imports (test-only imports are not part of the build and, as in
// the biometrics tests, are not checked).
type pkgInfo struct {
	ImportPath string
	Dir        string
	GoFiles    []string
	Imports    []string
}

// rel is a package's path inside the module ("accounts/web").
func (p pkgInfo) rel() string {
	return strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
}

// listPackages runs `go list -json ./...` at the module root.
func listPackages(t *testing.T) []pkgInfo {
	t.Helper()
	cmd := exec.Command("go", "list", "-json", "./...")
	cmd.Dir = moduleRoot(t)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "go list: %s", stderr.String())
	var pkgs []pkgInfo
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkgInfo
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else {
			require.NoError(t, err)
		}
		pkgs = append(pkgs, p)
	}
	require.NotEmpty(t, pkgs)
	return pkgs
}

// under reports whether rel is dir or inside it.
func under(rel, dir string) bool { return rel == dir || strings.HasPrefix(rel, dir+"/") }

// inModule returns imp's path inside the module and whether it is in it.
func inModule(imp string) (string, bool) {
	if imp == module {
		return "", true
	}
	rel, ok := strings.CutPrefix(imp, module+"/")
	return rel, ok
}

// domainFolders are the top-level folders that hold domain rules.
var domainFolders = []string{
	"accounts", "attributes", "assurance", "audit", "biometrics", "cardreader",
	"consent", "foreigners", "guardianship", "lockrequest", "notify", "oidc", "personalid", "population", "reconcile", "sharing", "staff",
}

// isDomain reports whether a package counts as domain code: a domain
// folder's package and its sub-packages, except its edges, which are
// allowed what the domain is not: `web` and `api` (HTTP handlers), `postgres`
// (storage on pgx), `storetest` (the store conformance suite) and test
// helpers (`*test`, e.g. consenttest, audittest). Adapters that speak to
// one outside system (accounts/smsgateway, consent/backchannel,
// cardreader/pcsc) and the software card (cardreader/emulator) count as
// domain: the rules hold for them too, with the exceptions listed below.
func isDomain(rel string) bool {
	root, _, _ := strings.Cut(rel, "/")
	if !slices.Contains(domainFolders, root) {
		return false
	}
	for _, el := range strings.Split(rel, "/")[1:] {
		if el == "web" || el == "api" || el == "postgres" || el == "storetest" || strings.HasSuffix(el, "test") {
			return false
		}
	}
	return true
}

// isWeb reports whether a package is a web package (HTTP handlers of one
// domain): its last path element is web, or api (JSON handlers).
func isWeb(rel string) bool {
	return rel == "web" || strings.HasSuffix(rel, "/web") || strings.HasSuffix(rel, "/api")
}

// exception allows one package one import that a rule forbids. files are
// the package's files that import it, so a reader finds them and the test
// notices when they change; an exception that no longer matches an import
// fails the test, so the list only shrinks.
type exception struct {
	pkg, imp string
	files    []string
	reason   string
}

// layerRule is one rule over (importer, imported) pairs of the build graph.
type layerRule struct {
	name string
	// applies selects the importing packages (paths inside the module).
	applies func(pkg string) bool
	// forbidden returns why pkg may not import imp (a full import path), or
	// "" when it may.
	forbidden  func(pkg, imp string) string
	exceptions []exception
}

var layerRules = []layerRule{
	{
		name:    "domain packages import no HTTP, config, pgx, web layer, gateway or cmd",
		applies: isDomain,
		forbidden: func(_, imp string) string {
			rel, in := inModule(imp)
			switch {
			case imp == "net/http" || strings.HasPrefix(imp, "net/http/"):
				return "net/http: handlers live in the domain's web package"
			case strings.HasPrefix(imp, "github.com/jackc/pgx/"):
				return "pgx: storage lives in the domain's postgres package"
			case strings.HasPrefix(imp, "github.com/alexedwards/scs/"):
				return "scs: sessions are the web layer's"
			// Outside the module only a path element "web" counts: github.com/go-webauthn/webauthn
			// is a WebAuthn library (the staff domain verifies passkeys with it), not a web layer.
			case in && strings.Contains(imp, "/web"), !in && slices.Contains(strings.Split(imp, "/"), "web"):
				return "a web package: domains never call the web layer"
			case in && rel == "config":
				return "config: cmd and the top floor turn config into constructor arguments"
			case in && rel == "templates":
				return "templates: pages are the web layer's"
			case in && (under(rel, "gateway") || under(rel, "cmd")):
				return "the top floor: nothing below it knows it"
			}
			return ""
		},
		exceptions: []exception{
			{"oidc", "net/http", []string{"authorize.go", "provider.go", "token.go"},
				"fosite's requests and responders wrap *http.Request and http.ResponseWriter: the protocol core reads them, never serves them"},
			{"accounts/smsgateway", "net/http", []string{"smsgateway.go"},
				"it is the HTTP client of the operator's SMS webhook"},
			{"consent/backchannel", "net/http", []string{"backchannel.go"},
				"it POSTs logout tokens to relying parties (Back-Channel Logout 1.0 §2.5)"},
			{"audit/witness", "net/http", []string{"witness.go"},
				"its HTTP sink POSTs audit checkpoints to a witness outside the database"},
			{"population", "github.com/jackc/pgx/v5", []string{"import.go"},
				"its all-or-nothing import writes accounts and attributes tables in one transaction"},
			{"population", "github.com/jackc/pgx/v5/pgxpool", []string{"import.go"},
				"its Target carries the pool that transaction runs on"},
		},
	},
	{
		name:    "no web package imports another web package",
		applies: isWeb,
		forbidden: func(pkg, imp string) string {
			if rel, in := inModule(imp); in && isWeb(rel) && rel != pkg {
				return "web packages call domains, never each other"
			}
			return ""
		},
	},
	{
		name: "only the top floor, cmd, bench and test support import gateway/",
		applies: func(pkg string) bool {
			return !under(pkg, "gateway") && !under(pkg, "cmd") && !under(pkg, "bench") && !under(pkg, "testsupport")
		},
		forbidden: func(_, imp string) string {
			if rel, in := inModule(imp); in && under(rel, "gateway") {
				return "gateway/ is the top floor"
			}
			return ""
		},
	},
	{
		name:    "internal/ is ground floor: no domain, gateway/ or testsupport/ imports",
		applies: func(pkg string) bool { return under(pkg, "internal") },
		forbidden: func(pkg, imp string) string {
			rel, in := inModule(imp)
			if !in {
				return ""
			}
			root, _, _ := strings.Cut(rel, "/")
			switch {
			case pkg == "internal/archtest":
				return "internal/archtest has no code and imports nothing"
			case root == "assurance":
				// The assurance vocabulary imports nothing and every layer
				// speaks of levels (the sign-in session keeps one).
				return ""
			case slices.Contains(domainFolders, root):
				return "a domain folder: ground-floor helpers serve every domain and know none"
			case under(rel, "gateway") || under(rel, "testsupport"):
				return "the top floor or test support"
			}
			return ""
		},
	},
}

// TestLayers checks the layer rules (STYLE.md §1 and §11) on the build
// graph: each rule lists every forbidden import that is not a known
// exception, and every known exception that no longer matches.
func TestLayers(t *testing.T) {
	pkgs := listPackages(t)
	for _, r := range layerRules {
		t.Run(r.name, func(t *testing.T) {
			checkRule(t, r, pkgs)
		})
	}
}

func checkRule(t *testing.T, r layerRule, pkgs []pkgInfo) {
	t.Helper()
	used := make([]bool, len(r.exceptions))
	applied := 0
	for _, p := range pkgs {
		pkg := p.rel()
		if !r.applies(pkg) {
			continue
		}
		applied++
		for _, imp := range p.Imports {
			why := r.forbidden(pkg, imp)
			if why == "" {
				continue
			}
			i := slices.IndexFunc(r.exceptions, func(e exception) bool { return e.pkg == pkg && e.imp == imp })
			if i < 0 {
				t.Errorf("%s imports %s: %s", pkg, imp, why)
				continue
			}
			used[i] = true
			if got := filesImporting(t, p, imp); !slices.Equal(got, r.exceptions[i].files) {
				t.Errorf("exception %s → %s names files %v, but %v import it; update the list", pkg, imp, r.exceptions[i].files, got)
			}
		}
	}
	require.NotZero(t, applied, "the rule selects no package")
	for i, e := range r.exceptions {
		if !used[i] {
			t.Errorf("exception %s → %s (%s) matches no forbidden import any more: delete it", e.pkg, e.imp, e.reason)
		}
	}
}

// filesImporting lists, sorted, the package's non-test files that import imp.
func filesImporting(t *testing.T, p pkgInfo, imp string) []string {
	t.Helper()
	var out []string
	fset := token.NewFileSet()
	for _, name := range p.GoFiles {
		f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, parser.ImportsOnly)
		require.NoError(t, err)
		for _, s := range f.Imports {
			if path, _ := strconv.Unquote(s.Path.Value); path == imp {
				out = append(out, name)
			}
		}
	}
	slices.Sort(out)
	return out
}

// TestLayerRulesCanFail feeds each rule an import it must refuse, so that a
// rule that can no longer fail (a typo in a folder name, an inverted
// condition) fails here.
func TestLayerRulesCanFail(t *testing.T) {
	cases := []struct {
		rule, pkg, imp string
	}{
		{layerRules[0].name, "accounts", "net/http"},
		{layerRules[0].name, "consent", "github.com/jackc/pgx/v5"},
		{layerRules[0].name, "personalid", module + "/config"},
		{layerRules[0].name, "sharing", module + "/accounts/web"},
		{layerRules[0].name, "cardreader/emulator", module + "/internal/websession"},
		{layerRules[0].name, "population", module + "/gateway"},
		{layerRules[0].name, "assurance", module + "/cmd/dinhdanh"},
		{layerRules[1].name, "consent/web", module + "/oidc/web"},
		{layerRules[2].name, "accounts", module + "/gateway/server"},
		{layerRules[2].name, "internal/httpx", module + "/gateway"},
		{layerRules[3].name, "internal/pg", module + "/accounts"},
		{layerRules[3].name, "internal/httpx", module + "/testsupport/pgtest"},
		{layerRules[3].name, "internal/archtest", module + "/internal/pg"},
	}
	for _, tc := range cases {
		t.Run(tc.pkg+" → "+tc.imp, func(t *testing.T) {
			i := slices.IndexFunc(layerRules, func(r layerRule) bool { return r.name == tc.rule })
			r := layerRules[i]
			require.True(t, r.applies(tc.pkg), "rule does not select %s", tc.pkg)
			require.NotEmpty(t, r.forbidden(tc.pkg, tc.imp), "rule allows %s → %s", tc.pkg, tc.imp)
		})
	}
	// And the edges the domain rule leaves out.
	for _, pkg := range []string{"accounts/web", "oidc/postgres", "consent/storetest", "audit/audittest", "consent/consenttest", "templates", "internal/pg"} {
		require.False(t, isDomain(pkg), pkg)
	}
}
