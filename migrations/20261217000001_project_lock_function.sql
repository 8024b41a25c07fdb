-- Issue #23: the ingestion writer's lock — the live project row held `FOR KEY SHARE` until the
-- commit, and each API key whose requests the transaction holds checked to exist in it
-- (`ingest::writer::lock_project`) — as a function that fails when the project or a key is gone.
-- The writer sends it in one round trip with its `BEGIN` (`writer::begin_statement`): a simple
-- query carries no parameters and returns no rows to its caller, so a failed check must be an
-- error (`no_data_found`, which the writer reads as "not found"). The statements that take the
-- lock on their own call it too, so it has this one definition.
CREATE FUNCTION loupe_lock_project(project TEXT, keys TEXT[]) RETURNS VOID
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM projects p
     WHERE p.id = project AND p.deleted_at IS NULL
       AND (SELECT count(*) FROM api_keys k WHERE k.project_id = project AND k.id = ANY (keys))
           = (SELECT count(DISTINCT given) FROM unnest(keys) AS given)
       FOR KEY SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'project % is deleted, or an API key of this write was revoked', project
            USING ERRCODE = 'no_data_found';
    END IF;
END
$$;
