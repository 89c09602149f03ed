-- Revoked JWT access tokens that have no row (client credentials of a
-- client with access_token_format jwt, RFC 9068), by jti: the gateway's
-- introspection and userinfo refuse them. Kept until the token would have
-- expired anyway; resource servers validating locally never see this list.
CREATE TABLE oidc_revoked_jtis (
	jti        text PRIMARY KEY,
	expires_at timestamptz NOT NULL
);
CREATE INDEX oidc_revoked_jtis_expires_idx ON oidc_revoked_jtis (expires_at);
