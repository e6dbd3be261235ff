import type { AnyRoute } from '../route.js';

export const grantRoutes: AnyRoute[] = [];
