/** What the API and the admin page do with a request body they refuse. */

/**
 * Reads and discards a refused body, up to `bound` bytes, so the client gets the refusal (a 413)
 * instead of a reset connection, and its next request on the same keep-alive connection is read
 * cleanly; beyond the bound the rest is cancelled and the connection dropped. Never throws (a client
 * that went away ends the read).
 */
export async function drain(req: Request, bound: number): Promise<void> {
  if (!req.body || req.bodyUsed) return;
  const reader = req.body.getReader();
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      total += value.byteLength;
      if (total > bound) {
        await reader.cancel();
        return;
      }
    }
  } catch {
    // the client went away
  }
}
