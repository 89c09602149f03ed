-- A change of e-mail address by its holder is told to the citizen
-- (notify.EmailChanged).
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
	CHECK (kind IN ('registration_result', 'activation_result', 'recovery', 'password_changed', 'email_changed',
		'device_changed', 'locked', 'unlocked', 'service_connected', 'enrolment_result'));
