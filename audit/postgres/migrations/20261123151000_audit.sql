-- Usage history (audit): one append-only, hash-chained table, partitioned by
-- month of logged_at. logged_at never decreases along the chain (the writer
-- makes it so), so each partition holds a contiguous range of sequence
-- numbers and retention drops a prefix of the chain.
--
-- The application role may only INSERT and SELECT the history; triggers
-- refuse UPDATE, DELETE and TRUNCATE for every role, the owner included. A
-- superuser can still disable them: the hash chain and the signed
-- checkpoints are what catch that.

CREATE TABLE audit_events (
	seq        bigint      NOT NULL,
	logged_at  timestamptz NOT NULL,
	at         timestamptz NOT NULL,
	type       text        NOT NULL,
	actor_kind text        NOT NULL,
	actor_id   text        NOT NULL,
	account_id text        NOT NULL,
	client_id  text        NOT NULL,
	scopes     text[]      NOT NULL,
	claims     text[]      NOT NULL,
	acr        text        NOT NULL,
	outcome    text        NOT NULL,
	reason     text        NOT NULL,
	ip         text        NOT NULL,
	user_agent text        NOT NULL,
	request_id text        NOT NULL,
	detail     jsonb       NOT NULL,
	hash       bytea       NOT NULL CHECK (length(hash) = 32),
	PRIMARY KEY (seq, logged_at)
) PARTITION BY RANGE (logged_at);

-- The citizen's history page: newest first, keyset on (logged_at, seq).
-- Ordered by the partition key, so the planner walks partitions newest first
-- and stops at the page size.
CREATE INDEX audit_events_account_idx ON audit_events (account_id, logged_at, seq);

-- Signed checkpoints and retention anchors: append-only too.
CREATE TABLE audit_checkpoints (
	seq       bigint      NOT NULL,
	kind      text        NOT NULL CHECK (kind IN ('periodic', 'retention')),
	hash      bytea       NOT NULL CHECK (length(hash) = 32),
	logged_at timestamptz NOT NULL,
	signed_at timestamptz NOT NULL,
	key_id    text        NOT NULL,
	jws       text        NOT NULL,
	PRIMARY KEY (seq, kind)
);
CREATE INDEX audit_checkpoints_kind_idx ON audit_checkpoints (kind, seq);

-- The chain head: a single row every append moves with a compare-and-set, so
-- that several writers (replicas, in-transaction records, retention) chain in
-- one order. It is a lock token, not evidence: verification never trusts it.
CREATE TABLE audit_head (
	id        boolean     PRIMARY KEY DEFAULT true CHECK (id),
	seq       bigint      NOT NULL,
	hash      bytea       NOT NULL CHECK (length(hash) = 32),
	logged_at timestamptz NOT NULL
);
INSERT INTO audit_head (seq, hash, logged_at) VALUES (0, decode(repeat('00', 32), 'hex'), 'epoch');

CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'audit: % on % refused: the usage history is append-only', TG_OP, TG_TABLE_NAME
		USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_events
	FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
-- Row triggers on a partitioned table are cloned onto every partition.
CREATE TRIGGER audit_append_only_row BEFORE UPDATE OR DELETE ON audit_events
	FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_checkpoints
	FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_append_only_row BEFORE UPDATE OR DELETE ON audit_checkpoints
	FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_head_no_delete BEFORE DELETE OR TRUNCATE ON audit_head
	FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

-- The base migration's default privileges gave dinhdanh_app UPDATE and
-- DELETE on these tables; take back everything but INSERT and SELECT (and,
-- for the head, SELECT and UPDATE).
REVOKE UPDATE, DELETE, TRUNCATE ON audit_events, audit_checkpoints FROM dinhdanh_app;
REVOKE INSERT, DELETE, TRUNCATE ON audit_head FROM dinhdanh_app;

-- Text arrays arrive as JSON text in the batch insert (unnest cannot take
-- ragged two-dimensional arrays).
CREATE FUNCTION audit_text_array(j text) RETURNS text[] LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
	SELECT coalesce(array_agg(e), '{}') FROM jsonb_array_elements_text(j::jsonb) AS e
$$;

-- audit_ensure_partition creates the monthly partition holding month (UTC)
-- unless it exists, with the app role's UPDATE/DELETE/TRUNCATE revoked (the
-- default privileges grant them to every new table) and the statement
-- trigger that refuses TRUNCATE on the partition itself (statement triggers
-- are not cloned). SECURITY DEFINER: it runs as the owner, so the writer can
-- create a missing current partition instead of failing every action when
-- the maintenance job has not run; it creates partitions and nothing else.
CREATE FUNCTION audit_ensure_partition(month timestamptz) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
	lo   timestamp := date_trunc('month', month AT TIME ZONE 'UTC');
	hi   timestamp := lo + interval '1 month';
	name text := 'audit_events_y' || to_char(lo, 'YYYY') || 'm' || to_char(lo, 'MM');
BEGIN
	IF to_regclass(name) IS NOT NULL THEN
		RETURN name;
	END IF;
	PERFORM pg_advisory_xact_lock(hashtext('audit_ensure_partition'));
	IF to_regclass(name) IS NOT NULL THEN
		RETURN name;
	END IF;
	EXECUTE format('CREATE TABLE %I PARTITION OF audit_events FOR VALUES FROM (%L) TO (%L)',
		name, to_char(lo, 'YYYY-MM-DD') || ' 00:00:00+00', to_char(hi, 'YYYY-MM-DD') || ' 00:00:00+00');
	EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON %I FROM dinhdanh_app', name);
	EXECUTE format('CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()', name);
	RETURN name;
END
$$;
REVOKE ALL ON FUNCTION audit_ensure_partition(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_ensure_partition(timestamptz) TO dinhdanh_app;

SELECT audit_ensure_partition(now() + make_interval(months => m)) FROM generate_series(0, 2) AS m;
