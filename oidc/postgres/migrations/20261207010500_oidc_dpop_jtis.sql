-- DPoP proof ids seen (RFC 9449 §11.1): a proof is accepted once, on any
-- replica. Keyed by the proof key's thumbprint and the jti, so one client's
-- ids cannot block another's; kept until the proof's iat window ends.
CREATE TABLE oidc_dpop_jtis (
	jkt        text NOT NULL,
	jti        text NOT NULL,
	expires_at timestamptz NOT NULL,
	PRIMARY KEY (jkt, jti)
);
CREATE INDEX oidc_dpop_jtis_expires_idx ON oidc_dpop_jtis (expires_at);
