-- Which relying-party kinds may have which document scopes (issue 14): the
-- operators' settings. A kind and scope with no row follow the default
-- policy in the code (oidc.DefaultKindPolicy).
CREATE TABLE oidc_kind_policy (
	kind       text NOT NULL,
	scope      text NOT NULL,
	allowed    boolean NOT NULL,
	updated_at timestamptz NOT NULL,
	PRIMARY KEY (kind, scope)
);
