// Values the global setup hands to test workers (`inject`), and what each test records in its report entry.
import 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser URL of the throwaway PostgreSQL server; absent when the run does not cover PostgreSQL. */
    pgAdminUrl?: string;
  }
  export interface TaskMeta {
    /** The vitest project (unit, sqlite, postgres) the test ran in; see record-project.ts. */
    project?: string;
  }
}
