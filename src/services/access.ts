/** What a caller may do: effective permissions, `/check`, and grants per resource. */
import type { Deps } from './context.js';

export class AccessService {
  constructor(readonly deps: Deps) {}
}
