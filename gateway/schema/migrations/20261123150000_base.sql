-- Privileges for the application role. Every table created by the owner role
-- from here on is readable and writable by dinhdanh_app unless a later
-- migration revokes it (the audit table does).
GRANT USAGE ON SCHEMA public TO dinhdanh_app;
GRANT SELECT ON schema_migrations TO dinhdanh_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO dinhdanh_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO dinhdanh_app;

-- Web sessions (scs pgxstore layout).
CREATE TABLE sessions (
	token  text PRIMARY KEY,
	data   bytea NOT NULL,
	expiry timestamptz NOT NULL
);
CREATE INDEX sessions_expiry_idx ON sessions (expiry);
