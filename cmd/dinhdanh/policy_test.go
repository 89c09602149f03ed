package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPolicyCommands: operators read and change the kind policy from the
// command line; a registration the policy refuses is refused with the
// reason, and allowed once the operator allows it.
func TestPolicyCommands(t *testing.T) {
	toolEnv(t)
	out := dd(t, "policy", "show")
	assert.Regexp(t, `bank\s+yes\s+yes\s+-\s+-`, out)
	assert.Regexp(t, `insurer\s+-\s+yes\s+yes\s+yes`, out)
	assert.Regexp(t, `other\s+-\s+-\s+-\s+-`, out)

	_, _, err := ddErr(t, "client", "create", "-id", "shop", "-kind", "other", "-name-vi", "Cửa hàng",
		"-redirect-uri", "https://shop.example/cb", "-scopes", "openid documents.vehicle_registration")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "may not have scope documents.vehicle_registration")

	out = dd(t, "policy", "allow", "other", "documents.vehicle_registration")
	assert.Regexp(t, `other\s+-\s+yes\s+-\s+-`, out)
	dd(t, "client", "create", "-id", "shop", "-kind", "other", "-name-vi", "Cửa hàng",
		"-redirect-uri", "https://shop.example/cb", "-scopes", "openid documents.vehicle_registration")

	out = dd(t, "policy", "refuse", "bank", "documents.driving_licence", "-json")
	assert.Contains(t, out, `"bank": [`)

	_, _, err = ddErr(t, "policy", "allow", "shop", "documents.driving_licence")
	assert.ErrorContains(t, err, "not one of public_service, bank, insurer, other")
	_, _, err = ddErr(t, "policy", "allow", "bank")
	assert.ErrorContains(t, err, "want 2 arguments")
}
