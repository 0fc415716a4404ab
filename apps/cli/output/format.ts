import { isUtf8 } from 'node:buffer';

/** Output helpers shared by the commands. */

const UNITS: Array<[string, number]> = [
  ['d', 24 * 60 * 60 * 1000],
  ['h', 60 * 60 * 1000],
  ['m', 60 * 1000],
  ['s', 1000],
];

/** `3d 4h`, `2m 5s`, `0s`: a duration in its two largest units. */
export function formatDuration(ms: number): string {
  let rest = Math.max(0, Math.floor(ms));
  const parts: string[] = [];
  for (const [unit, size] of UNITS) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0 || parts.length > 0) parts.push(`${n}${unit}`);
  }
  return parts.slice(0, 2).join(' ') || '0s';
}

/** One line of at most `max` characters: whitespace runs become one space. */
export function oneLine(text: string | null | undefined, max = 200): string {
  if (text === null || text === undefined || text === '') return '-';
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Rows as columns aligned on two spaces; the last column is not padded. */
export function formatTable(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const format = (cells: string[]): string =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [format(header), ...rows.map(format)];
}

/**
 * A record key or header value for a human: its text when it is UTF-8, else its bytes in base64,
 * marked as such, so bytes that are not text are shown faithfully rather than as U+FFFD.
 */
export function formatBytes(value: Buffer): string {
  return isUtf8(value) ? value.toString('utf8') : binary(value);
}

function binary(value: Buffer): string {
  return `(binary, ${value.length} bytes, base64) ${value.toString('base64')}`;
}

/** A record value for a human: pretty JSON, else UTF-8 text, else base64. */
export function formatPayload(value: Buffer): string {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(value);
  } catch {
    return binary(value);
  }
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}
