#!/usr/bin/env node
/** rg-replay entry point: see main.ts. */
import { main } from './main.js';

main(process.argv);
