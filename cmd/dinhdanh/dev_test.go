package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

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
	b := proofingBanner(cfg, ".data", cards)
	require.Contains(t, b, filepath.Join(".data", "demo-pki", "csca.pem")+"   (demo CSCA")
	require.Contains(t, b, "http://localhost:8080/staff/counter")
	require.Contains(t, b, filepath.Join(".data", "demo-cards", "079195000001"))
	require.Contains(t, b, "cardreader virtual --card "+filepath.Join(".data", "demo-cards", "048092000001"))

	cfg.Proofing.Trust = "/etc/dinhdanh/csca"
	b = proofingBanner(cfg, ".data", nil)
	require.Contains(t, b, "trust (CSCA):   /etc/dinhdanh/csca\n")
	require.NotContains(t, b, "demo CSCA")
	require.NotContains(t, b, "virtual")
}
