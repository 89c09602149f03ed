package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/dinhdanh/dinhdanh/cardreader/emulator"
	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/gateway/schema"
	"github.com/dinhdanh/dinhdanh/internal/pg"
	"github.com/dinhdanh/dinhdanh/population"
	"github.com/dinhdanh/dinhdanh/proofing/demo"
)

// cmdDev runs the whole product on one machine: its own PostgreSQL cluster
// under ./.data/postgres (unless DATABASE_URL is set), migrations, demo data,
// generated secrets kept in ./.data, and the gateway on :8080.
func cmdDev(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fset := flag.NewFlagSet("dev", flag.ContinueOnError)
	fset.SetOutput(stderr)
	dataDir := fset.String("data", ".data", "folder for the database and generated secrets")
	path := fset.String("config", "", "YAML configuration file (optional)")
	rpListen := fset.String("demo-rp", ":8081", "address of the demo relying party")
	if err := fset.Parse(args); err != nil {
		return err
	}
	rpURL, err := demoRPURL(*rpListen)
	if err != nil {
		return err
	}
	cfg, err := config.Load(*path, os.Getenv)
	if err != nil {
		return err
	}
	cfg.DevMode = true
	if cfg.Reconcile.VehiclesEvery == 0 {
		// The demo reconciles its vehicle registry once a day.
		cfg.Reconcile.VehiclesEvery = config.Duration(24 * time.Hour)
	}
	if *path == "" {
		cfg.Log.Format = "text"
	}
	// 0711: the unprivileged database user must traverse it (when run as
	// root) but need not list it; the secrets file inside is 0600.
	if err := os.MkdirAll(*dataDir, 0o711); err != nil {
		return err
	}
	if err := os.Chmod(*dataDir, 0o711); err != nil {
		return err
	}
	if err := devSecrets(filepath.Join(*dataDir, "dev-secrets.json"), &cfg.Secrets); err != nil {
		return err
	}
	// The demo document PKI: its CSCA is the trust list unless the
	// configuration names one, so the demo cards pass passive
	// authentication at the counter.
	pki, pkiCreated, err := demo.PKI(*dataDir, time.Now())
	if err != nil {
		return err
	}
	// A test Korean CSCA beside it signs the demo foreigner's passport.
	kor, korCreated, err := demo.ForeignPKI(*dataDir, "KOR", time.Now())
	if err != nil {
		return err
	}
	if err := demo.WriteTrust(*dataDir, pki, kor); err != nil {
		return err
	}
	if cfg.Proofing.Trust == "" {
		cfg.Proofing.Trust = demo.TrustPath(*dataDir)
	}
	if err := cfg.Validate(config.Needs{}); err != nil {
		return err
	}
	logger := newLogger(cfg, stderr)

	appURL, ownerURL := cfg.DB.URL, cfg.DB.MigrateURL
	if appURL == "" {
		cluster, err := pg.StartCluster(ctx, pg.ClusterOptions{Dir: filepath.Join(*dataDir, "postgres"), Logger: logger})
		if err != nil {
			return err
		}
		defer cluster.Stop()
		ownerURL, appURL, err = pg.Bootstrap(ctx, cluster.URL(cluster.Superuser, "postgres"), "dinhdanh", "")
		if err != nil {
			return err
		}
	} else if ownerURL == "" {
		ownerURL = appURL
	}
	owner, err := pg.Open(ctx, ownerURL, 4)
	if err != nil {
		return err
	}
	done, err := pg.Migrate(ctx, owner, schema.Sources()...)
	owner.Close()
	if err != nil {
		return err
	}
	logger.Info("migrations applied", "count", len(done))
	stopAudit, err := startAuditMaintenance(ctx, cfg, ownerURL, logger)
	if err != nil {
		return err
	}
	defer stopAudit()

	pool, err := pg.Open(ctx, appURL, cfg.DB.MaxConns)
	if err != nil {
		return err
	}
	defer pool.Close()
	a, stopGateway, err := startGateway(ctx, cfg, pool, nil, logger)
	if err != nil {
		return err
	}
	defer stopGateway()
	rp, err := loadDemo(ctx, pool, a, logger, rpURL)
	if err != nil {
		return fmt.Errorf("demo data: %w", err)
	}
	records, err := population.DemoRecords(population.DemoOptions{})
	if err != nil {
		return fmt.Errorf("demo data: %w", err)
	}
	cards, err := demo.Cards(ctx, *dataDir, pki, records, a.ProofingStore, pkiCreated, time.Now())
	if err != nil {
		return fmt.Errorf("demo cards: %w", err)
	}
	passports, err := demo.Passports(ctx, *dataDir, map[string]*emulator.Issuer{"KOR": kor}, a.Foreigners, korCreated, time.Now())
	if err != nil {
		return fmt.Errorf("demo passports: %w", err)
	}
	rpSrv := &http.Server{Addr: *rpListen, Handler: rp, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := rpSrv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Warn("demo relying party stopped", "error", err)
		}
	}()
	defer rpSrv.Close()
	printBanner(stdout, cfg, rpURL, *dataDir, cards, passports)
	return serveHTTP(ctx, cfg, a.Handler, logger)
}

// devSecrets fills missing secrets from a file it creates on first run, so
// that sessions, TOTP secrets and signing keys survive a restart.
func devSecrets(path string, s *config.Secrets) error {
	stored := map[string]string{}
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := json.Unmarshal(b, &stored); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	changed := false
	key := func(name string, dst *[]byte) {
		if len(*dst) != 0 {
			return
		}
		if v, ok := stored[name]; ok {
			if k, err := base64.StdEncoding.DecodeString(v); err == nil && len(k) == 32 {
				*dst = k
				return
			}
		}
		k := make([]byte, 32)
		_, _ = rand.Read(k)
		stored[name] = base64.StdEncoding.EncodeToString(k)
		*dst = k
		changed = true
	}
	key("encryption_key", &s.EncryptionKey)
	key("pairwise_key", &s.PairwiseKey)
	key("secret_pepper", &s.SecretPepper)
	key("audit_key", &s.AuditKey)
	key("session_key", &s.SessionKey)
	if s.AdminToken == "" {
		if v, ok := stored["admin_token"]; ok {
			s.AdminToken = v
		} else {
			k := make([]byte, 24)
			_, _ = rand.Read(k)
			s.AdminToken = base64.RawURLEncoding.EncodeToString(k)
			stored["admin_token"] = s.AdminToken
			changed = true
		}
	}
	if !changed {
		return nil
	}
	out, _ := json.MarshalIndent(stored, "", "  ")
	return os.WriteFile(path, out, 0o600)
}

// demoRPURL is the demo relying party's base URL for a listen address:
// ":8081" (every interface) is reached at localhost, "127.0.0.1:8081" or
// "[::1]:8081" at that host.
func demoRPURL(listen string) (string, error) {
	host, port, err := net.SplitHostPort(listen)
	if err != nil || port == "" {
		return "", fmt.Errorf("-demo-rp %q: want HOST:PORT or :PORT", listen)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port), nil
}

func printBanner(w io.Writer, cfg config.Config, rp, dataDir string, cards, passports map[string]string) {
	fmt.Fprintf(w, `
dinhdanh is running (development mode)
  demo service:   %[3]s   (a relying party: "Đăng nhập bằng VNeID")
  sign in:        %[1]s/login
  account page:   %[1]s/account
  discovery:      %[1]s/.well-known/openid-configuration
  SMS inbox:      %[1]s/dev/sms
  staff console:  %[1]s/staff   (vanhanh, lanhdao, canbo1, canbo2, vanhanh2; password CanBo@12345; TOTP in README)
  health:         %[1]s/healthz   metrics: %[1]s/metrics
%[2]s%[5]s
Press Ctrl-C to stop (the database stops with it; data stays in %[4]s).
`, cfg.Issuer, population.DemoBanner(), rp, dataDir, proofingBanner(cfg, dataDir, cards, passports))
}

// proofingBanner tells where the demo PKI and cards are and how to try the
// counter with them (README "Try it").
func proofingBanner(cfg config.Config, dataDir string, cards, passports map[string]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Identity proofing (docs/proofing.md):\n")
	trust := cfg.Proofing.Trust
	switch trust {
	case demo.CSCAPath(dataDir):
		trust += "   (demo CSCA; document signer and keys beside it)"
	case demo.TrustPath(dataDir):
		trust += "   (demo CSCAs: Vietnam's in demo-pki, a test Korea's in demo-pki-kor)"
	}
	fmt.Fprintf(&b, "  trust (CSCA):   %s\n", trust)
	fmt.Fprintf(&b, "  counter:        %s/staff/counter\n", cfg.Issuer)
	ids := slices.Sorted(maps.Keys(cards))
	for i, id := range ids {
		label := ""
		if i == 0 {
			label = "demo cards:"
		}
		fmt.Fprintf(&b, "  %-15s %s   (chip files, %s, %s)\n", label, cards[id], demo.PortraitFile, demo.ProbeFile)
	}
	if len(ids) > 0 {
		c := cards[population.DemoPendingID]
		if c == "" {
			c = cards[ids[0]]
		}
		fmt.Fprintf(&b, "  put a card down: go run ./cmd/cardreader virtual --card %s   (pcscd with vsmartcard-vpcd)\n", c)
	}
	for _, id := range slices.Sorted(maps.Keys(passports)) {
		dir := passports[id]
		fmt.Fprintf(&b, "  passport:       %s   (foreigner %s; chip files, %s, %s)\n", dir, id, demo.PortraitFile, demo.ProbeFile)
		if o, err := emulator.LoadCard(dir); err == nil {
			fmt.Fprintf(&b, "    read it:      go run ./cmd/cardreader enrol --passport --mrz-key %s,%s,%s --gateway %s --token ddo_...\n",
				o.Key.DocumentNumber, o.Key.BirthDate, o.Key.ExpiryDate, cfg.Issuer)
		}
	}
	return b.String()
}
