-- Staff members, their police units and their sign-in throttles (package
-- staff, issue 10). A member's password is an argon2id PHC string; the TOTP
-- secret is sealed with AES-256-GCM under a server key (the member id as
-- additional data). Members and units are never deleted: a disabled member
-- stays, so the audit trail's member ids keep their names.
CREATE TABLE staff_units (
	code   text PRIMARY KEY CHECK (code ~ '^[0-9]{1,3}(\.[0-9]{1,6}){0,2}$'),
	name   text NOT NULL CHECK (name <> '' AND length(name) <= 200),
	level  text NOT NULL CHECK (level IN ('province', 'district', 'commune')),
	-- The parent is the code without its last dotted part.
	parent text REFERENCES staff_units (code),
	CHECK ((parent IS NULL) = (position('.' in code) = 0)),
	CHECK (level = (ARRAY['province', 'district', 'commune'])[array_length(string_to_array(code, '.'), 1)])
);

CREATE TABLE staff_members (
	id             uuid PRIMARY KEY,
	username       text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9._-]{2,63}$'),
	name           text NOT NULL CHECK (name <> '' AND length(name) <= 200),
	unit_code      text NOT NULL REFERENCES staff_units (code),
	roles          text[] NOT NULL CHECK (cardinality(roles) > 0 AND roles <@ ARRAY['officer', 'supervisor', 'operator']),
	disabled       boolean NOT NULL DEFAULT false,
	bootstrap      boolean NOT NULL DEFAULT false,
	-- Set when someone else chose the password (creation, reset): the
	-- member must choose their own before anything else.
	must_change_password boolean NOT NULL DEFAULT false,
	-- Console sign-ins from before this time have ended (credentials reset,
	-- password changed).
	sessions_valid_from timestamptz,
	password_hash  text NOT NULL,
	totp_secret    bytea NOT NULL,
	totp_last_step bigint NOT NULL DEFAULT 0,
	created_at     timestamptz NOT NULL,
	created_by     text NOT NULL,
	updated_at     timestamptz NOT NULL
);
-- At most one bootstrap operator, ever.
CREATE UNIQUE INDEX staff_members_bootstrap_idx ON staff_members (bootstrap) WHERE bootstrap;

CREATE TABLE staff_throttles (
	key          text PRIMARY KEY,
	failures     integer NOT NULL DEFAULT 0,
	window_start timestamptz,
	locked_until timestamptz,
	strikes      integer NOT NULL DEFAULT 0,
	updated_at   timestamptz NOT NULL DEFAULT now()
);

REVOKE DELETE, TRUNCATE ON staff_units, staff_members FROM dinhdanh_app;
