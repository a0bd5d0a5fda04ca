/**
 * Requests the process makes to its own API app (the admin page's `app.request` calls). The admin
 * page's own request is logged; the API calls it makes while answering are marked here, so the
 * request log does not count them as requests again. A set of the Request objects themselves, not a
 * header: a client cannot mark its request to keep it out of the log.
 */
const inProcess = new WeakSet<Request>();

export function markInProcess(req: Request): Request {
  inProcess.add(req);
  return req;
}

export function isInProcess(req: Request): boolean {
  return inProcess.has(req);
}
