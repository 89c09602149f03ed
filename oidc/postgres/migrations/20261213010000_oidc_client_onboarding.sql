-- Relying parties onboarded from the operators' console (issue 17): the
-- owner organisation's registration or tax code, apart from the JSON so
-- that an organisation's records (its staff list) find its relying parties
-- by an index. Name, legal basis and the approval live in data.
ALTER TABLE oidc_clients ADD COLUMN org_code text NOT NULL DEFAULT '';
CREATE INDEX oidc_clients_org_code_idx ON oidc_clients (org_code) WHERE org_code <> '';

-- Each relying party's use per day, rolled up from the audit log by
-- sequence number (oidc.Usage): the console reads these few rows, never
-- audit_events. metric is sign_ins, tokens or failures.
CREATE TABLE oidc_client_usage (
	client_id text   NOT NULL,
	day       date   NOT NULL,
	metric    text   NOT NULL,
	n         bigint NOT NULL,
	PRIMARY KEY (client_id, day, metric)
);
CREATE INDEX oidc_client_usage_day_idx ON oidc_client_usage (day);

-- The last audit sequence number rolled up; no row until the first run.
CREATE TABLE oidc_client_usage_cursor (
	id  boolean PRIMARY KEY DEFAULT true CHECK (id),
	seq bigint  NOT NULL
);
