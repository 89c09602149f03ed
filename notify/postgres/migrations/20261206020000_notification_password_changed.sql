-- A change of password by its holder is told to the citizen like a
-- recovery (notify.PasswordChanged).
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
	CHECK (kind IN ('registration_result', 'activation_result', 'recovery', 'password_changed',
		'device_changed', 'locked', 'unlocked', 'service_connected', 'enrolment_result'));
