#!/usr/bin/env -S node --max-semi-space-size=1 --heap-growing-percent=50
/**
 * rg-replay entry point: replay's commands (src/replay/main.ts) plus those
 * built on replay (rg-replay-commands.ts). Bundled into dist/bin/rg-replay.mjs;
 * the start-up snapshot runs the same through rg-replay-snapshot.ts.
 *
 * Why the V8 flags: a replay keeps little alive (the live processes and the
 * last few thousand that exited), and peak RSS should not grow with the
 * capture's length.
 * - `--max-semi-space-size=1`: V8 grows its young generation towards 16 MB
 *   per semi-space over a long run. One MB is ample for a stream decoder:
 *   rg-replay --json peak RSS, real capture of 1M / 10M events: 72 / 111 MB
 *   by default, 66 / 80 MB with it, at the same speed.
 * - `--heap-growing-percent=50`: after a full collection V8 let the old
 *   generation grow to up to 4x what was alive before the next one; what a
 *   replay promotes there is mostly processes that exited since, garbage by
 *   then. Loop capture, --json peak RSS at 1M / 10M events (19k processes):
 *   73 / 91 MB (+25%) before, 73 / 82 MB (+12%) with 1.5x; CPU +0.9% at 10M
 *   (more full collections of a ~12 MB heap), unchanged on the 1.81M-event
 *   work capture and in export.
 */
import { main } from '../replay/main.js';
import { addCommands } from './rg-replay-commands.js';

await main(process.argv, addCommands);
