/**
 * Courses: every course with its status and the URL where learners take it (its LMS page, the
 * "Start the course" link of every message), a form to create one, and one course's edit form.
 */
import { COURSE_STATUSES } from '../../../domain/vocabulary.ts';
import type { CourseDto } from '../../schemas.ts';
import type { CourseField, CourseFormValues } from '../course-form.ts';
import type { FieldErrors } from '../forms.ts';
import { when } from './format.ts';
import { STATUS_LABELS } from './labels.ts';

const LABELS: Record<CourseField, string> = { title: 'Title', status: 'Status', url: 'URL' };

/** A field's error, beside it (`data-field` names the API's field). */
function FieldError(props: { name: CourseField; errors: FieldErrors }) {
  const message = props.errors[props.name];
  if (!message) return null;
  return (
    <p class="field-error" id={`${props.name}-error`} data-field={props.name} role="alert">
      {LABELS[props.name]}: {message}
    </p>
  );
}

/** The course fields shared by the create and edit forms. */
function CourseFields(props: { values: CourseFormValues; errors: FieldErrors; prefix: string; defaultUrl: string }) {
  const { values: v, errors, prefix } = props;
  const invalid = (name: CourseField) => (errors[name] ? { 'aria-invalid': 'true', 'aria-describedby': `${name}-error` } : {});
  return (
    <>
      <div class="field">
        <label for={`${prefix}-title`}>Title</label>
        <input type="text" class="wide" name="title" id={`${prefix}-title`} value={v.title} required maxlength={200} {...invalid('title')} />
        <FieldError name="title" errors={errors} />
      </div>
      <div class="field">
        <label for={`${prefix}-status`}>Status</label>
        <select name="status" id={`${prefix}-status`} {...invalid('status')}>
          {COURSE_STATUSES.map((s) => (
            <option value={s} selected={v.status === s}>
              {STATUS_LABELS[s]}
            </option>
          ))}
        </select>
        <p class="hint">Only live courses can be a certificate’s recertification course or be enrolled in.</p>
        <FieldError name="status" errors={errors} />
      </div>
      <div class="field">
        <label for={`${prefix}-url`}>URL in the LMS</label>
        <input type="text" inputmode="url" class="wide" name="url" id={`${prefix}-url`} value={v.url} placeholder="https://lms.example.com/courses/…" {...invalid('url')} />
        <p class="hint">
          Where the learner takes the course: the “Start the course” link of every message. Empty: <code>{props.defaultUrl}</code> (<code>COURSE_URL_TEMPLATE</code>).
        </p>
        <FieldError name="url" errors={errors} />
      </div>
    </>
  );
}

/** The course list and the "New course" form. */
export function CoursesPage(props: { courses: CourseDto[]; values: CourseFormValues; errors: FieldErrors; defaultUrl: (courseId: string) => string }) {
  return (
    <>
      <h1>Courses</h1>
      {props.courses.length === 0 ? (
        <p class="empty">No courses yet.</p>
      ) : (
        <table class="list" id="courses">
          <thead>
            <tr>
              <th>Course</th>
              <th>Status</th>
              <th>URL in the LMS</th>
              <th>Updated</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            {props.courses.map((c) => (
              <tr data-course-id={c.id} id={`course-${c.id}`}>
                <td>
                  <a href={`/admin/courses/${c.id}`} class="strong">
                    {c.title}
                  </a>
                </td>
                <td>
                  <span class={`badge course-${c.status}`}>{STATUS_LABELS[c.status]}</span>
                </td>
                <td data-col="url">
                  {c.url ? (
                    <a href={c.url} target="_blank" rel="noopener noreferrer" class="course-url">
                      {c.url}
                    </a>
                  ) : (
                    <span class="muted small" title="The course has no URL of its own: messages link COURSE_URL_TEMPLATE">
                      default: {props.defaultUrl(c.id)}
                    </span>
                  )}
                </td>
                <td class="nowrap">{when(c.updatedAt)}</td>
                <td class="actions">
                  <a href={`/admin/courses/${c.id}`}>Edit</a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <section class="card" id="new-course">
        <h2>New course</h2>
        <form method="post" action="/admin/courses" id="new-course-form">
          <CourseFields values={props.values} errors={props.errors} prefix="new-course" defaultUrl={props.defaultUrl('<id>')} />
          <div class="form-actions">
            <button type="submit" class="primary" id="create-course">
              Create course
            </button>
          </div>
        </form>
      </section>
    </>
  );
}

/** One course's edit form. */
export function CourseEditPage(props: { course: CourseDto; values: CourseFormValues; errors: FieldErrors; defaultUrl: string }) {
  const c = props.course;
  return (
    <>
      <p class="crumbs">
        <a href="/admin/courses">Courses</a> /
      </p>
      <h1 id="course-heading">{c.title}</h1>
      <section class="card">
        <form method="post" action={`/admin/courses/${c.id}`} id="course-form">
          <input type="hidden" name="revision" value={props.values.revision} />
          <CourseFields values={props.values} errors={props.errors} prefix="course" defaultUrl={props.defaultUrl} />
          <div class="form-actions">
            <button type="submit" class="primary" id="save-course">
              Save course
            </button>
            <span class="hint">Publishing or withdrawing a recertification course reaches its certificates’ running workflows at once.</span>
          </div>
        </form>
      </section>
    </>
  );
}
