-- Up Migration
-- Messages learners can read (issue 13):
--  - learners.time_zone: the learner's IANA time zone (e.g. Europe/Berlin), validated by the API with the
--    platform's Intl; null: the organisation's DEFAULT_TIME_ZONE. Dates in messages and send windows use it.
--  - messages.text_body: the plain-text part of the message, derived from its HTML body when it was
--    rendered; null for messages recorded before it (the mailbox derives one for them when shown).
ALTER TABLE learners ADD COLUMN time_zone text;
ALTER TABLE learners ADD CONSTRAINT learners_time_zone_length CHECK (time_zone IS NULL OR char_length(time_zone) BETWEEN 1 AND 64);
ALTER TABLE messages ADD COLUMN text_body text;

-- Down Migration
ALTER TABLE messages DROP COLUMN text_body;
ALTER TABLE learners DROP COLUMN time_zone;
