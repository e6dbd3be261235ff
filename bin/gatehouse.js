#!/usr/bin/env node
// The CLI and server, compiled and bundled into one file (`npm run build`); this file only starts it.
import { main } from '../dist/gatehouse.js';

await main();
