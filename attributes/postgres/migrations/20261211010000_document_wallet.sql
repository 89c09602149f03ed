-- The citizen's document wallet (issue 14): whether each document is in its
-- holder's account. Only integrated documents are released. Documents
-- already here came from the population import and stay integrated; a
-- document a registry feed creates from now on starts as 'none' (the
-- column's default) until its holder integrates it; 'removed' is one its
-- holder took out of what is shared. A registry's update never changes it.
ALTER TABLE documents ADD COLUMN wallet text NOT NULL DEFAULT 'integrated'
	CHECK (wallet IN ('none', 'integrated', 'removed'));
ALTER TABLE documents ALTER COLUMN wallet SET DEFAULT 'none';
