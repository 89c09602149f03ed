-- Browser sessions of citizens: one row per complete sign-in in a browser,
-- so that the account page lists where the account is signed in and the
-- citizen can end one session or all of them. sid is the session id of the
-- sign-in (the sid of ID tokens), never the scs session token. address is
-- approximate (an IPv4 /24 or an IPv6 /48). The per-request check reads one
-- row by its primary key; last_seen_at is written at most once a minute.
CREATE TABLE account_browser_sessions (
	sid          text PRIMARY KEY CHECK (sid <> '' AND length(sid) <= 64),
	account_id   uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	started_at   timestamptz NOT NULL,
	last_seen_at timestamptz NOT NULL,
	user_agent   text NOT NULL DEFAULT '' CHECK (length(user_agent) <= 512),
	address      text NOT NULL DEFAULT '' CHECK (length(address) <= 64),
	ended_at     timestamptz
);
CREATE INDEX account_browser_sessions_account_idx ON account_browser_sessions (account_id) WHERE ended_at IS NULL;
CREATE INDEX account_browser_sessions_seen_idx ON account_browser_sessions (last_seen_at);
