-- The language of the citizen's notifications (package notify renders in
-- it): Vietnamese unless they chose English, at registration, activation
-- (the page's language) or on the account page.
ALTER TABLE accounts ADD COLUMN lang text NOT NULL DEFAULT 'vi' CHECK (lang IN ('vi', 'en'));

-- A self-registration may confirm an e-mail address instead of a phone
-- (a citizen with no phone): exactly one of the two is the contact the code
-- went to. lang is the registration page's language, given to the account.
ALTER TABLE registrations ALTER COLUMN phone DROP NOT NULL;
ALTER TABLE registrations
	ADD COLUMN email text NOT NULL DEFAULT '' CHECK (length(email) <= 254),
	ADD COLUMN lang text NOT NULL DEFAULT 'vi' CHECK (lang IN ('vi', 'en')),
	ADD CONSTRAINT registrations_one_contact CHECK ((phone IS NULL) <> (email = ''));

-- Codes sent per e-mail address share the 'sms' scope of code destinations
-- (keys "email:<address>" beside "phone:<number>"), so no new scope.
