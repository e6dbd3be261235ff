#!/usr/bin/env node
// The compiled CLI lives in dist/ (`npm run build`); this file only starts it.
import { main } from '../dist/cli/main.js';

await main();
