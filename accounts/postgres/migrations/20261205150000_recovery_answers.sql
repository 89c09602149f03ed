-- Recovery and the holder's own unlock: wrong security answers and
-- passcodes are throttled under their own scope (accounts.ScopeAnswers).
-- Security answers were already stored as argon2id hashes (never in clear);
-- those hashed in the older, diacritics-dropping form carry no "v" key and
-- are rehashed in the new form (accounts.NormalizeAnswer) at their first
-- correct use, so no row needs re-entry.
ALTER TABLE signin_throttles DROP CONSTRAINT signin_throttles_scope_check;
ALTER TABLE signin_throttles ADD CONSTRAINT signin_throttles_scope_check
	CHECK (scope IN ('account', 'second_factor', 'ip', 'sms', 'sms_ip',
		'account_ip', 'device', 'account_total', 'global', 'wait', 'answers'));
