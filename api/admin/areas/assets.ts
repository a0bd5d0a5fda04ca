/** `/admin/assets/:name`: the page's stylesheet and script (open without a session, cached 5 minutes). */
import { readFileSync } from 'node:fs';
import { Hono } from 'hono';
import type { AdminEnv } from '../context.ts';

/**
 * The page's files by name. A Map, not an object literal: the name comes from the URL, and an
 * object would answer `__proto__`, `constructor` or `toString` from its prototype.
 */
const ASSETS = new Map<string, { body: string; type: string }>([
  ['admin.css', { body: readFileSync(new URL('../assets/admin.css', import.meta.url), 'utf8'), type: 'text/css; charset=utf-8' }],
  ['admin.js', { body: readFileSync(new URL('../assets/admin.js', import.meta.url), 'utf8'), type: 'text/javascript; charset=utf-8' }],
]);

export const assets = new Hono<AdminEnv>();

assets.get('/:name', (c) => {
  const asset = ASSETS.get(c.req.param('name'));
  if (!asset) return c.text('Not found', 404);
  c.header('Cache-Control', 'public, max-age=300');
  return c.body(asset.body, 200, { 'Content-Type': asset.type });
});
