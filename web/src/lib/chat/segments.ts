// Splits an answer's text into plain text and `[n]` citation markers, so the view renders each
// marker as a button that opens `citations[n-1]`. Only numbers that name a citation become
// markers; anything else stays text.

export type Segment = { kind: 'text'; text: string } | { kind: 'cite'; n: number };

const MARKER = /\[(\d{1,3})\]/g;

export function answerSegments(text: string, citationCount: number): Segment[] {
  const segments: Segment[] = [];
  let at = 0;
  for (const match of text.matchAll(MARKER)) {
    const n = Number(match[1]);
    if (n < 1 || n > citationCount) continue;
    if (match.index > at) segments.push({ kind: 'text', text: text.slice(at, match.index) });
    segments.push({ kind: 'cite', n });
    at = match.index + match[0].length;
  }
  if (at < text.length) segments.push({ kind: 'text', text: text.slice(at) });
  return segments;
}
