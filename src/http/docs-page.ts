/**
 * The `/docs` page (Swagger UI): Gatehouse's name, mark and colours, and the document it shows is
 * the public `/openapi.json` (the address people copy into their tools), not the UI's private
 * `/docs/json`. Both are the same route-table document; `/docs/json` remains for the UI's own use.
 */
import type { FastifySwaggerUiOptions } from '@fastify/swagger-ui';

const MARK = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#1f3a5f"/><path d="M7 26V13l9-6 9 6v13h-5v-8a4 4 0 0 0-8 0v8z" fill="#f4f1ea"/></svg>`;

const LOGO = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 188 40" width="188" height="40"><g transform="translate(2 4)"><rect width="32" height="32" rx="6" fill="#f4f1ea"/><path d="M7 26V13l9-6 9 6v13h-5v-8a4 4 0 0 0-8 0v8z" fill="#1f3a5f"/></g><text x="44" y="27" font-family="-apple-system,Segoe UI,Helvetica,Arial,sans-serif" font-size="20" font-weight="600" fill="#f4f1ea">Gatehouse</text></svg>`;

const CSS = `
.swagger-ui .topbar { background-color: #1f3a5f; }
.swagger-ui .topbar .download-url-wrapper .select-label { color: #f4f1ea; }
.swagger-ui .topbar .download-url-wrapper .select-label select { border-color: #f4f1ea; }
.swagger-ui .info .title small.version-stamp { background-color: #1f3a5f; }
`;

/**
 * Options for @fastify/swagger-ui at `/docs`. `basePath` is the path of the configured public URL
 * ('' at the root), so a server mounted under a path prefix links its own document.
 */
export function docsPageOptions(basePath: string): Pick<FastifySwaggerUiOptions, 'theme' | 'logo'> & {
  uiConfig: Record<string, unknown>;
} {
  return {
    theme: {
      title: 'Gatehouse Access API reference',
      css: [{ filename: 'gatehouse.css', content: CSS }],
      favicon: [{ filename: 'gatehouse.svg', rel: 'icon', sizes: 'any', type: 'image/svg+xml', content: MARK }],
    },
    logo: { type: 'image/svg+xml', content: LOGO, href: `${basePath}/docs/`, target: '_self' },
    uiConfig: {
      // With `urls`, Swagger UI loads this document instead of its own /docs/json and shows its
      // address under the title.
      urls: [{ url: `${basePath}/openapi.json`, name: 'Gatehouse Access API (/openapi.json)' }],
    },
  };
}
