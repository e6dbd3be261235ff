/**
 * The page's Content-Security-Policy allows a `<style>` element only with this response's nonce.
 * The UI kit creates a few at run time: the scroll lock of dialogs (which asks `get-nonce` for the
 * nonce) and the scroll areas of tables and menus (which take a `nonce` prop the kit never passes).
 * So every `<style>` element this page's own scripts create gets the nonce as it is created, before
 * it is inserted. Scripts run only from this server (`script-src 'self'`); markup injected any
 * other way still gets no nonce and stays blocked.
 */
import { setNonce } from 'get-nonce';

export function applyStyleNonce(doc: Document, nonce: string): void {
  setNonce(nonce);
  const create = doc.createElement;
  doc.createElement = function createElement(this: Document, tagName: string, options?: ElementCreationOptions) {
    const element = create.call(this, tagName, options);
    if (element instanceof HTMLStyleElement) element.setAttribute('nonce', nonce);
    return element;
  } as Document['createElement'];
}

/** The nonce the server put in `<meta property="csp-nonce">` (browsers hide it from the attribute). */
export function pageNonce(doc: Document): string | null {
  const meta = doc.querySelector<HTMLMetaElement>('meta[property="csp-nonce"]');
  return meta?.nonce || meta?.getAttribute('nonce') || null;
}
