-- Sealed heads (issue 9): every committed batch also inserts, in its own
-- transaction, the new chain head (sequence number, hash) signed with the
-- audit key. The newest seal is the head; there is no unsealed tail. Seals
-- are insert-only: the application role may INSERT and SELECT them and
-- nothing else, and triggers refuse UPDATE, DELETE and TRUNCATE for every
-- role. prev_seq is unique, so two writers cannot both extend one head (the
-- second fails and chains again), and the chain cannot fork.
--
-- The old single-row audit_head, which the application role could UPDATE,
-- is retired: nobody writes it any more, and nobody may.

CREATE TABLE audit_seals (
	seq       bigint      PRIMARY KEY,
	prev_seq  bigint      NOT NULL UNIQUE,
	hash      bytea       NOT NULL CHECK (length(hash) = 32),
	logged_at timestamptz NOT NULL,
	sealed_at timestamptz NOT NULL,
	key_id    text        NOT NULL,
	sig       bytea       NOT NULL,
	CHECK (seq > prev_seq),
	-- Only the head adopted below goes unsigned.
	CHECK (length(sig) = 64 OR (prev_seq = -1 AND length(sig) = 0))
);

CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_seals
	FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_append_only_row BEFORE UPDATE OR DELETE ON audit_seals
	FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();

REVOKE ALL ON audit_seals FROM dinhdanh_app;
GRANT SELECT, INSERT ON audit_seals TO dinhdanh_app;

-- audit_lock_head gives writers that read the head back before they extend
-- it (the slow path, in-transaction records) the seal table in SHARE ROW
-- EXCLUSIVE mode until their transaction ends: other writers' seals wait,
-- so the head read is the head extended. LOCK in that mode needs UPDATE,
-- which the application role must not have, hence SECURITY DEFINER; it
-- locks and does nothing else.
CREATE FUNCTION audit_lock_head() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
	LOCK TABLE audit_seals IN SHARE ROW EXCLUSIVE MODE;
END
$$;
REVOKE ALL ON FUNCTION audit_lock_head() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_lock_head() TO dinhdanh_app;

-- Adopt the existing head, unsigned (SQL cannot sign): it seals only what
-- was written before seals existed, which the signed checkpoints cover.
INSERT INTO audit_seals (seq, prev_seq, hash, logged_at, sealed_at, key_id, sig)
SELECT seq, -1, hash, logged_at, now(), '', '\x' FROM audit_head WHERE seq > 0;

REVOKE ALL ON audit_head FROM dinhdanh_app;
GRANT SELECT ON audit_head TO dinhdanh_app;
CREATE TRIGGER audit_head_retired BEFORE UPDATE OR INSERT ON audit_head
	FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

-- Check what was just granted: fail the migration rather than leave the
-- application role able to move or erase the head.
DO $$
BEGIN
	IF has_table_privilege('dinhdanh_app', 'audit_seals', 'UPDATE')
		OR has_table_privilege('dinhdanh_app', 'audit_seals', 'DELETE')
		OR has_table_privilege('dinhdanh_app', 'audit_seals', 'TRUNCATE')
		OR has_table_privilege('dinhdanh_app', 'audit_head', 'UPDATE')
		OR has_table_privilege('dinhdanh_app', 'audit_head', 'DELETE')
		OR has_table_privilege('dinhdanh_app', 'audit_head', 'INSERT')
		OR has_table_privilege('dinhdanh_app', 'audit_head', 'TRUNCATE')
		OR NOT has_table_privilege('dinhdanh_app', 'audit_seals', 'INSERT') THEN
		RAISE EXCEPTION 'audit seals: dinhdanh_app must be able to INSERT seals and to change no seal or head';
	END IF;
END
$$;
