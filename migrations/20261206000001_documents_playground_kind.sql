-- Saved playgrounds are shared documents too (#19): key = the saved playground's id.
ALTER TABLE documents DROP CONSTRAINT IF EXISTS documents_kind_check;
ALTER TABLE documents ADD CONSTRAINT documents_kind_check CHECK (kind IN ('prompt-draft', 'playground'));
