// Package deploy holds no Go code: this test reads the Kubernetes manifests
// (k8s/*.yaml), compose.yaml and the Dockerfile as data and checks what the
// deployment promises (docs/operations.md) without Docker or a cluster:
// pinned images, the owner's credentials in the migration and retention
// jobs only, a gateway of several non-root replicas with probes, a
// PodDisruptionBudget and a NetworkPolicy that select it, and a
// configuration every container accepts with exactly the environment it is
// given (names taken from the config package's source, not copied here),
// and alert rules and a Grafana dashboard that name only metrics the
// gateway serves (gateway.MetricNames).
package deploy

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/gateway"
)

// obj is one decoded YAML document.
type obj = map[string]any

type manifest struct {
	file string
	obj  obj
}

func (m manifest) kind() string { s, _ := m.obj["kind"].(string); return s }
func (m manifest) name() string { s, _ := dig(m.obj, "metadata", "name").(string); return s }
func (m manifest) String() string {
	return fmt.Sprintf("%s %s/%s", m.file, m.kind(), m.name())
}

// dig follows keys through nested maps; nil when any is missing.
func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(obj)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func list(v any) []any { l, _ := v.([]any); return l }
func asObj(v any) obj  { o, _ := v.(obj); return o }
func str(v any) string { s, _ := v.(string); return s }

func decodeAll(t *testing.T, file string) []obj {
	t.Helper()
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var out []obj
	for {
		var o obj
		err := dec.Decode(&o)
		if errors.Is(err, io.EOF) {
			return out
		}
		require.NoError(t, err, file)
		if o != nil {
			out = append(out, o)
		}
	}
}

// k8s returns every document of every k8s/*.yaml but the kustomization.
func k8s(t *testing.T) []manifest {
	t.Helper()
	files, err := filepath.Glob("k8s/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	var out []manifest
	for _, f := range files {
		for _, o := range decodeAll(t, f) {
			if str(o["kind"]) == "Kustomization" {
				continue
			}
			out = append(out, manifest{file: f, obj: o})
		}
	}
	return out
}

func ofKind(ms []manifest, kind string) []manifest {
	var out []manifest
	for _, m := range ms {
		if m.kind() == kind {
			out = append(out, m)
		}
	}
	return out
}

// podSpec is the pod template's spec of a workload, or nil.
func podSpec(m manifest) obj {
	var v any
	switch m.kind() {
	case "Deployment", "StatefulSet", "DaemonSet", "Job":
		v = dig(m.obj, "spec", "template", "spec")
	case "CronJob":
		v = dig(m.obj, "spec", "jobTemplate", "spec", "template", "spec")
	}
	o, _ := v.(obj)
	return o
}

func podLabels(m manifest) obj {
	var v any
	switch m.kind() {
	case "CronJob":
		v = dig(m.obj, "spec", "jobTemplate", "spec", "template", "metadata", "labels")
	default:
		v = dig(m.obj, "spec", "template", "metadata", "labels")
	}
	o, _ := v.(obj)
	return o
}

func containers(spec obj) []obj {
	var out []obj
	for _, key := range []string{"initContainers", "containers"} {
		for _, c := range list(spec[key]) {
			if o, ok := c.(obj); ok {
				out = append(out, o)
			}
		}
	}
	return out
}

func args(c obj) []string {
	var out []string
	for _, a := range list(c["args"]) {
		out = append(out, fmt.Sprint(a))
	}
	if len(out) == 0 {
		for _, a := range list(c["command"]) {
			out = append(out, fmt.Sprint(a))
		}
	}
	return out
}

// --- image pinning --------------------------------------------------------

var digestRE = regexp.MustCompile(`@sha256:[0-9a-f]{64}$`)

// pinned says why an image reference is not pinned to a version, or nil.
func pinned(ref string) error {
	if digestRE.MatchString(ref) {
		return nil
	}
	slash := strings.LastIndex(ref, "/")
	colon := strings.LastIndex(ref, ":")
	if colon < slash+1 || colon == len(ref)-1 {
		return fmt.Errorf("%q has no tag (it would mean latest)", ref)
	}
	tag := ref[colon+1:]
	if tag == "latest" || strings.HasPrefix(tag, "latest-") {
		return fmt.Errorf("%q is tagged latest", ref)
	}
	if !strings.ContainsAny(tag, "0123456789") {
		return fmt.Errorf("%q: tag %q names no version", ref, tag)
	}
	return nil
}

func TestPinnedRule(t *testing.T) {
	for _, tc := range []struct {
		ref string
		ok  bool
	}{
		{"postgres:15.18-bookworm", true},
		{"registry.example.gov.vn/dinhdanh:1.0.0", true},
		{"registry.example.gov.vn:5000/dinhdanh:1.0.0", true},
		{"gcr.io/distroless/static-debian12@sha256:" + strings.Repeat("ab", 32), true},
		{"postgres", false},
		{"registry.example.gov.vn:5000/dinhdanh", false},
		{"postgres:latest", false},
		{"gcr.io/distroless/static-debian12:nonroot", false},
		{"dinhdanh:", false},
	} {
		t.Run(tc.ref, func(t *testing.T) {
			require.Equal(t, tc.ok, pinned(tc.ref) == nil, "%v", pinned(tc.ref))
		})
	}
}

// images collects every image reference in a decoded document.
func images(v any, out *[]string) {
	switch x := v.(type) {
	case obj:
		for k, v := range x {
			if s, ok := v.(string); ok && (k == "image" || k == "imageName") {
				*out = append(*out, s)
				continue
			}
			images(v, out)
		}
	case []any:
		for _, v := range x {
			images(v, out)
		}
	}
}

func TestImagesArePinned(t *testing.T) {
	var found int
	for _, m := range k8s(t) {
		var refs []string
		images(m.obj, &refs)
		for _, r := range refs {
			found++
			require.NoError(t, pinned(r), m.String())
		}
	}
	for name, svc := range composeServices(t) {
		if ref := str(svc["image"]); ref != "" {
			found++
			require.NoError(t, pinned(ref), "compose service %s", name)
		} else {
			require.NotNil(t, svc["build"], "compose service %s has neither image nor build", name)
		}
	}
	require.GreaterOrEqual(t, found, 4, "the gateway, migration, retention, PostgreSQL and PgBouncer images at least")

	kust := decodeAll(t, "k8s/kustomization.yaml")[0]
	for _, img := range list(kust["images"]) {
		name, tag := str(dig(img, "name")), fmt.Sprint(dig(img, "newTag"))
		require.NoError(t, pinned(name+":"+tag), "kustomization images")
		// The manifests carry the same tag, so applying them without
		// kustomize deploys the same release.
		for _, m := range k8s(t) {
			var refs []string
			images(m.obj, &refs)
			for _, r := range refs {
				if strings.HasPrefix(r, name+":") {
					require.Equal(t, name+":"+tag, r, m.String())
				}
			}
		}
	}
}

func TestDockerfileStagesArePinnedToGoMod(t *testing.T) {
	b, err := os.ReadFile("Dockerfile")
	require.NoError(t, err)
	mod, err := os.ReadFile("../go.mod")
	require.NoError(t, err)
	want := ""
	for _, line := range strings.Split(string(mod), "\n") {
		if f := strings.Fields(line); len(f) == 2 && (f[0] == "go" || f[0] == "toolchain") {
			want = strings.TrimPrefix(f[1], "go") // toolchain, when present, comes last
		}
	}
	require.NotEmpty(t, want)
	stages := map[string]bool{"scratch": true}
	var golang bool
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || !strings.EqualFold(f[0], "FROM") {
			continue
		}
		ref := f[1]
		isStage := stages[ref]
		if len(f) >= 4 && strings.EqualFold(f[2], "AS") {
			stages[f[3]] = true
		}
		if isStage {
			continue
		}
		require.NoError(t, pinned(ref), "Dockerfile: %s", line)
		if strings.HasPrefix(ref, "golang:") {
			golang = true
			require.True(t, strings.HasPrefix(ref, "golang:"+want+"-") || ref == "golang:"+want,
				"Dockerfile builds with %s, go.mod asks for Go %s", ref, want)
		}
	}
	require.True(t, golang, "no golang build stage found")
}

// --- configuration names ---------------------------------------------------

// envKind is how config.Load reads a variable.
type envKind int

const (
	envPlain envKind = iota // getenv only
	envValue                // readEnv: NAME or NAME_FILE
	envKey                  // readKey: NAME or NAME_FILE, 32 bytes base64
)

// configEnv parses config/config.go and returns every environment variable
// Load reads: getenv("X"), readEnv(getenv, "X", ...), readKey(getenv, "X", ...).
func configEnv(t *testing.T) map[string]envKind {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "../config/config.go", nil, 0)
	require.NoError(t, err)
	out := map[string]envKind{}
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		fn, ok := call.Fun.(*ast.Ident)
		if !ok {
			return true
		}
		lit := func(i int) string {
			if i >= len(call.Args) {
				return ""
			}
			bl, ok := call.Args[i].(*ast.BasicLit)
			if !ok || bl.Kind != token.STRING {
				return ""
			}
			s, _ := strconv.Unquote(bl.Value)
			return s
		}
		switch fn.Name {
		case "getenv":
			if s := lit(0); s != "" {
				if _, seen := out[s]; !seen {
					out[s] = envPlain
				}
			}
		case "readEnv":
			if s := lit(1); s != "" {
				out[s] = envValue
			}
		case "readKey":
			if s := lit(1); s != "" {
				out[s] = envKey
			}
		}
		return true
	})
	for _, name := range []string{"DATABASE_URL", "DATABASE_MIGRATE_URL", "DINHDANH_AUDIT_KEY", "DINHDANH_ISSUER"} {
		require.Contains(t, out, name, "config/config.go no longer reads %s the way this test parses it", name)
	}
	return out
}

// goRuntimeEnv are read by the Go runtime, not by the config package.
var goRuntimeEnv = map[string]bool{"GOMEMLIMIT": true, "GOMAXPROCS": true, "GOGC": true, "GODEBUG": true}

// envName resolves an environment variable the manifests set to the config
// variable it feeds and whether it is a NAME_FILE.
func envName(known map[string]envKind, name string) (base string, file bool, err error) {
	if goRuntimeEnv[name] {
		return name, false, nil
	}
	if _, ok := known[name]; ok {
		return name, false, nil
	}
	if b, ok := strings.CutSuffix(name, "_FILE"); ok {
		if k, ok := known[b]; ok && k != envPlain {
			return b, true, nil
		}
	}
	return "", false, fmt.Errorf("%s is not an environment variable config.Load reads", name)
}

// --- secrets ---------------------------------------------------------------

type secret struct {
	name string
	data map[string]string
}

func exampleSecrets(t *testing.T) map[string]secret {
	t.Helper()
	out := map[string]secret{}
	for _, m := range ofKind(k8s(t), "Secret") {
		s := secret{name: m.name(), data: map[string]string{}}
		for k, v := range asObj(m.obj["stringData"]) {
			s.data[k] = fmt.Sprint(v)
		}
		for k, v := range asObj(dig(m.obj, "data")) {
			b, err := base64.StdEncoding.DecodeString(fmt.Sprint(v))
			require.NoError(t, err, m.String())
			s.data[k] = string(b)
		}
		out[s.name] = s
	}
	return out
}

// secretRefs lists the Secrets a document names: volumes (secretName,
// projected sources), env secretKeyRef, envFrom secretRef, and any
// operator's "...secret...: {name: X}" (CloudNativePG's passwordSecret,
// bootstrap secret, s3Credentials).
func secretRefs(v any, parentKey string, out map[string]bool) {
	switch x := v.(type) {
	case obj:
		for k, v := range x {
			if k == "secretName" {
				out[str(v)] = true
			}
			if k == "name" && (strings.Contains(strings.ToLower(parentKey), "secret") || parentKey == "accessKeyId" || parentKey == "secretAccessKey") {
				out[str(v)] = true
			}
			secretRefs(v, k, out)
		}
	case []any:
		for _, v := range x {
			secretRefs(v, parentKey, out)
		}
	}
}

// ownerSecret is the example Secret that holds the schema owner's URL.
func ownerSecret(t *testing.T, secrets map[string]secret) string {
	t.Helper()
	var names []string
	for n, s := range secrets {
		if _, ok := s.data["DATABASE_MIGRATE_URL"]; ok {
			names = append(names, n)
		}
	}
	require.Len(t, names, 1, "exactly one Secret holds DATABASE_MIGRATE_URL")
	return names[0]
}

func TestOnlyTheJobsHoldTheOwnersCredentials(t *testing.T) {
	ms := k8s(t)
	secrets := exampleSecrets(t)
	owner := ownerSecret(t, secrets)
	require.Contains(t, secrets[owner].data["DATABASE_MIGRATE_URL"], "://dinhdanh_owner:")

	var holders []string
	for _, m := range ms {
		if m.kind() == "Secret" {
			continue
		}
		refs := map[string]bool{}
		secretRefs(m.obj, "", refs)
		if refs[owner] {
			holders = append(holders, m.kind()+"/"+m.name())
			require.Contains(t, []string{"Job", "CronJob"}, m.kind(), "%s refers to the owner's Secret %s", m, owner)
		}
		// Nobody else gets the variable either, whatever its source.
		if spec := podSpec(m); spec != nil && m.kind() != "Job" && m.kind() != "CronJob" {
			for _, c := range containers(spec) {
				for _, e := range list(c["env"]) {
					require.NotContains(t, str(dig(e, "name")), "DATABASE_MIGRATE_URL", m.String())
				}
			}
		}
	}
	var migrate, retain bool
	for _, m := range ms {
		for _, c := range containers(podSpec(m)) {
			a := args(c)
			if len(a) > 0 && a[0] == "migrate" {
				migrate = slices.Contains(holders, m.kind()+"/"+m.name())
			}
			if len(a) > 1 && a[0] == "audit" && a[1] == "retain" {
				retain = slices.Contains(holders, m.kind()+"/"+m.name())
			}
		}
	}
	require.True(t, migrate, "the migration Job must have the owner's Secret (holders: %v)", holders)
	require.True(t, retain, "the retention CronJob must have the owner's Secret (holders: %v)", holders)

	// The Secrets of everything else never carry the owner's URL or role.
	for n, s := range secrets {
		if n == owner {
			continue
		}
		for k, v := range s.data {
			require.NotEqual(t, "DATABASE_MIGRATE_URL", k, "Secret %s", n)
			if k == "DATABASE_URL" {
				require.Contains(t, v, "://dinhdanh_app:", "Secret %s: the gateway connects as the application role", n)
			}
		}
	}
	// The owner role's password Secret goes to the database operator alone.
	for _, m := range ms {
		refs := map[string]bool{}
		secretRefs(m.obj, "", refs)
		if refs["dinhdanh-db-owner"] && m.kind() != "Secret" {
			require.Equal(t, "Cluster", m.kind(), "%s refers to the owner role's password", m)
		}
	}
}

// --- the gateway -----------------------------------------------------------

// selects reports whether a label selector ({matchLabels, matchExpressions})
// matches labels. An empty selector matches everything.
func selects(sel obj, labels obj) bool {
	for k, v := range asObj(dig(sel, "matchLabels")) {
		if fmt.Sprint(labels[k]) != fmt.Sprint(v) || labels[k] == nil {
			return false
		}
	}
	for _, e := range list(dig(sel, "matchExpressions")) {
		key, op := str(dig(e, "key")), str(dig(e, "operator"))
		val, has := labels[key]
		var values []string
		for _, v := range list(dig(e, "values")) {
			values = append(values, fmt.Sprint(v))
		}
		in := has && slices.Contains(values, fmt.Sprint(val))
		switch op {
		case "In":
			if !in {
				return false
			}
		case "NotIn":
			if in {
				return false
			}
		case "Exists":
			if !has {
				return false
			}
		case "DoesNotExist":
			if has {
				return false
			}
		default:
			return false
		}
	}
	return true
}

func TestSelectsTable(t *testing.T) {
	labels := obj{"app.kubernetes.io/name": "dinhdanh", "app.kubernetes.io/component": "gateway"}
	for _, tc := range []struct {
		name string
		sel  obj
		want bool
	}{
		{"labels", obj{"matchLabels": obj{"app.kubernetes.io/name": "dinhdanh"}}, true},
		{"other value", obj{"matchLabels": obj{"app.kubernetes.io/component": "migrate"}}, false},
		{"missing label", obj{"matchLabels": obj{"tier": "web"}}, false},
		{"in", obj{"matchExpressions": []any{obj{"key": "app.kubernetes.io/component", "operator": "In", "values": []any{"gateway", "x"}}}}, true},
		{"not in", obj{"matchExpressions": []any{obj{"key": "app.kubernetes.io/component", "operator": "NotIn", "values": []any{"gateway"}}}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) { require.Equal(t, tc.want, selects(tc.sel, labels)) })
	}
}

// gateways are the workloads whose container runs `serve`.
func gateways(t *testing.T, ms []manifest) []manifest {
	t.Helper()
	var out []manifest
	for _, m := range ms {
		for _, c := range containers(podSpec(m)) {
			if a := args(c); len(a) > 0 && a[0] == "serve" {
				out = append(out, m)
				break
			}
		}
	}
	require.NotEmpty(t, out, "no workload runs `dinhdanh serve`")
	return out
}

func TestGatewayDeployment(t *testing.T) {
	ms := k8s(t)
	for _, g := range gateways(t, ms) {
		t.Run(g.name(), func(t *testing.T) {
			require.Equal(t, "Deployment", g.kind())
			replicas, _ := dig(g.obj, "spec", "replicas").(int)
			require.GreaterOrEqual(t, replicas, 2, "replicas")
			require.Equal(t, 0, dig(g.obj, "spec", "strategy", "rollingUpdate", "maxUnavailable"), "a rollout never takes a serving replica away first")
			spec, labels := podSpec(g), podLabels(g)
			require.True(t, selects(asObj(dig(g.obj, "spec", "selector")), labels), "the Deployment's selector matches its pods")
			require.Equal(t, true, dig(spec, "securityContext", "runAsNonRoot"), "pod runAsNonRoot")
			require.Equal(t, false, spec["automountServiceAccountToken"], "no Kubernetes API token in the pod")
			require.NotEmpty(t, list(spec["topologySpreadConstraints"]), "replicas spread across nodes and zones")
			for _, c := range containers(spec) {
				require.Equal(t, "/readyz", dig(c, "readinessProbe", "httpGet", "path"), "readiness probe")
				require.Equal(t, "/healthz", dig(c, "livenessProbe", "httpGet", "path"), "liveness probe (never the database)")
				sc := c["securityContext"]
				require.Equal(t, true, dig(sc, "readOnlyRootFilesystem"))
				require.Equal(t, false, dig(sc, "allowPrivilegeEscalation"))
				require.Contains(t, list(dig(sc, "capabilities", "drop")), "ALL")
				require.NotNil(t, dig(c, "resources", "requests", "cpu"), "cpu request")
				require.NotNil(t, dig(c, "resources", "requests", "memory"), "memory request")
				require.NotNil(t, dig(c, "resources", "limits", "memory"), "memory limit")
			}

			var pdb, np, svc bool
			for _, m := range ms {
				switch m.kind() {
				case "PodDisruptionBudget":
					if sel, ok := dig(m.obj, "spec", "selector").(obj); ok && selects(sel, labels) {
						pdb = true
						min, max := dig(m.obj, "spec", "minAvailable"), dig(m.obj, "spec", "maxUnavailable")
						require.True(t, (min == nil) != (max == nil), "%s: one of minAvailable, maxUnavailable", m)
						if n, ok := min.(int); ok {
							require.Less(t, n, replicas, "%s: minAvailable must leave room for a drain", m)
						}
					}
				case "NetworkPolicy":
					if sel, ok := dig(m.obj, "spec", "podSelector").(obj); ok && selects(sel, labels) {
						np = true
						types := list(dig(m.obj, "spec", "policyTypes"))
						require.Contains(t, types, "Ingress", m.String())
						require.Contains(t, types, "Egress", m.String())
						for _, r := range list(dig(m.obj, "spec", "ingress")) {
							require.NotEmpty(t, list(dig(r, "from")), "%s: an ingress rule without from admits everyone", m)
							require.NotEmpty(t, list(dig(r, "ports")), "%s: an ingress rule without ports opens every port", m)
						}
						for _, r := range list(dig(m.obj, "spec", "egress")) {
							require.NotEmpty(t, list(dig(r, "to")), "%s: an egress rule without to reaches everywhere", m)
							require.NotEmpty(t, list(dig(r, "ports")), "%s: an egress rule without ports", m)
						}
					}
				case "Service":
					if sel, ok := dig(m.obj, "spec", "selector").(obj); ok && selects(obj{"matchLabels": sel}, labels) {
						svc = true
					}
				}
			}
			require.True(t, pdb, "a PodDisruptionBudget selects the gateway's pods")
			require.True(t, np, "a NetworkPolicy selects the gateway's pods")
			require.True(t, svc, "a Service selects the gateway's pods")
		})
	}
}

func TestManifestsAreWellFormed(t *testing.T) {
	// apiVersion of each kind used; a typo or an old API fails here rather
	// than at kubectl apply.
	apis := map[string]string{
		"Namespace": "v1", "ConfigMap": "v1", "Secret": "v1", "Service": "v1", "ServiceAccount": "v1",
		"Deployment": "apps/v1", "Job": "batch/v1", "CronJob": "batch/v1",
		"PodDisruptionBudget": "policy/v1", "NetworkPolicy": "networking.k8s.io/v1",
		"Cluster": "postgresql.cnpg.io/v1", "Pooler": "postgresql.cnpg.io/v1",
		"ScheduledBackup": "postgresql.cnpg.io/v1", "ObjectStore": "barmancloud.cnpg.io/v1",
		"PodMonitor": "monitoring.coreos.com/v1", "PrometheusRule": "monitoring.coreos.com/v1",
	}
	seen := map[string]string{}
	for _, m := range k8s(t) {
		require.NotEmpty(t, m.kind(), "%s: kind", m.file)
		require.NotEmpty(t, m.name(), "%s: metadata.name", m)
		want, ok := apis[m.kind()]
		require.True(t, ok, "%s: a kind this test does not know; add it with its apiVersion", m)
		require.Equal(t, want, m.obj["apiVersion"], m.String())
		key := m.kind() + "/" + m.name()
		require.Empty(t, seen[key], "%s defined twice (also in %s)", key, seen[key])
		seen[key] = m.file
	}

	// The kustomization lists every manifest file but the example Secrets.
	kust := decodeAll(t, "k8s/kustomization.yaml")[0]
	var listed []string
	for _, r := range list(kust["resources"]) {
		listed = append(listed, str(r))
		_, err := os.Stat(filepath.Join("k8s", str(r)))
		require.NoError(t, err, "kustomization resource")
	}
	files, _ := filepath.Glob("k8s/*.yaml")
	for _, f := range files {
		base := filepath.Base(f)
		if base == "kustomization.yaml" || base == "secrets.example.yaml" {
			continue
		}
		require.Contains(t, listed, base, "kustomization.yaml does not apply %s", base)
	}
	require.NotContains(t, listed, "secrets.example.yaml", "placeholder Secrets must not be applied")

	// Each Secret and ConfigMap a workload mounts exists (or is documented
	// as created by hand).
	byHand := map[string]bool{"dinhdanh-csca": true}
	for _, m := range k8s(t) {
		spec := podSpec(m)
		for _, v := range list(spec["volumes"]) {
			if n := str(dig(v, "configMap", "name")); n != "" && !byHand[n] {
				require.Contains(t, seen, "ConfigMap/"+n, "%s mounts ConfigMap %s", m, n)
			}
			if n := str(dig(v, "secret", "secretName")); n != "" {
				require.Contains(t, seen, "Secret/"+n, "%s mounts Secret %s", m, n)
			}
			for _, s := range list(dig(v, "projected", "sources")) {
				if n := str(dig(s, "secret", "name")); n != "" {
					require.Contains(t, seen, "Secret/"+n, "%s mounts Secret %s", m, n)
				}
			}
		}
	}
}

// --- every container's configuration --------------------------------------

// fakeValue is a value config.Load accepts for name: 32 bytes for keys
// (whatever the example's placeholder), else the example's value, else a
// distinct long token.
func fakeValue(known map[string]envKind, name, example string) string {
	if known[name] == envKey {
		return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{byte(len(name))}, 32))
	}
	if example != "" {
		return example
	}
	return name + "-" + strings.Repeat("x", 32)
}

// needsFor is what each command asks of the configuration (cmd/dinhdanh).
func needsFor(argv []string) config.Needs {
	if len(argv) > 0 && argv[0] == "serve" {
		return config.Needs{DB: true, Secrets: true, SMS: true, Mail: true}
	}
	return config.Needs{}
}

func flagValue(argv []string, name string) string {
	for i, a := range argv {
		if (a == "-"+name || a == "--"+name) && i+1 < len(argv) {
			return argv[i+1]
		}
		if v, ok := strings.CutPrefix(a, "-"+name+"="); ok {
			return v
		}
	}
	return ""
}

// TestEveryContainerAcceptsItsConfiguration loads the configuration each
// dinhdanh container is given (its -config file from the ConfigMap it
// mounts, its environment, its NAME_FILE files from the Secrets it mounts)
// through config.Load and Validate, as the command it runs would.
func TestEveryContainerAcceptsItsConfiguration(t *testing.T) {
	known := configEnv(t)
	ms := k8s(t)
	secrets := exampleSecrets(t)
	configMaps := map[string]map[string]string{}
	for _, m := range ofKind(ms, "ConfigMap") {
		configMaps[m.name()] = map[string]string{}
		for k, v := range asObj(dig(m.obj, "data")) {
			configMaps[m.name()][k] = fmt.Sprint(v)
		}
	}
	gatewayImage := ""
	for _, c := range containers(podSpec(gateways(t, ms)[0])) {
		gatewayImage = strings.Split(str(c["image"]), ":")[0]
	}
	var checked int
	for _, m := range ms {
		spec := podSpec(m)
		for _, c := range containers(spec) {
			if !strings.HasPrefix(str(c["image"]), gatewayImage+":") {
				continue
			}
			checked++
			t.Run(m.name()+"/"+str(c["name"]), func(t *testing.T) {
				// What each mount path holds: file name -> content.
				mounts := map[string]map[string]string{}
				volumes := map[string]obj{}
				for _, v := range list(spec["volumes"]) {
					volumes[str(dig(v, "name"))] = asObj(v)
				}
				for _, vm := range list(c["volumeMounts"]) {
					v := volumes[str(dig(vm, "name"))]
					require.NotNil(t, v, "volumeMount %v has no volume", vm)
					files := map[string]string{}
					if n := str(dig(v, "configMap", "name")); n != "" {
						files = configMaps[n]
					}
					if n := str(dig(v, "secret", "secretName")); n != "" {
						files = secrets[n].data
					}
					for _, s := range list(dig(v, "projected", "sources")) {
						n := str(dig(s, "secret", "name"))
						for _, it := range list(dig(s, "secret", "items")) {
							val, ok := secrets[n].data[str(dig(it, "key"))]
							require.True(t, ok, "projected item %v: Secret %s has no such key", it, n)
							files[str(dig(it, "path"))] = val
						}
					}
					mounts[str(dig(vm, "mountPath"))] = files
				}
				// The environment, with NAME_FILE pointing at a temporary
				// copy of what the mount would hold.
				dir := t.TempDir()
				env := map[string]string{}
				for _, e := range list(c["env"]) {
					name, value := str(dig(e, "name")), str(dig(e, "value"))
					require.Nil(t, dig(e, "valueFrom"), "%s: secrets come as files (NAME_FILE), not as values", name)
					base, isFile, err := envName(known, name)
					require.NoError(t, err)
					if goRuntimeEnv[base] {
						continue
					}
					if !isFile {
						env[name] = value
						continue
					}
					files, ok := mounts[path.Dir(value)]
					require.True(t, ok, "%s=%s: nothing is mounted at %s", name, value, path.Dir(value))
					content, ok := files[path.Base(value)]
					require.True(t, ok, "%s=%s: the mount has no %s", name, value, path.Base(value))
					f := filepath.Join(dir, base)
					require.NoError(t, os.WriteFile(f, []byte(fakeValue(known, base, content)), 0o600))
					env[name] = f
				}
				require.Empty(t, c["envFrom"], "envFrom would hand over a whole Secret; name each variable")
				argv := args(c)
				cfgPath := flagValue(argv, "config")
				require.NotEmpty(t, cfgPath, "%v: no -config", argv)
				files, ok := mounts[path.Dir(cfgPath)]
				require.True(t, ok, "-config %s: nothing is mounted at %s", cfgPath, path.Dir(cfgPath))
				body, ok := files[path.Base(cfgPath)]
				require.True(t, ok, "-config %s: the ConfigMap has no %s", cfgPath, path.Base(cfgPath))
				cfgFile := filepath.Join(dir, "config.yaml")
				require.NoError(t, os.WriteFile(cfgFile, []byte(body), 0o600))

				cfg, err := config.Load(cfgFile, func(k string) string { return env[k] })
				require.NoError(t, err)
				require.NoError(t, cfg.Validate(needsFor(argv)), "%v", argv)
				require.False(t, cfg.DevMode, "dev_mode in a manifest")
				require.False(t, cfg.BenchAuditOff, "bench_audit_off in a manifest")
				if needsFor(argv).DB {
					require.Empty(t, cfg.DB.MigrateURL, "serve with the owner's URL")
					require.NotEmpty(t, cfg.DB.URL)
				}
				if argv[0] == "migrate" || (argv[0] == "audit" && argv[1] == "retain") {
					require.NotEmpty(t, cfg.DB.MigrateURL, "%v needs the owner's URL", argv)
				}
			})
		}
	}
	require.GreaterOrEqual(t, checked, 3, "the gateway, the migration and the retention containers")
}

// --- compose ---------------------------------------------------------------

func composeFile(t *testing.T) obj {
	t.Helper()
	docs := decodeAll(t, "compose.yaml")
	require.Len(t, docs, 1)
	return docs[0]
}

func composeServices(t *testing.T) map[string]obj {
	t.Helper()
	out := map[string]obj{}
	for name, s := range asObj(composeFile(t)["services"]) {
		out[name] = asObj(s)
	}
	return out
}

func composeArgs(svc obj) []string {
	var out []string
	for _, a := range list(svc["command"]) {
		out = append(out, fmt.Sprint(a))
	}
	return out
}

func TestCompose(t *testing.T) {
	known := configEnv(t)
	file := composeFile(t)
	services := composeServices(t)
	// Which secret file feeds which variable: the owner's is the one given
	// as DATABASE_MIGRATE_URL_FILE.
	ownerSecrets := map[string]bool{}
	for _, svc := range services {
		for k, v := range asObj(dig(svc, "environment")) {
			if k == "DATABASE_MIGRATE_URL_FILE" {
				ownerSecrets[path.Base(str(v))] = true
			}
		}
	}
	require.NotEmpty(t, ownerSecrets)

	var gateway bool
	for name, svc := range services {
		argv := composeArgs(svc)
		t.Run(name, func(t *testing.T) {
			var secretNames []string
			for _, s := range list(svc["secrets"]) {
				secretNames = append(secretNames, str(s))
			}
			owner := slices.ContainsFunc(secretNames, func(s string) bool { return ownerSecrets[s] })
			isJob := len(argv) > 0 && (argv[0] == "migrate" || (argv[0] == "audit" && len(argv) > 1 && argv[1] == "retain"))
			require.Equal(t, isJob, owner, "only the migration and retention jobs get the owner's URL (secrets %v)", secretNames)
			if svc["build"] == nil {
				return // not the dinhdanh image
			}
			if argv[0] == "serve" {
				gateway = true
				replicas, _ := dig(svc, "deploy", "replicas").(int)
				require.GreaterOrEqual(t, replicas, 2, "gateway replicas")
				require.Equal(t, "service_completed_successfully", dig(svc, "depends_on", "migrate", "condition"), "serve starts after the migration")
			}
			env := map[string]string{}
			for k, v := range asObj(dig(svc, "environment")) {
				base, isFile, err := envName(known, k)
				require.NoError(t, err)
				if goRuntimeEnv[base] {
					continue
				}
				if !isFile {
					env[k] = fmt.Sprint(v)
					continue
				}
				sec := path.Base(str(v))
				require.Equal(t, "/run/secrets/"+sec, str(v), "%s", k)
				require.Contains(t, secretNames, sec, "%s names a secret the service does not get", k)
				require.NotNil(t, dig(file, "secrets", sec, "file"), "secret %s is not declared", sec)
				f := filepath.Join(t.TempDir(), sec)
				require.NoError(t, os.WriteFile(f, []byte(fakeValue(known, base, "")), 0o600))
				env[k] = f
			}
			cfgPath := flagValue(argv, "config")
			var cfgFile string
			for _, c := range list(svc["configs"]) {
				if str(dig(c, "target")) == cfgPath {
					cfgFile = str(dig(file, "configs", str(dig(c, "source")), "file"))
				}
			}
			require.NotEmpty(t, cfgFile, "-config %s is not a config the service mounts", cfgPath)
			cfg, err := config.Load(cfgFile, func(k string) string { return env[k] })
			require.NoError(t, err)
			require.NoError(t, cfg.Validate(needsFor(argv)), "%v", argv)
			require.False(t, cfg.DevMode)
			if needsFor(argv).DB {
				require.Empty(t, cfg.DB.MigrateURL, "serve with the owner's URL")
			}
		})
	}
	require.True(t, gateway, "no compose service runs serve")
}

// --- who may reach PostgreSQL ----------------------------------------------

// admits reports whether a NetworkPolicy lets pods with labels, in its own
// namespace, in on port.
func admits(np manifest, labels obj, port int) bool {
	for _, r := range list(dig(np.obj, "spec", "ingress")) {
		portOK := len(list(dig(r, "ports"))) == 0
		for _, p := range list(dig(r, "ports")) {
			if dig(p, "port") == port {
				portOK = true
			}
		}
		if !portOK {
			continue
		}
		for _, peer := range list(dig(r, "from")) {
			sel, ok := dig(peer, "podSelector").(obj)
			if ok && dig(peer, "namespaceSelector") == nil && selects(sel, labels) {
				return true
			}
		}
	}
	return false
}

// TestDatabaseNetworkPolicies: the PostgreSQL instances and the pooler are
// each selected by a NetworkPolicy, which lets in every dinhdanh workload
// that connects to them (the gateway through the pooler and to the
// standbys, the jobs to the primary) and whose every rule names its peers
// and ports. The pods' labels are CloudNativePG's (cnpg.io/cluster,
// cnpg.io/podRole, cnpg.io/poolerName).
func TestDatabaseNetworkPolicies(t *testing.T) {
	ms := k8s(t)
	clusters, poolers := ofKind(ms, "Cluster"), ofKind(ms, "Pooler")
	require.Len(t, clusters, 1)
	require.NotEmpty(t, poolers)
	cluster := clusters[0].name()
	instance := obj{"cnpg.io/cluster": cluster, "cnpg.io/podRole": "instance"}

	var clients []obj // the dinhdanh workloads' pod labels
	for _, m := range ms {
		if spec := podSpec(m); spec != nil && len(containers(spec)) > 0 {
			clients = append(clients, podLabels(m))
		}
	}
	require.GreaterOrEqual(t, len(clients), 3, "the gateway, the migration and the retention job")

	policies := ofKind(ms, "NetworkPolicy")
	for _, np := range policies {
		for _, r := range list(dig(np.obj, "spec", "ingress")) {
			require.NotEmpty(t, list(dig(r, "from")), "%s: an ingress rule without from admits everyone", np)
			require.NotEmpty(t, list(dig(r, "ports")), "%s: an ingress rule without ports opens every port", np)
		}
	}
	guarding := func(labels obj) []manifest {
		var out []manifest
		for _, np := range policies {
			if sel, ok := dig(np.obj, "spec", "podSelector").(obj); ok && selects(sel, labels) {
				out = append(out, np)
			}
		}
		return out
	}
	nps := guarding(instance)
	require.NotEmpty(t, nps, "no NetworkPolicy selects the PostgreSQL instances")
	for _, np := range nps {
		require.True(t, admits(np, obj{"cnpg.io/cluster": cluster, "cnpg.io/podRole": "instance"}, 5432), "%s: replication between instances", np)
		for _, c := range clients {
			require.True(t, admits(np, c, 5432), "%s does not let %v reach PostgreSQL", np, c)
		}
		require.False(t, admits(np, obj{"app": "anything-else"}, 5432), "%s lets any pod in", np)
	}
	for _, p := range poolers {
		pooler := obj{"cnpg.io/cluster": cluster, "cnpg.io/podRole": "pooler", "cnpg.io/poolerName": p.name()}
		nps := guarding(pooler)
		require.NotEmpty(t, nps, "no NetworkPolicy selects the pooler %s", p.name())
		for _, np := range nps {
			for _, g := range gateways(t, ms) {
				require.True(t, admits(np, podLabels(g), 5432), "%s does not let the gateway reach PgBouncer", np)
			}
			require.False(t, admits(np, obj{"app": "anything-else"}, 5432), "%s lets any pod in", np)
		}
	}
}

// servedMetric reports whether the gateway serves name: one of
// gateway.MetricNames (read from the constructors it registers), or a
// histogram's _bucket, _sum or _count series.
func servedMetric(names []string, name string) bool {
	if slices.Contains(names, name) {
		return true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok && slices.Contains(names, base) {
			return true
		}
	}
	return false
}

var metricRE = regexp.MustCompile(`\bdinhdanh_[a-z0-9_]+`)

// TestAlertsNameServedMetrics: every dinhdanh_* metric an alert rule
// names is one the gateway serves, so a renamed metric cannot leave an
// alert that never fires; and the alerts docs/operations.md promises for
// the domain metrics are there.
func TestAlertsNameServedMetrics(t *testing.T) {
	names := gateway.MetricNames()
	var exprs, alerts []string
	for _, m := range ofKind(k8s(t), "PrometheusRule") {
		for _, g := range list(dig(m.obj, "spec", "groups")) {
			for _, r := range list(dig(g, "rules")) {
				require.NotEmpty(t, str(dig(r, "alert")), "%s: a rule without alert", m)
				alerts = append(alerts, str(dig(r, "alert")))
				exprs = append(exprs, str(dig(r, "expr")))
			}
		}
	}
	require.NotEmpty(t, exprs, "no alert rules")
	var named int
	for _, e := range exprs {
		for _, name := range metricRE.FindAllString(e, -1) {
			named++
			require.True(t, servedMetric(names, name), "alert expression %q names %s, which the gateway does not serve", e, name)
		}
	}
	require.GreaterOrEqual(t, named, 5)
	for _, a := range []string{"DinhdanhAuditWriterStalled", "DinhdanhAuditSealAge", "DinhdanhSMSFailing", "DinhdanhSignInErrors"} {
		require.Contains(t, alerts, a)
	}
}

// TestGrafanaDashboard: deploy/grafana/dinhdanh.json is a dashboard whose
// every query names only metrics the gateway serves, on the Prometheus
// data source chosen in its datasource variable (never a data source id
// of one Grafana), and shows each domain metric.
func TestGrafanaDashboard(t *testing.T) {
	b, err := os.ReadFile("grafana/dinhdanh.json")
	require.NoError(t, err)
	var dash obj
	require.NoError(t, json.Unmarshal(b, &dash))
	require.NotEmpty(t, str(dash["uid"]))
	var hasVar bool
	for _, v := range list(dig(dash, "templating", "list")) {
		if str(dig(v, "type")) == "datasource" && str(dig(v, "name")) == "datasource" && str(dig(v, "query")) == "prometheus" {
			hasVar = true
		}
	}
	require.True(t, hasVar, "no datasource variable")

	names := gateway.MetricNames()
	used := map[string]bool{}
	var queries int
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case obj:
			if ds, ok := v["datasource"]; ok {
				require.Equal(t, "${datasource}", str(dig(ds, "uid")), "%s: a data source other than the variable", path)
			}
			if e, ok := v["expr"].(string); ok {
				queries++
				for _, name := range metricRE.FindAllString(e, -1) {
					require.True(t, servedMetric(names, name), "%s: query %q names %s, which the gateway does not serve", path, e, name)
					used[name] = true
				}
			}
			for k, x := range v {
				walk(path+"."+k, x)
			}
		case []any:
			for i, x := range v {
				walk(path+"["+strconv.Itoa(i)+"]", x)
			}
		}
	}
	walk("dashboard", dash)
	require.GreaterOrEqual(t, queries, 20)
	for _, m := range []string{"dinhdanh_signins_total", "dinhdanh_second_factor_total", "dinhdanh_messages_sent_total", "dinhdanh_messages_failed_total",
		"dinhdanh_tokens_issued_total", "dinhdanh_consents_total", "dinhdanh_account_locks_total", "dinhdanh_account_unlocks_total",
		"dinhdanh_backchannel_logout_total", "dinhdanh_audit_batch_duration_seconds_bucket", "dinhdanh_audit_seal_age_seconds", "dinhdanh_build_info"} {
		require.True(t, used[m], "the dashboard does not show %s", m)
	}
}
