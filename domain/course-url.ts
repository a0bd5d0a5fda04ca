/**
 * Where a learner takes a course (its {{course.url}} in messages, the link the admin page shows): the
 * course's own `url` (its LMS page), else the configured pattern COURSE_URL_TEMPLATE with `{courseId}`
 * filled in. A domain rule, used by the mail templates (domain/message-templates.ts) and the admin
 * page alike.
 */

/** The default course link pattern: today's `<appBaseUrl>/courses/{courseId}`. */
export function defaultCourseUrlTemplate(appBaseUrl: string): string {
  return `${appBaseUrl.replace(/\/+$/, '')}/courses/{courseId}`;
}

/** `template` with every `{courseId}` replaced by the (URL-encoded) course id. */
export function courseUrlFromTemplate(template: string, courseId: string): string {
  return template.replaceAll('{courseId}', encodeURIComponent(courseId));
}

/**
 * Where the learner takes `course`: its own `url` when it has one, else the pattern `template`
 * (default: `<appBaseUrl>/courses/{courseId}`).
 */
export function courseUrl(appBaseUrl: string, course: { id: string; url?: string | null }, template?: string): string {
  if (course.url) return course.url;
  return courseUrlFromTemplate(template ?? defaultCourseUrlTemplate(appBaseUrl), course.id);
}
