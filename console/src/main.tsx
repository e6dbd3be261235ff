/**
 * Boot: hand the page's CSP nonce to the `<style>` elements the UI kit creates (lib/style-nonce.ts),
 * then render the app. The nonce comes from `<meta property="csp-nonce">`, which the server fills in
 * per response: nothing inline has to run to pass it on.
 */
// Only the color scales the console uses, then the tokens that map them (the kit's own order).
import '@radix-ui/themes/tokens/colors/gray.css';
import '@radix-ui/themes/tokens/colors/slate.css';
import '@radix-ui/themes/tokens/colors/indigo.css';
import '@radix-ui/themes/tokens/colors/red.css';
import '@radix-ui/themes/tokens/colors/green.css';
import '@radix-ui/themes/tokens/colors/amber.css';
import '@radix-ui/themes/tokens/base.css';
import '@radix-ui/themes/components.css';
import '@radix-ui/themes/utilities.css';
import './styles.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app';
import { applyStyleNonce, pageNonce } from './lib/style-nonce';

const nonce = pageNonce(document);
if (nonce) applyStyleNonce(document, nonce);

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
