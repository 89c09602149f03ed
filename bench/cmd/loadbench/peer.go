package main

import (
	"fmt"
	"log"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// peerConfig is what -issuer measures another provider with.
type peerConfig struct {
	issuer string
	// clientID, clientSecret, scope: a client_credentials client; its
	// tokens are also what the introspection row asks about, as introID.
	clientID, clientSecret, scope string
	introID, introSecret          string
	introURL                      string // the introspection endpoint when discovery names none
	// The flow and userinfo rows need a dinhdanh gateway (its sign-in and
	// consent pages), a confidential client and citizens with an
	// authenticator.
	flowID, flowSecret, flowRedirect, flowScope string
	citizens                                    []citizen
}

// peer measures the rows a peer can run: discovery and JWKS always;
// client credentials and introspection with a client; the flow and
// userinfo against a dinhdanh gateway given a flow client and citizens.
func peer(p peerConfig, cs []int, d time.Duration) {
	fmt.Printf("peer %s\n", p.issuer)
	hc := client(slicesMax(cs))
	doc, err := discover(hc, p.issuer)
	if err != nil {
		log.Fatal(err)
	}
	var flow *flowTarget
	if p.flowID != "" && len(p.citizens) > 0 {
		flow = &flowTarget{doc: doc, clientID: p.flowID, secret: p.flowSecret, redirectURI: p.flowRedirect, scope: p.flowScope,
			citizens: p.citizens, transport: hc.Transport.(*http.Transport), signInWorkers: 2}
		t0 := time.Now()
		if err := flow.signInAll(); err != nil {
			log.Fatalf("flow: sign-in: %v", err)
		}
		fmt.Printf("flow: %d citizens signed in in %s; virtual user w uses citizen w modulo %d\n", len(p.citizens), time.Since(t0).Round(time.Millisecond), len(p.citizens))
	}
	fmt.Printf("gw ms/req: -gateway-pid's CPU per request (%s); pg ms/req: the postmaster's and its children's (%s)\n\n",
		measured(meter.gateway), measured(meter.postmaster))
	var rows []row
	for _, c := range cs {
		if flow != nil {
			rows = append(rows, flow.flow(hc, c, d))
			access := flow.access
			if len(access) > 0 && doc.Userinfo != "" {
				rows = append(rows, measure("userinfo", c, 0, d, func(i int) error {
					return get(hc, doc.Userinfo, "Authorization", "Bearer "+access[i%len(access)])
				}))
			}
		}
		rows = append(rows, measure("discovery", c, 0, d, func(int) error { return get(hc, p.issuer+"/.well-known/openid-configuration") }))
		rows = append(rows, measure("jwks", c, 0, d, func(int) error { return get(hc, doc.JWKS) }))
		if p.clientID == "" {
			continue
		}
		form := url.Values{"grant_type": {"client_credentials"}}
		if p.scope != "" {
			form.Set("scope", p.scope)
		}
		var (
			tokens   []string
			tokensMu sync.Mutex
		)
		rows = append(rows, measure("client_credentials", c, 0, d, func(int) error {
			m, err := postForm(hc, doc.Token, p.clientID, p.clientSecret, form)
			if a, _ := m["access_token"].(string); err == nil && a != "" {
				tokensMu.Lock()
				if len(tokens) < 4096 {
					tokens = append(tokens, a)
				}
				tokensMu.Unlock()
			}
			return err
		}))
		if p.introURL != "" {
			doc.Introspection = p.introURL
		}
		if len(tokens) > 0 && doc.Introspection != "" && p.introID != "" {
			rows = append(rows, measure("introspection", c, 0, d, func(i int) error {
				m, err := postForm(hc, doc.Introspection, p.introID, p.introSecret, url.Values{"token": {tokens[i%len(tokens)]}})
				if err == nil && m["active"] != true {
					return fmt.Errorf("introspection: token not active")
				}
				return err
			}))
		}
	}
	print(rows)
}

func measured(pid int) string {
	if pid <= 0 {
		return "not measured"
	}
	return fmt.Sprintf("pid %d", pid)
}
