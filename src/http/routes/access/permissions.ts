import type { AnyRoute } from '../../route.js';

export const accessPermissionRoutes: AnyRoute[] = [];
