-- The first completed sign-in of an account (web, after the second
-- factor, or the app), for the figures operators read: an account is
-- "issued" when it is activated and has signed in at least once (issue 17).
-- It is written once, while it is NULL, so a sign-in does not write to the
-- account's row every time. Nothing is backfilled: earlier sign-ins are in
-- the audit log only, which is never scanned for a report, so accounts that
-- signed in before this column existed count as issued from their next
-- sign-in on.
ALTER TABLE accounts ADD COLUMN first_sign_in_at timestamptz;
