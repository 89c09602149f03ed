// exchangerp.mjs is a relying party built on panva's openid-client (v6,
// pinned in .ci/node), a client the project did not write: the browser test
// TestTokenExchangeIndependentClient runs it to exercise acting for a
// dependent and the RFC 8693 token exchange grant.
//
//   node exchangerp.mjs CONFIG.json
//
// Config (JSON): issuer, client_id, client_secret (client_secret_basic),
// redirect_uri, scope. Node packages come from $BANKRP_NODE_DIR. The driver
// speaks JSON lines on stdout:
//
//   {"step":"authorize","url":"…","choose":"dependent"|"self"}
//        the browser signs in there and chooses on the choice page; the
//        test then writes the callback URL it reached on stdin
//   {"step":"result", …}   what the relying party saw
//
// It signs in once as the guardian's child (learning the child's sub) and
// once as the guardian, then exchanges the guardian's access token for one
// acting for the child, reads userinfo and introspection with it, and runs
// refusal probes. Failures are reported, never thrown.
import { readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { webcrypto } from 'node:crypto'

globalThis.crypto ??= webcrypto

const nodeDir = process.env.BANKRP_NODE_DIR
if (!nodeDir) {
  console.error('BANKRP_NODE_DIR is not set')
  process.exit(2)
}
const req = createRequire(join(nodeDir, 'package.json'))
const client = await import(pathToFileURL(req.resolve('openid-client')).href)

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'))
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n')
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]()

const GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange'
const ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token'

function describe (err) {
  const d = { name: err?.name, message: err?.message, code: err?.code }
  if (err?.error) d.error = err.error
  if (err?.error_description) d.error_description = err.error_description
  if (err?.status) d.status = err.status
  const res = err?.response ?? err?.cause?.response
  if (res?.status) d.status ??= res.status
  if (err?.cause?.error && !d.error) d.error = err.cause.error
  return d
}

const config = await client.discovery(new URL(cfg.issuer), cfg.client_id,
  { redirect_uris: [cfg.redirect_uri], token_endpoint_auth_method: 'client_secret_basic' },
  client.ClientSecretBasic(cfg.client_secret),
  { execute: [client.allowInsecureRequests] }) // the tests' gateway is on http://127.0.0.1
const result = { step: 'result', grant_types_supported: config.serverMetadata().grant_types_supported }

// signIn runs one code flow; the browser chooses choose on the choice page.
async function signIn (choose) {
  const verifier = client.randomPKCECodeVerifier()
  const state = client.randomState()
  const nonce = client.randomNonce()
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: cfg.redirect_uri,
    scope: cfg.scope + ' act_for_dependent',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce
  })
  out({ step: 'authorize', url: url.href, choose })
  const { value: callback } = await lines.next()
  const tok = await client.authorizationCodeGrant(config, new URL(callback.trim()),
    { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true })
  return { tok, claims: tok.claims() }
}

async function exchange (params) {
  try {
    const r = await client.genericGrantRequest(config, GRANT, params)
    return { ok: { ...r } }
  } catch (err) {
    return { error: describe(err) }
  }
}

try {
  const child = await signIn('dependent')
  result.child_id_token = child.claims
  const own = await signIn('self')
  result.own_id_token = own.claims

  const base = {
    subject_token: own.tok.access_token,
    subject_token_type: ACCESS_TOKEN,
    requested_subject: child.claims.sub
  }
  const ex = await exchange({ ...base, scope: 'openid profile' })
  result.exchange = ex.ok ?? ex.error
  if (ex.ok) {
    const ui = await client.fetchUserInfo(config, ex.ok.access_token, child.claims.sub)
    result.userinfo = { ...ui }
    result.introspection = { ...(await client.tokenIntrospection(config, ex.ok.access_token)) }
  }
  result.probes = {
    unknown_subject: (await exchange({ ...base, requested_subject: own.claims.sub })).error,
    bad_subject_token: (await exchange({ ...base, subject_token: 'not-a-token' })).error,
    no_subject_token_type: (await exchange({ subject_token: base.subject_token, requested_subject: base.requested_subject })).error,
    wider_scope: (await exchange({ ...base, scope: 'openid offline_access' })).error
  }
} catch (err) {
  result.error = describe(err)
}
out(result)
