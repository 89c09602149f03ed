-- Which document an enrolment read: the chip ID card or a foreigner's
-- passport, and the country signing CA its document signer chains to
-- (for a passport, the issuing state's). Evidence is written once, so
-- older rows keep '' (they read an ID card when they name a document).
ALTER TABLE enrolment_evidence
	ADD COLUMN document text NOT NULL DEFAULT '' CHECK (document IN ('', 'id_card', 'passport')),
	ADD COLUMN csca     text NOT NULL DEFAULT '';
