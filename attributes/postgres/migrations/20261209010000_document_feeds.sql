-- Registry update feeds (issue 14): each document registry pushes numbered
-- batches. document_feeds holds the last applied sequence number per kind;
-- document_feed_batches one row per applied batch, with a digest of its
-- content so that a replay can be told from a different batch reusing a
-- number. A withdrawn document (revoked by its registry) gets its own status.
ALTER TABLE documents DROP CONSTRAINT documents_status_check;
ALTER TABLE documents ADD CONSTRAINT documents_status_check
	CHECK (status IN ('valid', 'expired', 'retired', 'suspended', 'withdrawn'));

CREATE TABLE document_feeds (
	kind     text PRIMARY KEY CHECK (kind IN ('driving_licence', 'vehicle_registration', 'health_insurance', 'social_insurance')),
	last_seq bigint NOT NULL CHECK (last_seq >= 0)
);

CREATE TABLE document_feed_batches (
	kind       text NOT NULL REFERENCES document_feeds (kind),
	seq        bigint NOT NULL CHECK (seq > 0),
	digest     bytea NOT NULL,
	entries    integer NOT NULL,
	actor      text NOT NULL,
	applied_at timestamptz NOT NULL,
	PRIMARY KEY (kind, seq)
);
