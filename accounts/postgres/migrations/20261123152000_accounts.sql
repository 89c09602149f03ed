-- Electronic identity accounts and their credentials.
CREATE TABLE accounts (
	id             uuid PRIMARY KEY,
	personal_id    text NOT NULL UNIQUE CHECK (personal_id ~ '^[0-9]{12}$'),
	level          smallint NOT NULL CHECK (level BETWEEN 0 AND 2),
	status         text NOT NULL CHECK (status IN ('pending', 'active', 'locked')),
	phone          text UNIQUE CHECK (phone ~ '^\+[1-9][0-9]{7,14}$'),
	email          text NOT NULL DEFAULT '',
	lock_reason    text NOT NULL DEFAULT '',
	-- argon2id PHC string; '' when no password is set yet.
	password_hash  text NOT NULL DEFAULT '',
	-- AES-256-GCM(nonce || ciphertext) of the base32 TOTP secret, the
	-- account id as additional data; NULL when not enrolled.
	totp_secret    bytea,
	totp_confirmed boolean NOT NULL DEFAULT false,
	-- Last accepted TOTP time step: codes of this step or earlier are
	-- refused (RFC 6238 §5.2).
	totp_last_step bigint NOT NULL DEFAULT 0,
	created_at     timestamptz NOT NULL,
	activated_at   timestamptz,
	updated_at     timestamptz NOT NULL
);
CREATE INDEX accounts_status_level_idx ON accounts (status, level);

-- SMS one-time codes: only HMAC-SHA-256(key, id ':' code) is kept.
CREATE TABLE sms_codes (
	id         uuid PRIMARY KEY,
	account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	code_hash  bytea NOT NULL,
	created_at timestamptz NOT NULL,
	expires_at timestamptz NOT NULL,
	attempts   integer NOT NULL DEFAULT 0,
	used_at    timestamptz,
	burnt      boolean NOT NULL DEFAULT false
);
CREATE INDEX sms_codes_live_idx ON sms_codes (account_id, created_at DESC) WHERE used_at IS NULL AND NOT burnt;
CREATE INDEX sms_codes_expires_idx ON sms_codes (expires_at);

-- Failed sign-in attempts and lockouts, per personal id number, second
-- factor, client address and SMS sending; shared by every replica.
CREATE TABLE signin_throttles (
	scope        text NOT NULL CHECK (scope IN ('account', 'second_factor', 'ip', 'sms')),
	key          text NOT NULL,
	failures     integer NOT NULL DEFAULT 0,
	window_start timestamptz,
	locked_until timestamptz,
	strikes      integer NOT NULL DEFAULT 0,
	updated_at   timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (scope, key)
);
CREATE INDEX signin_throttles_updated_idx ON signin_throttles (updated_at);

-- Development only: what the development SMS sender "sent", shown at
-- /dev/sms. Production never writes here.
CREATE TABLE dev_sms_inbox (
	id      bigserial PRIMARY KEY,
	phone   text NOT NULL,
	body    text NOT NULL,
	sent_at timestamptz NOT NULL
);
CREATE INDEX dev_sms_inbox_phone_idx ON dev_sms_inbox (phone, id DESC);
