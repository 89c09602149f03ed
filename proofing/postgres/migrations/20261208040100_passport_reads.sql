-- A chip read is of an ID card or of a foreigner's passport. A passport's
-- portrait (DG2's face image, which its SOD signs) is kept with the read
-- only for the officer's visual comparison: it is cleared when an
-- enrolment uses the read.
ALTER TABLE chip_reads
	ADD COLUMN document        text NOT NULL DEFAULT 'id_card' CHECK (document IN ('id_card', 'passport')),
	ADD COLUMN portrait        bytea,
	ADD COLUMN portrait_format text NOT NULL DEFAULT '' CHECK (portrait_format IN ('', 'image/jpeg', 'image/jp2'));
