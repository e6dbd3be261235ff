/**
 * The one layout of the server's HTML pages (src/http/pages/login.ts, src/http/pages/invites.ts):
 * plain HTML with inline CSS and no script, served with a strict Content-Security-Policy
 * (`sendHtml` in src/http/route.ts). Everything interpolated is escaped, with the one escaper
 * (src/model/html.ts).
 */

import { escapeHtml } from '../../model/html.js';

/** A page: the title (escaped here) and the body (HTML, escaped by its builder). */
export function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<link rel="icon" href="data:,">
<title>${escapeHtml(title)} · Gatehouse</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

const STYLE = `
:root{color-scheme:light dark;--bg:#f4f4f5;--card:#fff;--line:#d4d4d8;--text:#18181b;--muted:#52525b;--accent:#18181b;--on-accent:#fff}
@media (prefers-color-scheme:dark){:root{--bg:#09090b;--card:#18181b;--line:#3f3f46;--text:#f4f4f5;--muted:#a1a1aa;--accent:#f4f4f5;--on-accent:#18181b}}
*{box-sizing:border-box}
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;background:var(--bg);color:var(--text);font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{width:min(24rem,calc(100% - 2rem));margin:2rem 0;padding:2rem;background:var(--card);border:1px solid var(--line);border-radius:.75rem}
h1{font-size:1.35rem;margin:0 0 .5rem}
.for,.hint,.code{color:var(--muted);font-size:.875rem;overflow-wrap:anywhere}
.for{margin:0 0 1.25rem}
label{display:block;font-weight:600;font-size:.9rem;margin:1rem 0 .3rem}
input{width:100%;padding:.6rem .7rem;font:inherit;color:inherit;background:transparent;border:1px solid var(--line);border-radius:.4rem}
input:focus{outline:2px solid #2563eb;outline-offset:1px}
button{width:100%;margin-top:1.5rem;padding:.7rem;font:inherit;font-weight:600;color:var(--on-accent);background:var(--accent);border:0;border-radius:.4rem;cursor:pointer}
.error{margin:0 0 .5rem;padding:.6rem .75rem;font-size:.9rem;color:#991b1b;background:#fef2f2;border:1px solid #fecaca;border-radius:.4rem}
.error p{margin:0}.error .hint{margin-top:.3rem;color:#7f1d1d}
.alt{margin:1.25rem 0 0;text-align:center;font-size:.9rem}
a{color:#2563eb}
h2{font-size:1.05rem;margin:1.25rem 0 .25rem}
code,pre{font:.85rem/1.4 ui-monospace,SFMono-Regular,Menlo,monospace;background:var(--bg);border:1px solid var(--line);border-radius:.3rem;padding:.05rem .3rem}
pre{padding:.6rem;white-space:pre-wrap;word-break:break-all}
`;
