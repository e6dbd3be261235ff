import type { AnyRoute } from '../../route.js';

export const accessUserPermissionRoutes: AnyRoute[] = [];
