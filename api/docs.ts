/**
 * `/api/docs`: Swagger UI over the generated OpenAPI document, its assets served from the
 * `swagger-ui-dist` package (nothing is fetched from a CDN). The page also carries a plain,
 * server-rendered list of every operation, which Swagger UI replaces when it loads.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Context } from 'hono';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { SwaggerUI } from '@hono/swagger-ui';
import type { AppEnv } from './deps.ts';
import { escapeHtml } from '../domain/html.ts';


interface Operation {
  summary?: string;
  description?: string;
  tags?: string[];
}

export function docsPage(app: OpenAPIHono<AppEnv>, openapiPath: string, title: string): (c: Context) => Response {
  let cached: string | null = null;
  const render = (): string => {
    const doc = app.getOpenAPIDocument({ openapi: '3.0.3', info: { title, version: '1.0.0' } });
    const byTag = new Map<string, string[]>();
    for (const [path, item] of Object.entries(doc.paths ?? {})) {
      for (const [method, raw] of Object.entries(item as Record<string, Operation>)) {
        if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
        const tag = raw.tags?.[0] ?? 'Other';
        const line =
          `<li><code>${method.toUpperCase()} ${escapeHtml(path)}</code> — ${escapeHtml(raw.summary ?? '')}` +
          (raw.description ? `<br><small>${escapeHtml(raw.description)}</small>` : '') +
          '</li>';
        byTag.set(tag, [...(byTag.get(tag) ?? []), line]);
      }
    }
    const fallback = [...byTag.entries()].map(([tag, lines]) => `<h2>${escapeHtml(tag)}</h2><ul>${lines.join('')}</ul>`).join('');
    return SwaggerUI({
      url: openapiPath,
      persistAuthorization: true,
      manuallySwaggerUIHtml: () => `
        <div id="swagger-ui">
          <h1>${escapeHtml(title)}</h1>
          <p>The OpenAPI document: <a href="${openapiPath}">${openapiPath}</a>. Every <code>/api</code> route needs
          <code>Authorization: Bearer &lt;ADMIN_API_TOKEN&gt;</code>. (This plain list is shown until Swagger UI loads.)</p>
          ${fallback}
        </div>
        <link rel="stylesheet" href="${DOCS_ASSET_BASE}/swagger-ui.css" />
        <script src="${DOCS_ASSET_BASE}/swagger-ui-bundle.js"></script>
        <script>
          window.addEventListener('load', () => {
            if (window.SwaggerUIBundle) window.ui = SwaggerUIBundle({ url: '${openapiPath}', dom_id: '#swagger-ui', persistAuthorization: true });
          });
        </script>`,
    });
  };
  return (c) => {
    cached ??= render();
    return c.html(`<!doctype html><html lang="en"><head><meta charset="utf-8" /><meta name="viewport" content="width=device-width, initial-scale=1" /><title>${escapeHtml(title)}</title></head><body>${cached}</body></html>`);
  };
}

/** Where the Swagger UI assets are served (public, like the docs page). */
export const DOCS_ASSET_BASE = '/api/docs/assets';
/** Served file → its content type. A Map: the name comes from the URL (an object would answer `__proto__`). */
const ASSETS = new Map<string, string>([
  ['swagger-ui.css', 'text/css; charset=utf-8'],
  ['swagger-ui-bundle.js', 'text/javascript; charset=utf-8'],
]);
const assetDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
const assetCache = new Map<string, Buffer>();

/** Serves the two Swagger UI files from the installed `swagger-ui-dist` package. */
export function docsAsset(c: Context): Response | Promise<Response> {
  const name = c.req.param('file') ?? '';
  const type = ASSETS.get(name);
  if (!type) return c.notFound();
  let body = assetCache.get(name);
  if (!body) {
    body = readFileSync(join(assetDir, name));
    assetCache.set(name, body);
  }
  return c.body(new Uint8Array(body), 200, { 'content-type': type, 'cache-control': 'public, max-age=86400' });
}
