-- The citizen's app device (accounts.AppDevice): one EC P-256 public key
-- per account and one account per key (the decree: "one phone holds one
-- account"), named by its RFC 7638 thumbprint. Sign-in challenges and app
-- sessions are kept only as SHA-256 hashes and go with their device when it
-- is unbound or replaced. Wrong app passcodes are throttled per device and
-- per address (accounts.ScopeAppDevice, ScopeAppAddress).
CREATE TABLE app_devices (
	id              text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_-]{43}$'),
	account_id      uuid NOT NULL UNIQUE REFERENCES accounts (id) ON DELETE CASCADE,
	public_jwk      jsonb NOT NULL,
	name            text NOT NULL DEFAULT '' CHECK (length(name) <= 100),
	model           text NOT NULL DEFAULT '' CHECK (length(model) <= 100),
	bound_at        timestamptz NOT NULL,
	last_sign_in_at timestamptz
);

CREATE TABLE app_challenges (
	hash       bytea PRIMARY KEY CHECK (length(hash) = 32),
	device_id  text NOT NULL REFERENCES app_devices (id) ON DELETE CASCADE,
	created_at timestamptz NOT NULL,
	expires_at timestamptz NOT NULL,
	used_at    timestamptz
);
CREATE INDEX app_challenges_device_idx ON app_challenges (device_id);
CREATE INDEX app_challenges_expires_idx ON app_challenges (expires_at);

CREATE TABLE app_sessions (
	hash       bytea PRIMARY KEY CHECK (length(hash) = 32),
	account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	device_id  text NOT NULL REFERENCES app_devices (id) ON DELETE CASCADE,
	created_at timestamptz NOT NULL,
	expires_at timestamptz NOT NULL
);
CREATE INDEX app_sessions_device_idx ON app_sessions (device_id);
CREATE INDEX app_sessions_account_idx ON app_sessions (account_id);

ALTER TABLE signin_throttles DROP CONSTRAINT signin_throttles_scope_check;
ALTER TABLE signin_throttles ADD CONSTRAINT signin_throttles_scope_check
	CHECK (scope IN ('account', 'second_factor', 'ip', 'sms', 'sms_ip',
		'account_ip', 'device', 'account_total', 'global', 'wait', 'answers',
		'app_device', 'app_ip'));
