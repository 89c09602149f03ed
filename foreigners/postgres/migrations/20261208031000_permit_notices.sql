-- What the permit-expiry sweep did for each permit (a resident's permit is
-- known by its expiry date): the notices 30 and 7 days before, the lock
-- when it expired, and the lock's lifting after a renewed permit was
-- imported. One row per step, so each happens once, whichever replica runs
-- the sweep.
CREATE TABLE foreign_permit_steps (
	resident_id   text NOT NULL REFERENCES foreign_residents (id) ON DELETE CASCADE,
	permit_expiry date NOT NULL,
	step          text NOT NULL CHECK (step IN ('notice_30d', 'notice_7d', 'locked', 'lifted')),
	at            timestamptz NOT NULL,
	PRIMARY KEY (resident_id, permit_expiry, step)
);
