-- LLM connections (Langfuse's `llm_api_keys`): a project's credentials for an LLM provider, for
-- the playground and LLM-as-judge evaluators. `provider` is the connection's name, unique in its
-- project (Langfuse's lookup key); `adapter` its wire format.
--
-- The API key and the extra headers' values are sealed (AES-256-GCM, core/src/secrets.rs): the
-- columns hold `nonce ‖ ciphertext ‖ tag`, `secret_version` the version of the key that sealed
-- both, so a LOUPE_SECRET rotation can reseal them. Nothing here holds a secret in clear.
CREATE TABLE llm_connections (
    project_id          TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id                  TEXT NOT NULL,
    provider            TEXT NOT NULL CHECK (length(provider) BETWEEN 1 AND 100),
    adapter             TEXT NOT NULL CHECK (adapter IN ('openai', 'anthropic', 'azure', 'bedrock', 'google-vertex-ai', 'google-ai-studio')),
    secret_key          BYTEA NOT NULL,
    display_secret_key  TEXT NOT NULL,
    extra_headers       BYTEA,
    extra_header_keys   TEXT[] NOT NULL DEFAULT '{}',
    secret_version      INTEGER NOT NULL,
    base_url            TEXT,
    custom_models       TEXT[] NOT NULL DEFAULT '{}',
    with_default_models BOOLEAN NOT NULL DEFAULT true,
    config              JSONB,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, id),
    UNIQUE (project_id, provider)
);
