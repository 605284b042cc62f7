-- The inbox search folds accents ("zoe" finds "Zoë"): unaccent() from contrib, a trusted
-- extension the database owner may create.
CREATE EXTENSION IF NOT EXISTS unaccent;
