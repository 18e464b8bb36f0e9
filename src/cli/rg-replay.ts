#!/usr/bin/env -S node --max-semi-space-size=1
/**
 * rg-replay entry point: replay's commands (src/replay/main.ts) plus those
 * built on replay (rg-replay-commands.ts). Bundled into dist/bin/rg-replay.mjs;
 * the start-up snapshot runs the same through rg-replay-snapshot.ts.
 *
 * Why the V8 flag: a replay keeps little alive (the live processes), but V8
 * grows its young generation towards 16 MB per semi-space over a long run,
 * so peak RSS grew with the capture's length. One MB is ample for a stream
 * decoder: rg-replay --json peak RSS, real capture of 1M / 10M events:
 * 72 / 111 MB by default, 66 / 80 MB with it, at the same speed.
 */
import { main } from '../replay/main.js';
import { addCommands } from './rg-replay-commands.js';

await main(process.argv, addCommands);
