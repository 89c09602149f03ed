package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/cardreader/emulator"
	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/proofing/demo"
)

// TestProofingBanner: the banner says where the demo CSCA and cards are,
// and how to put a card in the virtual reader.
func TestProofingBanner(t *testing.T) {
	t.Parallel()
	cfg := config.Config{Issuer: "http://localhost:8080"}
	cfg.Proofing.Trust = demo.CSCAPath(".data")
	cards := map[string]string{"048092000001": demo.CardPath(".data", "048092000001"), "079195000001": demo.CardPath(".data", "079195000001")}
	b := proofingBanner(cfg, ".data", cards, nil)
	require.Contains(t, b, filepath.Join(".data", "demo-pki", "csca.pem")+"   (demo CSCA")
	require.Contains(t, b, "http://localhost:8080/staff/counter")
	require.Contains(t, b, filepath.Join(".data", "demo-cards", "079195000001"))
	require.Contains(t, b, "cardreader virtual --card "+filepath.Join(".data", "demo-cards", "048092000001"))

	cfg.Proofing.Trust = "/etc/dinhdanh/csca"
	b = proofingBanner(cfg, ".data", nil, nil)
	require.Contains(t, b, "trust (CSCA):   /etc/dinhdanh/csca\n")
	require.NotContains(t, b, "demo CSCA")
	require.NotContains(t, b, "virtual")
}

// TestProofingBannerPassport: the demo trust list and the passport folder
// with the command that reads it.
func TestProofingBannerPassport(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	kor, err := emulator.NewIssuer("KOR", nil)
	require.NoError(t, err)
	tr := emulator.SyntheticTraveller()
	card := demo.CardPath(dir, "001088000002")
	require.NoError(t, demo.WritePassport(card, kor, "001088000002", tr))
	cfg := config.Config{Issuer: "http://localhost:8080"}
	cfg.Proofing.Trust = demo.TrustPath(dir)
	b := proofingBanner(cfg, dir, nil, map[string]string{"001088000002": card})
	require.Contains(t, b, "(demo CSCAs: Vietnam's in demo-pki, a test Korea's in demo-pki-kor)")
	require.Contains(t, b, "passport:       "+card)
	require.Contains(t, b, "cardreader enrol --passport --mrz-key M12345678,880309,330308 --gateway http://localhost:8080")
}
