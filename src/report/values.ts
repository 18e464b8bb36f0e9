/** Per-process panel values and indicators, in a deterministic order. */
import { type GroupValues } from './collect.js';
import { type IndicatorGroup } from './model.js';

/** Values in order of first appearance, ties by value: deterministic. */
export function valueList(g: GroupValues): [string, GroupValues['values'] extends Map<string, infer V> ? V : never][] {
  return [...g.values].sort((x, y) => x[1].t - y[1].t || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
}

export function indicatorGroups(groups: ReadonlyMap<number, GroupValues>, proc: (id: number) => number): IndicatorGroup[] {
  return [...groups].sort((x, y) => x[0] - y[0]).map(([group, values]) => ({
    group, more: values.more,
    items: valueList(values).map(([value, v]) => ({ value, count: v.count, t: v.t, ...(v.x === undefined ? {} : { x: v.x }), detail: v.detail, processes: v.processes.map(proc).filter((i) => i >= 0) })),
  }));
}

