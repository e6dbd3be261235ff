/** Gatehouse as a library: start a server from a configuration, or build the app to embed it. */
export { type Config, ConfigError, loadConfig } from './config.js';
export { buildApp } from './http/app.js';
export { routes } from './http/routes/index.js';
export { createLogger, type RunningServer, startServer } from './server.js';
export { createUserWithToken } from './services/bootstrap.js';
export { createServices } from './services/index.js';
export { openStore } from './store/db.js';
export { migrateToLatest } from './store/migrate.js';
