// Splits a search snippet into plain and marked runs, so the view renders highlights as text
// nodes inside <mark> — never as HTML built from content. The server counts offsets in Unicode
// code points, not UTF-16 units, so the text is indexed as an array of code points.

export interface Run {
  text: string;
  marked: boolean;
}

export interface Range {
  start: number;
  end: number;
}

export function highlightRuns(text: string, highlights: readonly Range[]): Run[] {
  const points = Array.from(text);
  const runs: Run[] = [];
  let at = 0;
  for (const { start, end } of [...highlights].sort((a, b) => a.start - b.start)) {
    // Clamp: a range past the text or overlapping the previous one must not repeat or lose text.
    const from = Math.max(at, Math.min(start, points.length));
    const to = Math.max(from, Math.min(end, points.length));
    if (from > at) runs.push({ text: points.slice(at, from).join(''), marked: false });
    if (to > from) runs.push({ text: points.slice(from, to).join(''), marked: true });
    at = to;
  }
  if (at < points.length) runs.push({ text: points.slice(at).join(''), marked: false });
  return runs;
}
