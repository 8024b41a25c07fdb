-- The language a person reads the UI in (issue #17), chosen in the account menu and kept with the
-- account so it follows them to another browser. NULL: follow the browser (Accept-Language).
ALTER TABLE accounts ADD COLUMN language TEXT CHECK (language IN ('en', 'zh'));
