-- Self-registration on the web and activation (MISSION "Level 1",
-- "Activation").

-- Set at activation: the 6-digit passcode for in-app features (argon2id PHC
-- string, '' when none) and two security questions with argon2id hashes of
-- their normalised answers: [{"q": question id, "h": PHC string}, ...].
ALTER TABLE accounts
	ADD COLUMN passcode_hash    text NOT NULL DEFAULT '',
	ADD COLUMN security_answers jsonb NOT NULL DEFAULT '[]'
		CHECK (jsonb_typeof(security_answers) = 'array');

-- Self-registrations in progress: the identity was checked against the
-- population registry and a code went to the phone. Only the code's
-- HMAC-SHA-256 is kept. The account is created once the phone is confirmed
-- and a password chosen; rows are purged a day after they start.
CREATE TABLE registrations (
	id           uuid PRIMARY KEY,
	personal_id  text NOT NULL CHECK (personal_id ~ '^[0-9]{12}$'),
	phone        text NOT NULL CHECK (phone ~ '^\+[1-9][0-9]{7,14}$'),
	code_hash    bytea NOT NULL,
	created_at   timestamptz NOT NULL,
	expires_at   timestamptz NOT NULL,
	attempts     integer NOT NULL DEFAULT 0,
	burnt        boolean NOT NULL DEFAULT false,
	confirmed_at timestamptz,
	completed_at timestamptz
);
CREATE INDEX registrations_created_idx ON registrations (created_at);

-- SMS codes sent per client address (registration and activation send codes
-- before anyone has signed in).
ALTER TABLE signin_throttles DROP CONSTRAINT signin_throttles_scope_check;
ALTER TABLE signin_throttles ADD CONSTRAINT signin_throttles_scope_check
	CHECK (scope IN ('account', 'second_factor', 'ip', 'sms', 'sms_ip'));
