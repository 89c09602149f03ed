-- Browser sign-ins of an account that started before this moment have
-- ended: a lock sets it (Decree 59 art. 19: a lock ends every session at
-- once), so an unlock does not bring an old session back.
ALTER TABLE accounts ADD COLUMN sign_ins_ended_at timestamptz;
