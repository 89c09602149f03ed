-- The population registry as the gateway sees it, and the document
-- registries (driving licences, vehicle registrations, health and social
-- insurance). No biometric data here: portraits and fingerprints live in
-- biometric_records, which only the biometrics package reads.
CREATE TABLE population (
	personal_id       text PRIMARY KEY CHECK (personal_id ~ '^[0-9]{12}$'),
	old_id            text NOT NULL DEFAULT '',
	full_name         text NOT NULL CHECK (full_name <> ''),
	birth_date        date NOT NULL,
	gender            text NOT NULL CHECK (gender IN ('male', 'female')),
	nationality       text NOT NULL CHECK (nationality ~ '^[A-Z]{2}$'),
	street            text NOT NULL DEFAULT '',
	ward              text NOT NULL DEFAULT '',
	district          text NOT NULL DEFAULT '',
	province          text NOT NULL DEFAULT '',
	country           text NOT NULL DEFAULT '',
	phone             text NOT NULL DEFAULT '',
	email             text NOT NULL DEFAULT '',
	passport_no       text NOT NULL DEFAULT '',
	-- Parent or guardian under whose account a child under 14 or a ward is
	-- registered. Deferred so a batch may list a child before its parent.
	guardian_id       text REFERENCES population (personal_id) DEFERRABLE INITIALLY DEFERRED,
	guardian_relation text NOT NULL DEFAULT '' CHECK (guardian_relation IN ('', 'child', 'ward')),
	issue_date        date,
	updated_at        timestamptz NOT NULL DEFAULT now(),
	CHECK (guardian_id IS NULL OR guardian_id <> personal_id)
);
CREATE INDEX population_guardian_idx ON population (guardian_id) WHERE guardian_id IS NOT NULL;
CREATE INDEX population_province_idx ON population (province);

CREATE TABLE documents (
	kind       text NOT NULL CHECK (kind IN ('driving_licence', 'vehicle_registration', 'health_insurance', 'social_insurance')),
	number     text NOT NULL CHECK (number <> ''),
	holder_id  text NOT NULL REFERENCES population (personal_id) DEFERRABLE INITIALLY DEFERRED,
	issued_on  date,
	expires_on date,
	issuer     text NOT NULL DEFAULT '',
	fields     jsonb NOT NULL DEFAULT '{}',
	status     text NOT NULL DEFAULT 'valid' CHECK (status IN ('valid', 'expired', 'retired', 'suspended')),
	updated_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (kind, number)
);
CREATE INDEX documents_holder_idx ON documents (holder_id, kind);
