-- Organisations operators follow (package orgs, issue 17): a ministry, a
-- bank or a provincial department whose staff should hold level 2 accounts.
-- Staff lists uploaded for them are never stored: only the audit trail
-- records that a list was checked, by whom, and the three groups' counts.
CREATE TABLE organisations (
	code       text PRIMARY KEY CHECK (code ~ '^([0-9]{7}|[0-9]{10}(-[0-9]{3})?)$'),
	name       text NOT NULL CHECK (name <> '' AND length(name) <= 200),
	created_by text NOT NULL CHECK (created_by <> ''),
	created_at timestamptz NOT NULL
);

REVOKE DELETE, TRUNCATE ON organisations FROM dinhdanh_app;
