-- Up Migration
-- Where a learner takes the course (its page in the LMS), linked as {{course.url}} in messages; null:
-- the configured COURSE_URL_TEMPLATE (issue 17 §15). The API accepts http and https URLs only.
ALTER TABLE courses ADD COLUMN url text;
ALTER TABLE courses ADD CONSTRAINT courses_url_check CHECK (url IS NULL OR url ~* '^https?://');

-- Down Migration
ALTER TABLE courses DROP CONSTRAINT courses_url_check;
ALTER TABLE courses DROP COLUMN url;
