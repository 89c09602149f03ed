// bankrp.mjs is a bank's relying party built on panva's openid-client (v6,
// pinned in .ci/node), a client the project did not write: the browser
// tests (bank_test.go) run it to show the gateway to an independent
// implementation of PAR, private_key_jwt, DPoP (RFC 9449), JAR (RFC 9101),
// JARM and JWE-encrypted responses.
//
//   node bankrp.mjs CONFIG.json
//
// Node packages come from $BANKRP_NODE_DIR (the folder holding
// node_modules, .ci/node). The driver speaks JSON lines on stdout:
//
//   {"step":"authorize","url":"…"}   the browser goes there (flow mode);
//                                      the test then writes the callback
//                                      URL the browser reached on stdin
//   {"step":"result", …}             what the relying party saw
//
// Config (JSON): issuer, client_id, client_key (private JWK with kid and
// alg: private_key_jwt and request objects), redirect_uri, scope, and
//   dpop           DPoP-bind the tokens (ES256 key made here)
//   assertion_aud  "issuer" (openid-client's default) or "token_endpoint"
//   jar            push a signed request object (JAR by value at PAR)
//   jarm           response_mode=jwt, decoded by openid-client
//   decrypt        {keys: [private JWKs], enc: ["A256GCM", …]}: decrypt
//                  ID tokens and userinfo
//   refresh        refresh once after the code exchange
//   metadata       more client metadata for openid-client (the registration's)
//   flow           false: no authorization, only the probes
//   probes         names of refusal probes to run (see PROBES below)
//
// Every failure is reported, never thrown: {"error": {…}} with the
// OAuth error code, the HTTP status and the WWW-Authenticate header.
import { readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { createHash, randomUUID, webcrypto } from 'node:crypto'

// Node 18 (Debian 12's) has WebCrypto, but not yet as a global.
globalThis.crypto ??= webcrypto

const nodeDir = process.env.BANKRP_NODE_DIR
if (!nodeDir) {
  console.error('BANKRP_NODE_DIR is not set')
  process.exit(2)
}
const req = createRequire(join(nodeDir, 'package.json'))
const client = await import(pathToFileURL(req.resolve('openid-client')).href)
const jose = await import(pathToFileURL(req.resolve('jose')).href)

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'))
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n')
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]()

// describe turns an openid-client (or fetch) failure into what the tests
// compare: the OAuth error code, the HTTP status, WWW-Authenticate.
function describe (err) {
  const d = { name: err?.name, message: err?.message, code: err?.code }
  if (err?.error) d.error = err.error
  if (err?.error_description) d.error_description = err.error_description
  if (err?.status) d.status = err.status
  const res = err?.response ?? err?.cause?.response
  if (res?.headers) {
    d.status ??= res.status
    d.www_authenticate = res.headers.get('www-authenticate') ?? undefined
    d.dpop_nonce = res.headers.has('dpop-nonce') || undefined
  }
  if (Array.isArray(err?.cause) && err.cause[0]?.parameters) { // WWWAuthenticateChallengeError
    d.error ??= err.cause[0].parameters.error
    d.scheme = err.cause[0].scheme
  }
  if (err?.cause?.error && !d.error) d.error = err.cause.error
  return d
}

const b64u = (buf) => Buffer.from(buf).toString('base64url')
const sha256 = (s) => b64u(createHash('sha256').update(s).digest())

const clientKey = await jose.importJWK(cfg.client_key, cfg.client_key.alg)
const signingKey = { key: clientKey, kid: cfg.client_key.kid }

const auth = client.PrivateKeyJwt(signingKey, cfg.assertion_aud === 'token_endpoint'
  ? { [client.modifyAssertion]: (_h, p) => { p.aud = config.serverMetadata().token_endpoint } }
  : undefined)
const metadata = { redirect_uris: [cfg.redirect_uri], token_endpoint_auth_method: 'private_key_jwt' }
if (cfg.jarm) metadata.authorization_signed_response_alg = 'ES256'
Object.assign(metadata, cfg.metadata)
const config = await client.discovery(new URL(cfg.issuer), cfg.client_id, metadata, auth, {
  execute: [client.allowInsecureRequests] // the tests' gateway is on http://127.0.0.1
})
const as = config.serverMetadata()
if (cfg.jarm) client.useJwtResponseMode(config)
if (cfg.decrypt) {
  const keys = []
  for (const jwk of cfg.decrypt.keys) {
    keys.push({ key: await jose.importJWK(jwk, jwk.alg), alg: jwk.alg, kid: jwk.kid })
  }
  client.enableDecryptingResponses(config, cfg.decrypt.enc, ...keys)
}

const dpopKeys = cfg.dpop ? await client.randomDPoPKeyPair('ES256') : undefined
const dpop = dpopKeys ? client.getDPoPHandle(config, dpopKeys) : undefined
const result = { step: 'result' }
const tokens = {}


async function flow () {
  const verifier = client.randomPKCECodeVerifier()
  const state = client.randomState()
  const nonce = client.randomNonce()
  let params = {
    redirect_uri: cfg.redirect_uri,
    scope: cfg.scope,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce
  }
  if (cfg.jar) {
    params = (await client.buildAuthorizationUrlWithJAR(config, params, signingKey)).searchParams
    result.jar = true
  }
  const url = await client.buildAuthorizationUrlWithPAR(config, params, { DPoP: dpop })
  result.authorize_params = [...url.searchParams.keys()].sort()
  out({ step: 'authorize', url: url.href })
  const { value: callback } = await lines.next()
  result.callback_params = [...new URL(callback.trim()).searchParams.keys()].sort()

  const tok = await client.authorizationCodeGrant(config, new URL(callback.trim()),
    { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true },
    undefined, { DPoP: dpop })
  tokens.access = tok.access_token
  tokens.refresh = tok.refresh_token
  result.token_type = tok.token_type
  result.scope = tok.scope
  result.id_token = tok.claims()
  result.id_token_decrypted = client.getDecryptedResponses(tok) !== undefined || undefined
  const dpopFor = tok.token_type?.toLowerCase() === 'dpop' ? dpop : undefined
  const ui = await client.fetchUserInfo(config, tok.access_token, result.id_token.sub, { DPoP: dpopFor })
  result.userinfo = { ...ui }
  result.userinfo_decrypted = client.getDecryptedResponses(ui) !== undefined || undefined

  if (cfg.refresh && tok.refresh_token) {
    const r = await client.refreshTokenGrant(config, tok.refresh_token, undefined, { DPoP: dpop })
    tokens.access = r.access_token
    tokens.refresh = r.refresh_token ?? tok.refresh_token
    result.refreshed = { token_type: r.token_type, scope: r.scope, id_token: r.id_token ? r.claims() : undefined }
    const ui2 = await client.fetchUserInfo(config, r.access_token, result.id_token.sub, { DPoP: dpopFor })
    result.refreshed.userinfo_sub = ui2.sub
  }
}

// ---- hand-crafted requests, for what openid-client never sends wrong ----

// The newest DPoP-Nonce each origin gave (RFC 9449 §8, §9).
const nonces = {}

function remember (res) {
  const n = res.headers.get('dpop-nonce')
  if (n) nonces.latest = n
  return res
}

// answer is what a probe reports: the status, the error code (from the
// JSON body, else from WWW-Authenticate), the challenge and whether a fresh
// nonce came with it.
async function answer (res) {
  remember(res)
  const www = res.headers.get('www-authenticate') ?? undefined
  let error
  const text = await res.text()
  try { error = JSON.parse(text).error } catch {}
  if (!error && www) error = /error="([^"]+)"/.exec(www)?.[1]
  const o = { status: res.status, error, www_authenticate: www, dpop_nonce: res.headers.has('dpop-nonce') }
  if (res.status >= 300 && res.status < 400) {
    const loc = res.headers.get('location')
    if (loc) {
      const u = new URL(loc, cfg.issuer)
      o.location_error = u.searchParams.get('error') ?? undefined
      o.location = u.origin + u.pathname
    }
  }
  return o
}

// proof is a DPoP proof JWT signed with keys (the flow's, unless another
// pair is given); over overrides or removes (undefined) payload claims.
async function proof ({ htm, htu, token, keys = dpopKeys, over = {}, header = {} }) {
  const jwk = await jose.exportJWK(keys.publicKey)
  const payload = { jti: randomUUID(), htm, htu, iat: Math.floor(Date.now() / 1000) }
  if (nonces.latest) payload.nonce = nonces.latest
  if (token) payload.ath = sha256(token)
  Object.assign(payload, over)
  for (const k of Object.keys(payload)) if (payload[k] === undefined) delete payload[k]
  return new jose.SignJWT(payload)
    .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk, ...header })
    .sign(keys.privateKey)
}

// userinfo calls the userinfo endpoint with a DPoP-bound token.
async function userinfo ({ scheme = 'DPoP', token = tokens.access, dpopProof, method = 'GET' } = {}) {
  const headers = { authorization: `${scheme} ${token}` }
  if (dpopProof) headers.dpop = dpopProof
  return fetch(as.userinfo_endpoint, { method, headers })
}

// primeNonce makes sure a current nonce is known: a request whose proof
// carries none is answered with one when the server wants them.
async function primeNonce (url = as.userinfo_endpoint) {
  const saved = nonces.latest
  delete nonces.latest
  const res = remember(await userinfo({ dpopProof: await proof({ htm: 'GET', htu: url, token: tokens.access }) }))
  await res.text()
  nonces.latest ??= saved
}

// clientAssertion is a private_key_jwt assertion for the gateway.
async function clientAssertion (aud = cfg.assertion_aud === 'token_endpoint' ? as.token_endpoint : cfg.issuer) {
  const now = Math.floor(Date.now() / 1000)
  return new jose.SignJWT({ iss: cfg.client_id, sub: cfg.client_id, aud, jti: randomUUID(), iat: now, exp: now + 60 })
    .setProtectedHeader({ alg: cfg.client_key.alg, kid: cfg.client_key.kid })
    .sign(clientKey)
}

async function form (url, fields, headers = {}) {
  return fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields)
  })
}

// pushWith pushes an authorization request whose request object is
// requestObject, authenticated with private_key_jwt.
async function pushWith (requestObject) {
  return form(as.pushed_authorization_request_endpoint, {
    client_id: cfg.client_id,
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: await clientAssertion(),
    request: requestObject
  })
}

async function requestClaims (over = {}) {
  const now = Math.floor(Date.now() / 1000)
  return {
    iss: cfg.client_id,
    aud: cfg.issuer,
    client_id: cfg.client_id,
    response_type: 'code',
    redirect_uri: cfg.redirect_uri,
    scope: cfg.scope,
    state: randomUUID(),
    nonce: randomUUID(),
    code_challenge: sha256(randomUUID()),
    code_challenge_method: 'S256',
    jti: randomUUID(),
    iat: now,
    nbf: now,
    exp: now + 300,
    ...over
  }
}

const PROBES = {
  // A correct hand-crafted proof is accepted: the refusals below fail for
  // the one thing each changes.
  async userinfo_ok () {
    await primeNonce()
    return answer(await userinfo({ dpopProof: await proof({ htm: 'GET', htu: as.userinfo_endpoint, token: tokens.access }) }))
  },
  // RFC 9449 §7.1: a DPoP-bound token sent as a bearer token.
  async userinfo_bearer () {
    return answer(await userinfo({ scheme: 'Bearer' }))
  },
  // §4.3 checks 8 and 9: a proof for another URL, another method.
  async userinfo_other_url () {
    await primeNonce()
    return answer(await userinfo({ dpopProof: await proof({ htm: 'GET', htu: as.token_endpoint, token: tokens.access }) }))
  },
  async userinfo_other_method () {
    await primeNonce()
    return answer(await userinfo({ dpopProof: await proof({ htm: 'POST', htu: as.userinfo_endpoint, token: tokens.access }) }))
  },
  // §11.1: the same proof twice; the first is accepted, the second not.
  async userinfo_replayed_jti () {
    await primeNonce()
    const p = await proof({ htm: 'GET', htu: as.userinfo_endpoint, token: tokens.access })
    const first = await answer(await userinfo({ dpopProof: p }))
    const second = await answer(await userinfo({ dpopProof: p }))
    return { ...second, first_status: first.status }
  },
  // §4.3 check 11: iat an hour ago.
  async userinfo_stale_iat () {
    await primeNonce()
    return answer(await userinfo({ dpopProof: await proof({ htm: 'GET', htu: as.userinfo_endpoint, token: tokens.access, over: { iat: Math.floor(Date.now() / 1000) - 3600 } }) }))
  },
  // §8, §9: no nonce, and one the server never gave (or no longer takes).
  async userinfo_no_nonce () {
    return answer(await userinfo({ dpopProof: await proof({ htm: 'GET', htu: as.userinfo_endpoint, token: tokens.access, over: { nonce: undefined } }) }))
  },
  async userinfo_old_nonce () {
    return answer(await userinfo({ dpopProof: await proof({ htm: 'GET', htu: as.userinfo_endpoint, token: tokens.access, over: { nonce: b64u(Buffer.from('an old nonce, long expired')) } }) }))
  },
  async token_no_nonce () {
    return answer(await form(as.token_endpoint, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh,
      client_id: cfg.client_id,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: await clientAssertion()
    }, { dpop: await proof({ htm: 'POST', htu: as.token_endpoint, over: { nonce: undefined } }) }))
  },
  // §7.1: ath of another token.
  async userinfo_wrong_ath () {
    await primeNonce()
    return answer(await userinfo({ dpopProof: await proof({ htm: 'GET', htu: as.userinfo_endpoint, token: 'another-access-token' }) }))
  },
  // §5, §7: a refresh token bound to the flow's key, with another key's proof.
  async refresh_other_key () {
    await primeNonce()
    const other = await client.randomDPoPKeyPair('ES256')
    return answer(await form(as.token_endpoint, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh,
      client_id: cfg.client_id,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: await clientAssertion()
    }, { dpop: await proof({ htm: 'POST', htu: as.token_endpoint, keys: other }) }))
  },
  // RFC 9101 §6.1, §10.2: alg=none, and a signed one past its exp.
  async par_unsigned_request_object () {
    const claims = await requestClaims()
    const none = b64u(JSON.stringify({ alg: 'none', typ: 'oauth-authz-req+jwt' })) + '.' + b64u(JSON.stringify(claims)) + '.'
    return answer(await pushWith(none))
  },
  async par_expired_request_object () {
    const now = Math.floor(Date.now() / 1000)
    const claims = await requestClaims({ iat: now - 900, nbf: now - 900, exp: now - 600 })
    const jwt = await new jose.SignJWT(claims)
      .setProtectedHeader({ alg: cfg.client_key.alg, kid: cfg.client_key.kid, typ: 'oauth-authz-req+jwt' })
      .sign(clientKey)
    return answer(await pushWith(jwt))
  },
  // A correct hand-crafted request object is accepted.
  async par_signed_request_object () {
    const jwt = await new jose.SignJWT(await requestClaims())
      .setProtectedHeader({ alg: cfg.client_key.alg, kid: cfg.client_key.kid, typ: 'oauth-authz-req+jwt' })
      .sign(clientKey)
    return answer(await pushWith(jwt))
  },
  // FAPI 2.0 §5.3.2.2: only pushed requests at the authorization endpoint.
  async authorize_without_par () {
    const c = await requestClaims()
    const q = new URLSearchParams()
    for (const k of ['client_id', 'response_type', 'redirect_uri', 'scope', 'state', 'nonce', 'code_challenge', 'code_challenge_method']) q.set(k, c[k])
    return answer(await fetch(as.authorization_endpoint + '?' + q, { redirect: 'manual' }))
  },
  // FAPI 2.0 §5.3.2.1: private_key_jwt only, so a client secret is refused.
  async par_client_secret () {
    const c = await requestClaims()
    return answer(await form(as.pushed_authorization_request_endpoint, {
      client_id: cfg.client_id,
      client_secret: 'a-secret-the-bank-never-had',
      response_type: 'code',
      redirect_uri: c.redirect_uri,
      scope: c.scope,
      code_challenge: c.code_challenge,
      code_challenge_method: 'S256'
    }))
  },
  async token_client_secret_basic () {
    return answer(await form(as.token_endpoint, { grant_type: 'refresh_token', refresh_token: tokens.refresh ?? 'none' },
      { authorization: 'Basic ' + Buffer.from(`${encodeURIComponent(cfg.client_id)}:secret`).toString('base64') }))
  }
}

// The run, once everything above is defined.
if (cfg.flow !== false) {
  try {
    await flow()
  } catch (err) {
    result.error = describe(err)
  }
}
if (cfg.probes?.length) {
  result.probes = {}
  for (const name of cfg.probes) {
    try {
      result.probes[name] = await PROBES[name]()
    } catch (err) {
      result.probes[name] = { thrown: describe(err) }
    }
  }
}
out(result)
process.exit(0)
