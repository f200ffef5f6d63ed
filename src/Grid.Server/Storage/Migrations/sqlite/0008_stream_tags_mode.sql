-- Grid streams: the stored capacity mode (CreateStream StreamModeDetails, UpdateStreamMode) and tags (AddTagsToStream, ...).
ALTER TABLE grid_streams ADD COLUMN stream_mode TEXT NOT NULL DEFAULT 'PROVISIONED';  -- PROVISIONED | ON_DEMAND

-- Up to 50 per stream; removed in DeleteStream's transaction, so a re-created stream starts without tags.
CREATE TABLE IF NOT EXISTS grid_stream_tags (
    stream_id  TEXT NOT NULL,                    -- grid_streams.id
    tag_key    TEXT NOT NULL,
    tag_value  TEXT NOT NULL,
    PRIMARY KEY (stream_id, tag_key)
);
