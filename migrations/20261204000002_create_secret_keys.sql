-- The versions of the key that seals secrets at rest (core/src/secrets.rs), one per LOUPE_SECRET
-- Loupe has run with. `fingerprint` identifies a secret without revealing it (HKDF of the secret
-- with its own label, not the sealing key). A sealed value's `secret_version` names the key that
-- sealed it; starting with a new LOUPE_SECRET and the old one as LOUPE_PREVIOUS_SECRET reseals
-- the values of the old version under the new one (docs/OPERATIONS.md).
CREATE TABLE secret_keys (
    version     INTEGER PRIMARY KEY,
    fingerprint TEXT NOT NULL UNIQUE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
