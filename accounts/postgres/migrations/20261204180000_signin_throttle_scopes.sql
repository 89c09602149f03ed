-- Sign-in throttles per (account, address) and per known device, the
-- account-wide progressive delay, the hard-lock count, the global spraying
-- rate and the slower path's wait (accounts.LockoutPolicy).
ALTER TABLE signin_throttles DROP CONSTRAINT signin_throttles_scope_check;
ALTER TABLE signin_throttles ADD CONSTRAINT signin_throttles_scope_check
	CHECK (scope IN ('account', 'second_factor', 'ip', 'sms', 'sms_ip',
		'account_ip', 'device', 'account_total', 'global', 'wait'));
