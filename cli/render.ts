/** Plain-text output helpers: durations, ages, aligned tables. */
import { styleText } from 'node:util';

/** Where a command writes (process streams, or strings in tests). */
export interface Output {
  out(text: string): void;
  err(text: string): void;
  /** True when `out` is a terminal (live progress redraws in place). */
  readonly tty: boolean;
}

/** `1h 02m`, `4m 05s`, `12s`, `3d 4h` from seconds. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
}

/** Seconds from ISO-8601 `from` to `to` (Date or ISO). */
export function secondsBetween(from: string, to: Date | string): number {
  return ((typeof to === 'string' ? Date.parse(to) : to.getTime()) - Date.parse(from)) / 1000;
}

/** Columns padded to the widest cell; the header underlined with dashes. */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** Bold/coloured only on a terminal. */
export function style(output: Output, format: 'bold' | 'red' | 'green' | 'yellow', text: string): string {
  return output.tty ? styleText(format, text) : text;
}

/** `2026-11-20 05:00Z` from ISO-8601 UTC. */
export function shortTime(isoTime: string | undefined): string {
  return isoTime ? `${isoTime.slice(0, 10)} ${isoTime.slice(11, 16)}Z` : '-';
}
