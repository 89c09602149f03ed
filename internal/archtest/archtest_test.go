package archtest

import (
	"bufio"
	"bytes"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const biometricsPkg = "github.com/dinhdanh/dinhdanh/biometrics"

// moduleRoot is the repository root, two folders up from this file.
func moduleRoot(t *testing.T) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	require.True(t, ok)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// TestNoBiometricsInAttributeClaimConsentOrPages asserts that no package
// that assembles attributes, claims, consent or pages depends, directly or
// through anything else, on package biometrics or its sub-packages: the
// portrait and fingerprints cannot reach a relying party because no code
// path there can read them (MISSION: sharing "except biometric
// information"). Test-only imports are not part of the build and are not
// checked.
func TestNoBiometricsInAttributeClaimConsentOrPages(t *testing.T) {
	patterns := []string{"./attributes/...", "./population/...", "./oidc/...", "./testsupport/oidctest", "./consent/...", "./templates/...", "./sharing/..."}
	args := append([]string{"list", "-deps", "-f", "{{.ImportPath}}"}, patterns...)
	cmd := exec.Command("go", args...)
	cmd.Dir = moduleRoot(t)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "go list: %s", stderr.String())

	// A pattern that matches nothing (a capability not written yet) only
	// warns; make sure at least attributes and templates were listed.
	deps := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		deps[strings.TrimSpace(sc.Text())] = true
	}
	require.True(t, deps["github.com/dinhdanh/dinhdanh/attributes"], "attributes not listed")
	require.True(t, deps["github.com/dinhdanh/dinhdanh/templates"], "templates not listed")

	for dep := range deps {
		if dep == biometricsPkg || strings.HasPrefix(dep, biometricsPkg+"/") {
			t.Errorf("%s is reachable from %v; find the importer with: go list -deps -f '{{.ImportPath}}: {{.Imports}}' %s | grep biometrics",
				dep, patterns, strings.Join(patterns, " "))
		}
	}
}

// TestWhoImportsBiometrics lists every non-test package of the module that
// imports biometrics directly, so a new importer is a reviewed change.
func TestWhoImportsBiometrics(t *testing.T) {
	cmd := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "./...")
	cmd.Dir = moduleRoot(t)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "go list: %s", stderr.String())
	// Allowed: the package's own store, the composition root and the
	// development set-up, the migration list, and enrolment/verification
	// code when it exists. An entry ending in "/" allows its sub-packages;
	// any other names one package.
	allowed := []string{
		biometricsPkg + "/",
		"github.com/dinhdanh/dinhdanh/cmd/",
		"github.com/dinhdanh/dinhdanh/gateway",
		"github.com/dinhdanh/dinhdanh/gateway/schema",
		"github.com/dinhdanh/dinhdanh/proofing",
		"github.com/dinhdanh/dinhdanh/proofing/",
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		pkg, imports := fields[0], fields[1:]
		for _, imp := range imports {
			if imp != biometricsPkg && !strings.HasPrefix(imp, biometricsPkg+"/") {
				continue
			}
			ok := false
			for _, a := range allowed {
				if pkg == a || strings.HasSuffix(a, "/") && strings.HasPrefix(pkg, a) {
					ok = true
				}
			}
			if !ok {
				t.Errorf("%s imports %s; only enrolment and verification code may", pkg, imp)
			}
		}
	}
}
