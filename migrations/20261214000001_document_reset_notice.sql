-- Why a document's current generation began (a draft published or discarded, a playground
-- replaced), as announced to the replicas: the `NOTIFY` payload of the reset. A replica that did
-- not hear that notification — its listener was reconnecting, or it read the new generation
-- before the notification reached it — still tells the people connected through it why they
-- start again, instead of only that the document is reloading. NULL for a first generation.
ALTER TABLE documents ADD COLUMN reset_notice JSONB;
