-- The document wallet borrows the sign-in throttles (issue 14): numbers a
-- signed-in citizen tried that matched none of their documents, per account.
ALTER TABLE signin_throttles DROP CONSTRAINT signin_throttles_scope_check;
ALTER TABLE signin_throttles ADD CONSTRAINT signin_throttles_scope_check
	CHECK (scope IN ('account', 'second_factor', 'ip', 'sms', 'sms_ip',
		'account_ip', 'device', 'account_total', 'global', 'wait', 'answers',
		'app_device', 'app_ip', 'registry_ip', 'registry_credential', 'wallet'));
