/**
 * The commands above replay: export and sql (src/export) and report
 * (src/report) build on replay, so they are wired in here, above it. Shared
 * by rg-replay's two entry points (the bundle and its start-up snapshot).
 */
import { type Command } from 'commander';
import { registerExportCommands } from '../export/command.js';
import { registerReportCommand } from '../report/command.js';
import { addFilterOptions, reportAndExit, runSession } from '../replay/main.js';

export function addCommands(program: Command): void {
  registerExportCommands(program, addFilterOptions);
  // The investigator's report: one replay with a full process table, through the report's sink.
  registerReportCommand(program, (files, sink, rules) => runSession(files, { context: false, ...rules }, () => sink, true), reportAndExit);
}
