-- The key under which the vehicle reconciliation compares owners' names and
-- addresses with the population registry: reconcile.Fold in Go, which says
-- why (NFC; white space runs as one space, trimmed; ASCII and Vietnamese
-- letters lowercased by a fixed table, whatever the locale; the eth Ð/ð as
-- đ; the old-style tone of oa, oe, uy moved to the second vowel; diacritics
-- kept). A test keeps the two in agreement. Immutable, so that the
-- population registry can be looked up through an index on it.
CREATE FUNCTION reconcile_fold(s text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
SELECT replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(translate(lower(btrim(regexp_replace(normalize(s, NFC), '[ \t\n\v\f\r\u00a0]+', ' ', 'g')) COLLATE "C"),
		'ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬĐÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴÐð',
		'àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđđ'), 'òa', 'oà'), 'óa', 'oá'), 'ỏa', 'oả'), 'õa', 'oã'), 'ọa', 'oạ'), 'òe', 'oè'), 'óe', 'oé'), 'ỏe', 'oẻ'), 'õe', 'oẽ'), 'ọe', 'oẹ'), 'ùy', 'uỳ'), 'úy', 'uý'), 'ủy', 'uỷ'), 'ũy', 'uỹ'), 'ụy', 'uỵ')
$$;

DROP INDEX population_name_birth_idx;
CREATE INDEX population_name_birth_idx ON population (reconcile_fold(full_name), birth_date);
