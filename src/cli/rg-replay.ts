#!/usr/bin/env -S node --max-semi-space-size=1
/**
 * rg-replay entry point: replay's commands (src/replay/main.ts) plus export
 * and sql (src/export) and report (src/report), which build on replay, so
 * they are wired in here, above it.
 *
 * Why the V8 flag: a replay keeps little alive (the live processes), but V8
 * grows its young generation towards 16 MB per semi-space over a long run,
 * so peak RSS grew with the capture's length. One MB is ample for a stream
 * decoder: rg-replay --json peak RSS, real capture of 1M / 10M events:
 * 72 / 111 MB by default, 66 / 80 MB with it, at the same speed.
 */
import { registerExportCommands } from '../export/command.js';
import { registerReportCommand } from '../report/command.js';
import { addFilterOptions, main, reportAndExit, runSession } from '../replay/main.js';

await main(process.argv, (program) => {
  registerExportCommands(program, addFilterOptions);
  // The investigator's report: one replay with a full process table, through the report's sink.
  registerReportCommand(program, (files, sink, rules) => runSession(files, { context: false, ...rules }, () => sink, true), reportAndExit);
});
