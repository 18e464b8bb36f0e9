#!/usr/bin/env node
/** rg-capture entry point: see main.ts. */
import { main } from './main.js';

await main(process.argv);
