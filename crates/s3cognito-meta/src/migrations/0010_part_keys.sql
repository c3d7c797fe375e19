-- A part's blob is encrypted at rest like an object's: its data key, sealed, is kept with the part until
-- the upload completes and the object's row takes it over. NULL for parts written in plaintext before.
ALTER TABLE upload_parts ADD COLUMN blob_key TEXT;
