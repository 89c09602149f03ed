-- Back-channel logout notifications (consent/backchannel): one row per
-- relying party to notify, with the record of its attempts. The logout token
-- itself is not stored; it is signed afresh for each attempt.
CREATE TABLE backchannel_deliveries (
	id              text PRIMARY KEY,
	client_id       text NOT NULL,
	account_id      text NOT NULL,
	sid             text NOT NULL DEFAULT '',
	reason          text NOT NULL,
	uri             text NOT NULL,
	created_at      timestamptz NOT NULL,
	attempts        integer NOT NULL DEFAULT 0,
	next_attempt_at timestamptz NOT NULL,
	last_attempt_at timestamptz,
	last_status     integer NOT NULL DEFAULT 0,
	last_error      text NOT NULL DEFAULT '',
	delivered_at    timestamptz,
	gave_up_at      timestamptz
);
CREATE INDEX backchannel_deliveries_due_idx ON backchannel_deliveries (next_attempt_at)
	WHERE delivered_at IS NULL AND gave_up_at IS NULL;
CREATE INDEX backchannel_deliveries_account_idx ON backchannel_deliveries (account_id, created_at);
