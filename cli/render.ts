/** Plain-text output helpers: durations, ages, aligned tables. */
import { stripVTControlCharacters, styleText } from 'node:util';

/** Where a command writes (process streams, or strings in tests). */
export interface Output {
  out(text: string): void;
  err(text: string): void;
  /** True when `out` is a terminal (live progress redraws in place). */
  readonly tty: boolean;
}

/** `1h 02m`, `4m 05s`, `12s`, `3d 04h` from seconds. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86_400)}d ${String(Math.floor((s % 86_400) / 3600)).padStart(2, '0')}h`;
}

/** Seconds from ISO-8601 `from` to `to` (Date or ISO). */
export function secondsBetween(from: string, to: Date | string): number {
  return ((typeof to === 'string' ? Date.parse(to) : to.getTime()) - Date.parse(from)) / 1000;
}

/**
 * Columns padded to the widest cell; the header underlined with dashes. Cells may hold terminal
 * colours (`style`): widths count the visible characters. The last column is not padded, and its
 * rule stops at {@link LAST_RULE_MAX} characters so a long detail column does not wrap the rule.
 */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const visible = (c: string) => stripVTControlCharacters(c).length;
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => visible(r[i] ?? ''))));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(Math.max(0, (widths[i] ?? 0) - visible(c))))).join('  ').trimEnd();
  const rule = widths.map((w, i) => '-'.repeat(i === widths.length - 1 ? Math.max(header[i]?.length ?? 0, Math.min(w, LAST_RULE_MAX)) : w));
  return [line(header), line(rule), ...rows.map(line)].join('\n');
}

/** Longest rule under a table's last column. */
export const LAST_RULE_MAX = 40;

/** Bold/coloured only on a terminal. */
export function style(output: Output, format: 'bold' | 'red' | 'green' | 'yellow', text: string): string {
  return output.tty ? styleText(format, text) : text;
}

/** `2026-11-20 05:00Z` from ISO-8601 UTC. */
export function shortTime(isoTime: string | undefined): string {
  return isoTime ? `${isoTime.slice(0, 10)} ${isoTime.slice(11, 16)}Z` : '-';
}
