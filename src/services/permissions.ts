/** Permissions of a resource: the predefined catalog plus the resource's custom permissions. */
import type { Deps } from './context.js';

export class PermissionService {
  constructor(readonly deps: Deps) {}
}
