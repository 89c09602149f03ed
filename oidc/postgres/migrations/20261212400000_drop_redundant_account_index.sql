-- oidc_requests_account_idx (account_id) is a prefix of
-- oidc_requests_account_client_idx (account_id, client_id), with the same
-- predicate: every query it served (an account's token holders, revoking an
-- account's tokens) reads the composite index as well, and each token row a
-- citizen's sign-in writes paid for one index insert more (issue 15).
DROP INDEX IF EXISTS oidc_requests_account_idx;
