-- Up Migration
-- A message naming the recertification course when the learner is enrolled after the expiring notice
-- already went out without one (domain/vocabulary.ts MESSAGE_KINDS).
ALTER TABLE messages DROP CONSTRAINT messages_kind_check;
ALTER TABLE messages ADD CONSTRAINT messages_kind_check
  CHECK (kind IN ('certificate_expiring', 'course_enrollment', 'recertification_enrollment', 'certificate_expired', 'recertification_reminder'));

-- Down Migration
DELETE FROM messages WHERE kind = 'recertification_enrollment';
ALTER TABLE messages DROP CONSTRAINT messages_kind_check;
ALTER TABLE messages ADD CONSTRAINT messages_kind_check
  CHECK (kind IN ('certificate_expiring', 'course_enrollment', 'certificate_expired', 'recertification_reminder'));
