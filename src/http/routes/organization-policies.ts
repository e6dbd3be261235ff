import type { AnyRoute } from '../route.js';

export const organizationPolicyRoutes: AnyRoute[] = [];
