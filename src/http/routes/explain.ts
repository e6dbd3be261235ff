import type { AnyRoute } from '../route.js';

export const explainRoutes: AnyRoute[] = [];
