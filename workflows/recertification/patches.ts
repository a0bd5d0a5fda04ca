/**
 * The recertification workflow's versions: each `patched()` id, what it changed and why. A workflow
 * sleeps for months, so changed logic is guarded by its id and the histories recorded before it
 * (test/histories) replay through the old path. Keep the ids, and the places they are evaluated:
 * a `patched()` call records a marker where it is first evaluated.
 */

/**
 * The short database steps (load the award's context, create the attempt) as local activities: they
 * run inside the workflow task that the timer's firing starts, so falling due costs one workflow task
 * and one (email) activity instead of three tasks and three activities. Under a due burst that halves
 * the server's work per award. Histories recorded before it replay through the old path.
 */
export const DUE_STEP_LOCAL_ACTIVITIES = 'due-step-local-activities';

/**
 * Every acting step acts on the database's truth (the database is the truth; signals are the fast path):
 *  - before expiring, reminding or enrolling, the workflow re-reads the award and settings, and the
 *    activity that acts re-checks them in its own transaction (`asOf`), so an expiry moved, a revoke
 *    or a renewal whose signal never arrived is obeyed;
 *  - a refused enrollment re-plans from the context the activity returns;
 *  - sleeps are cut into pieces of at most MAX_TIMER_MS (Temporal keeps no timer past ~99 years);
 *  - a continued run carries its search attributes and publishes its details at once, and the run it
 *    continues clears its phase, due time and expiry so visibility queries find the award once.
 * Histories recorded before it replay through the old path.
 */
export const ACT_ON_DATABASE_TRUTH = 'act-on-database-truth';

/**
 * LMS policies (issue 14): at the expiry, a certificate with `expiration.graceDays` > 0 puts the
 * award `in_grace` (activity `enterGrace`) instead of expiring it; the run then waits until the
 * grace period ends (a renewal ends it as `renewed`) and expires it then, with the expired notice.
 * Histories recorded before it replay through the old path (expired at once).
 */
export const LMS_POLICIES = 'lms-policies';

/**
 * Send windows (issue 13 §3): a message waits for the learner's local send window to open (a durable
 * timer to the opening, computed by domain/send-window.ts with Intl), when the certificate's or the
 * organisation's window is on. The enrollment itself still happens at the due instant and the expiry
 * is never delayed; the enrollment's messages, the expiring notice sent while waiting for settings,
 * and reminders wait. With no window on, the path sends at once as before (one marker more).
 * Histories recorded before it replay through the old path.
 */
export const SEND_WINDOWS = 'send-windows';

/**
 * Repeating reminders (issue 14 §3, SAP's "every N days until completed"): with the settings'
 * `recertification.repeatReminder` {everyDays, maxCount}, the assigned wait also sends reminder n at
 * the enrollment instant + n × everyDays (n = 1..maxCount) while the award is active and before its
 * expiry (none in grace), each once (idempotency key `…:recertification_reminder:repeat:<n>`), after a
 * re-read of the database and the send window, like the fixed-day reminders. Evaluated only when the
 * setting is on, so workflows without it record no marker; histories recorded before it never had the
 * setting and replay unchanged (test/histories/repeating-reminders-*.json record the new path).
 */
export const REPEATING_REMINDERS = 'repeating-reminders';

/**
 * The due step's messages join its workflow task (issue 11, the due burst): the enrollment's messages
 * (the Certificate Expiring notice, the recertification enrollment message) are sent first by the
 * same send-message activity run as a local activity on the workflow worker, right after the
 * attempt's local activity, instead of a regular activity on `<task queue>-email`. A due award then
 * costs one workflow task and no activity task (it cost two workflow tasks and an activity task).
 * What the send does is unchanged: the same process-wide mailer (its rate limit, batches and 429
 * pause), the same idempotency key and ledger, so a retried or re-run task never emails twice. The
 * local attempt is one try of at most 20 s (its workflow task holds a worker slot meanwhile); if it
 * fails or times out (a 429 pause, a slow provider, an outage) the message is handed over to the
 * regular activity on the email task queue with its retries, as before the patch (event
 * `message_handed_over`). Evaluated only when the enrollment has a message to send; histories
 * recorded before it replay through the old path (test/histories/*.send-in-due-step.json record the
 * new one). Reminders and the expiry's notice stay regular activities: they are not part of a
 * burst's drain. Deploying it: once a workflow has taken the new path, a worker without this code
 * cannot replay it (it would schedule an activity where the history has a local-activity marker), so
 * replace every worker before relying on it, and do not roll a worker back past it.
 */
export const SEND_IN_DUE_STEP = 'send-in-due-step';

/**
 * An enrolled award's due time stays the one it was enrolled at (a reviewer's finding on issue 14):
 * once the run is `assigned`, its due time (the `status` query's `dueAt`, the `RecertificationDueAt`
 * search attribute, the current details) is the time the enrollment fell due, the expiry − lead days
 * in force as it entered `assigned`. Before, each pass of the assigned wait recomputed it from the
 * current expiry and lead days, so an admin's later change of the lead days (or an extension of the
 * expiry) made an enrolled award read "due" at a date still ahead. The messages the run sends while
 * enrolled, and the expired notice at the expiry or at the end of grace, pass that due time to the send
 * activity as `dueAt` (their `{{dueAt}}`) for the same reason.
 * Evaluated only where the two differ (an enrolled run whose expiry − lead days moved), so a run whose
 * expiry and lead days never move after its enrollment records no marker. Histories recorded before it
 * replay through the old path (the due time follows the expiry and lead days);
 * test/histories/assigned-due-*.json record the new one, and assigned-due-lead-days-changed-before-patch.json
 * the old one (recorded by the code before it; it fails to replay without this guard).
 */
export const ASSIGNED_DUE_TIME_FIXED = 'assigned-due-time-fixed';

/**
 * The due step reads the award and enrolls in one local activity and one transaction (issue 11, the
 * due burst): `enrollWhenDue` reads the award's context with its row locked and, when the acting rules
 * (domain/acting-rules.ts `enrollmentRefusal`, at the workflow's instant) allow it, creates the
 * attempt. Before, the step ran `loadAwardContext`, decided, then `createRecertificationAttempt`
 * (which re-read and re-checked in its own transaction): two local activities, so two activations
 * of the workflow and two transactions' worth of round trips. Falling due now costs one activation
 * fewer (three with one message to send: the timer, the enrollment, the send). The workflow still
 * decides from the context returned, with the same rules (domain/recertification-steps.ts
 * `dueStepDecision`) at the instant the activity was given, so its phase and waiting reason are those
 * the activity acted on; a disagreement would be a bug, handled as a refused enrollment. Evaluated
 * first in the due step, before any activity; histories recorded before it replay through the old
 * path (test/histories/*.enroll-when-due.json record the new one). Like SEND_IN_DUE_STEP, a worker
 * without this code cannot replay a workflow that took it: replace every worker before relying on it.
 */
export const ENROLL_WHEN_DUE = 'enroll-when-due';
