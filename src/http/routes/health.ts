import { Type } from 'typebox';
import { defineRoute } from '../route.js';

export const healthRoutes = [
  defineRoute({
    method: 'GET',
    path: '/health',
    versioned: false,
    summary: 'Liveness and database reachability',
    tags: ['Operations'],
    policy: { accepts: ['anonymous', 'user', 'robot'], note: 'for load balancers and probes' },
    response: Type.Object({ status: Type.String(), database: Type.String() }),
    handler: async ({ services, reply }) => {
      if (await services.databaseReachable()) return { status: 'ok', database: 'ok' };
      reply.code(503);
      return { status: 'unavailable', database: 'unreachable' };
    },
  }),
];
