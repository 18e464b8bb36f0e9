/**
 * How an event's enrichment prints: NDJSON keys appended to its object, and
 * a few words of text. Names come from captured packets (hostile): JSON
 * escapes them, the text form quotes and escapes them, and the whole is
 * bounded so one crafted response cannot blow up a line.
 */
import { terminalSafeJson, textValue } from '../../common/visible.js';
import { type EventExtra } from '../../output/sinks.js';
import { type DnsMessageJson, type NetEnrichment } from './net-state.js';

/** The enrichment of one event, at most this many bytes of JSON: answers past it are counted, not printed. */
export const MAX_ENRICHMENT_JSON = 8 << 10;

/** An enrichment as the sinks take it: rendered only for the output in use. */
export function enrichmentExtra(e: NetEnrichment): EventExtra {
  return { json: () => enrichmentJson(e), text: () => enrichmentText(e) };
}

/** `,"dst_hostname":"…","dns":[…]` (the keys present), to append to an event object. */
export function enrichmentJson(e: NetEnrichment): Uint8Array {
  let text = '';
  if (e.dst_hostname !== undefined) text += `,"dst_hostname":${terminalSafeJson(e.dst_hostname)}`;
  if (e.dns !== undefined) text += `,"dns":${terminalSafeJson(bounded(e.dns))}`;
  return Buffer.from(text);
}

/** ` dst_hostname=… dns=…` for a text line. */
export function enrichmentText(e: NetEnrichment): string {
  let text = '';
  if (e.dst_hostname !== undefined) text += ` dst_hostname=${textValue(e.dst_hostname)}`;
  if (e.dns !== undefined) text += ` dns=${textValue(bounded(e.dns).map(dnsSummary).join('; '))}`;
  return text;
}

/** `A c2.evil.example` for a query; `NOERROR A c2.evil.example -> 10.66.0.1,fd00:66::1` for a response. */
export function dnsSummary(m: DnsMessageJson): string {
  if (m.error !== undefined) return `unreadable: ${m.error}`;
  const asked = (m.questions ?? []).map((q) => `${q.type} ${q.name}`).join(', ');
  if (!m.response) return asked;
  const answers = (m.answers ?? []).map((a) => a.data ?? a.type).join(',');
  return `${m.rcode} ${asked}${answers ? ` -> ${answers}` : ''}${m.incomplete ? ' (incomplete)' : ''}`;
}

/** Drops records from the end until the JSON fits MAX_ENRICHMENT_JSON, and says so in the message. */
function bounded(messages: DnsMessageJson[]): DnsMessageJson[] {
  const out = messages.map((m) => ({ ...m, questions: m.questions?.slice(), answers: m.answers?.slice() }));
  while (JSON.stringify(out).length > MAX_ENRICHMENT_JSON) {
    const m = [...out].reverse().find((x) => (x.answers?.length ?? 0) + (x.questions?.length ?? 0) > 0);
    if (m === undefined) return [{ error: 'dns: too large to print' }];
    if ((m.answers?.length ?? 0) > 0) m.answers!.pop();
    else m.questions!.pop();
    m.incomplete = 'records left out of the output: too long to print';
  }
  return out;
}
