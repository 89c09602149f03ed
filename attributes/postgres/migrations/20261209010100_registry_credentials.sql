-- One push credential per document registry (issue 14): the keyed hash of
-- its bearer secret, never the secret. Creating a new one replaces the old.
CREATE TABLE registry_credentials (
	kind       text PRIMARY KEY CHECK (kind IN ('driving_licence', 'vehicle_registration', 'health_insurance', 'social_insurance')),
	token_hash bytea NOT NULL UNIQUE,
	created_at timestamptz NOT NULL,
	created_by text NOT NULL
);
