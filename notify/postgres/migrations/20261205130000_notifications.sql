-- The notification outbox (package notify): messages to citizens by SMS or
-- e-mail, written first and delivered by a worker that retries. One-time
-- codes never come here (they go straight to the SMS gateway); the kinds
-- are the allow-list of notify.Kinds.
CREATE TABLE notifications (
	id              uuid PRIMARY KEY,
	account_id      uuid,
	channel         text NOT NULL CHECK (channel IN ('sms', 'email')),
	address         text NOT NULL CHECK (address <> '' AND length(address) <= 320),
	kind            text NOT NULL CHECK (kind IN ('registration_result', 'activation_result', 'recovery',
		'device_changed', 'locked', 'unlocked', 'service_connected', 'enrolment_result')),
	lang            text NOT NULL CHECK (lang IN ('vi', 'en')),
	params          jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(params) = 'object'),
	state           text NOT NULL CHECK (state IN ('pending', 'sent', 'failed')),
	attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	next_attempt_at timestamptz NOT NULL,
	last_error      text NOT NULL DEFAULT '',
	created_at      timestamptz NOT NULL,
	sent_at         timestamptz,
	failed_at       timestamptz,
	CHECK ((state = 'sent') = (sent_at IS NOT NULL)),
	CHECK ((state = 'failed') = (failed_at IS NOT NULL))
);
-- What the worker claims: pending rows by due time.
CREATE INDEX notifications_due_idx ON notifications (next_attempt_at) WHERE state = 'pending';
CREATE INDEX notifications_account_idx ON notifications (account_id, created_at DESC) WHERE account_id IS NOT NULL;
