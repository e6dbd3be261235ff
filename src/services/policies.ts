/** Organization policies: robot token lifetime and whether robots may manage members and roles. */
import type { Deps } from './context.js';

export class PolicyService {
  constructor(readonly deps: Deps) {}
}
