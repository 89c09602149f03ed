-- The foreigners' registry as the gateway sees it: foreigners entering and
-- residing in Vietnam, with the identification number assigned to each
-- (12 digits, the shape of a personal identification number; it is their
-- account's personal_id), their passport as the MRZ prints it (ICAO 9303
-- three-letter country codes, names in upper case A-Z) and the visa or
-- residence card that lets them stay.
CREATE TABLE foreign_residents (
	id              text PRIMARY KEY CHECK (id ~ '^[0-9]{12}$'),
	passport_no     text NOT NULL CHECK (passport_no ~ '^[A-Z0-9]{3,20}$'),
	issuing_country text NOT NULL CHECK (issuing_country ~ '^[A-Z]{3}$'),
	nationality     text NOT NULL CHECK (nationality ~ '^[A-Z]{3}$'),
	primary_name    text NOT NULL CHECK (primary_name <> ''),
	secondary_name  text NOT NULL DEFAULT '',
	birth_date      date NOT NULL,
	sex             text NOT NULL CHECK (sex IN ('M', 'F', 'X')),
	passport_expiry date NOT NULL,
	permit_kind     text NOT NULL CHECK (permit_kind IN ('visa', 'temporary_residence_card', 'permanent_residence_card')),
	permit_number   text NOT NULL CHECK (permit_number <> ''),
	permit_expiry   date NOT NULL,
	street          text NOT NULL DEFAULT '',
	ward            text NOT NULL DEFAULT '',
	district        text NOT NULL DEFAULT '',
	province        text NOT NULL DEFAULT '',
	country         text NOT NULL DEFAULT '',
	phone           text NOT NULL DEFAULT '',
	email           text NOT NULL DEFAULT '',
	updated_at      timestamptz NOT NULL DEFAULT now(),
	UNIQUE (issuing_country, passport_no)
);
-- The permit-expiry sweep reads residents by the end of their stay.
CREATE INDEX foreign_residents_permit_expiry_idx ON foreign_residents (permit_expiry);
