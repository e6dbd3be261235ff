/** What every login provider module shares. */
import type { Problem } from '../../model/errors.js';
import type { LoginType } from './flow.js';

/** A login in progress as its pages show it. */
export interface LoginFlowView {
  id: string;
  origin: string;
  label: string;
  type: string;
}

/**
 * A page of the login flow, as data: which page, and what it shows. src/http/pages/login.ts writes
 * the HTML.
 */
export type LoginPage =
  | { kind: 'login-form'; flow: LoginFlowView; signupOpen: boolean; email?: string; problem?: Problem }
  | { kind: 'signup-form'; flow: LoginFlowView; name?: string; email?: string; problem?: Problem }
  | { kind: 'login-error'; problem: Problem };

/**
 * A page to answer with: the page, its status, and the origins its form may end at. A form that
 * ends in a redirect to the login's origin names that origin in `formTargets` (the page's
 * Content-Security-Policy `form-action` must allow it, redirects included; see `sendHtml`).
 */
export interface LoginPageAnswer {
  page: LoginPage;
  status: number;
  formTargets: string[];
}

/** The answer to `GET /auth/login/{provider}`: send the browser on, or show it a page. */
export type LoginStart = { redirect: string } | LoginPageAnswer;

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
