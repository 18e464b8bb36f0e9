/** Reading a report file back: its embedded data, and the golden file that pins it. */
import { type ReportData } from '../../src/report/model.js';

export function reportDataOf(html: string): ReportData {
  const m = /<script type="application\/json" id="rg-data">([^]*?)<\/script>/.exec(html);
  if (m === null) throw new Error('report: no embedded data element');
  return JSON.parse(m[1]) as ReportData;
}

/** The report's data as the golden file holds it: one JSON document, indented, with a newline. */
export function goldenText(data: ReportData): string {
  return `${JSON.stringify(data, null, 1)}\n`;
}

export function reportGoldenPath(capture: string): string {
  return `test/golden/${capture.replace(/\.rgc$/, '')}.report.json`;
}
