/** What every login provider module shares. */
import type { LoginType } from '../login.js';

/**
 * The answer to `GET /auth/login/{provider}`: send the browser on, or show it a page. A page whose
 * form ends in a redirect to the login's origin names that origin in `formTargets` (the page's
 * Content-Security-Policy `form-action` must allow it, redirects included).
 */
export type LoginStart = { redirect: string } | { html: string; formTargets?: string[] };

/** The query of `GET /auth/login/{provider}`, already validated. */
export interface LoginRequest {
  origin: string;
  type: LoginType;
  label: string;
  /** The origin the browser used to reach this server, for `LoginService.ownOrigins`. */
  requestOrigin?: string | null | undefined;
}

/** A provider as `/auth/providers` and `/auth/organizations/by-slug/{slug}/providers` list it. */
export interface ProviderSummary {
  name: string;
  title: string;
  url: string;
}
