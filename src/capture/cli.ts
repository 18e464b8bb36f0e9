#!/usr/bin/env node
/** rg-capture entry point: see main.ts. */
import { setFlagsFromString } from 'node:v8';
import { main } from './main.js';

// Before the drain worker starts: V8 scavenges its young generation on the
// worker's own (real-time, see drain-worker.ts) thread. With V8's helper
// threads, which run at ordinary priority and wait for a CPU on a busy host,
// the worker sat blocked in 10-36 ms scavenges (1 ms on one thread) while the
// ring filled. Only this flag: it is read afresh by every scavenge, whereas
// flipping --single-threaded-gc after start-up crashed V8 (a CHECK in cppgc's
// concurrent marking, seen at a capture's stop).
setFlagsFromString('--no-parallel-scavenge');

await main(process.argv);
