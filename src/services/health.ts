/** Whether the database answers: one trivial query (`GET /health`, for load balancers and probes). */
import { pingDatabase } from '../store/db.js';
import type { Executor } from '../store/schema.js';

export async function databaseReachable(db: Executor): Promise<boolean> {
  try {
    await pingDatabase(db);
    return true;
  } catch {
    return false;
  }
}
