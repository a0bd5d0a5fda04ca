/**
 * Requests the process makes to its own API app (the admin page's `app.request` calls). The admin
 * page's own request is logged; the API calls it makes while answering are marked here, so the
 * request log does not count them as requests again. A set of the Request objects themselves, not a
 * header: a client cannot mark its request to keep it out of the log.
 *
 * The admin page's calls also carry who they act as (the signed-in token's actor, domain/audit.ts),
 * attached the same way: the API's auth (api/auth.ts) takes that actor for a marked request instead of
 * a bearer token, so the page never holds a token and a client cannot claim an actor.
 */
import type { Actor } from '../domain/audit.ts';

const inProcess = new WeakSet<Request>();
const actors = new WeakMap<Request, Actor>();

/** Marks `req` as the process's own; with `actor`, the API acts as that actor for it. */
export function markInProcess(req: Request, actor?: Actor): Request {
  inProcess.add(req);
  if (actor) actors.set(req, actor);
  return req;
}

export function isInProcess(req: Request): boolean {
  return inProcess.has(req);
}

/** The actor an in-process request was marked with, or undefined. */
export function inProcessActor(req: Request): Actor | undefined {
  return actors.get(req);
}
