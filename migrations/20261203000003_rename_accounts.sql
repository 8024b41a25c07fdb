-- One noun per feature (#15): "users" are the application's end users seen in traces
-- (`traces.user_id`, the Users page), "sessions" are trace sessions. The people who sign in to
-- Loupe are accounts, and their cookies are sign-in sessions. Foreign keys follow a renamed
-- table by themselves; the indexes and constraints are renamed so error messages and plans
-- speak the same language.
ALTER TABLE users RENAME TO accounts;
ALTER INDEX users_pkey RENAME TO accounts_pkey;
ALTER INDEX users_email_key RENAME TO accounts_email_key;
ALTER TABLE accounts RENAME CONSTRAINT users_email_check TO accounts_email_check;
ALTER TABLE user_sessions RENAME TO sign_in_sessions;
ALTER INDEX user_sessions_pkey RENAME TO sign_in_sessions_pkey;
ALTER INDEX user_sessions_user_idx RENAME TO sign_in_sessions_account_idx;
ALTER INDEX user_sessions_expiry_idx RENAME TO sign_in_sessions_expiry_idx;
