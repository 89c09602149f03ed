-- Tokens of a guardian acting for a dependent (issue 13): account_id stays
-- the guardian's (a lock of the guardian's account ends them), dependent_id
-- names the dependent, so that withdrawing the dependent's consent at a
-- client ends them too. '' when not acting.
ALTER TABLE oidc_requests ADD COLUMN dependent_id text NOT NULL DEFAULT '';
CREATE INDEX oidc_requests_dependent_client_idx ON oidc_requests (dependent_id, client_id) WHERE dependent_id <> '';
