/**
 * What is wrong with a PDF's classic cross-reference table; an empty list when nothing is.
 * `startxref` must point at `xref`, the table be one subsection from object 0 with entry 0 free,
 * each entry 20 bytes, every other entry the offset of its own `n 0 obj`, every object in the
 * file listed, and the trailer's /Size the number of entries. pdf-lib loads a file whose table
 * is wrong (it scans for objects), so loading it proves none of this; viewers may not.
 */
export function xrefProblems(bytes: Uint8Array): string[] {
  const raw = Buffer.from(bytes).toString('latin1');
  const startxref = /startxref\n(\d+)\n%%EOF\n?$/.exec(raw);
  if (!startxref) return ['no startxref before %%EOF at the end'];
  const at = Number(startxref[1]);
  const header = /^xref\n0 (\d+)\n/.exec(raw.slice(at));
  if (!header) return [`startxref ${at} does not point at "xref" and one subsection from object 0`];
  const count = Number(header[1]);
  const table = raw.slice(at + header[0].length);
  const problems: string[] = [];
  if (table.slice(0, 20) !== '0000000000 65535 f \n') problems.push(`entry 0 is ${JSON.stringify(table.slice(0, 20))}, not the free head`);
  for (let n = 1; n < count; n++) {
    const entry = table.slice(20 * n, 20 * (n + 1));
    const offset = /^(\d{10}) 00000 n \n$/.exec(entry)?.[1];
    if (offset === undefined) problems.push(`entry ${n} is malformed: ${JSON.stringify(entry)}`);
    else if (!raw.startsWith(`${n} 0 obj`, Number(offset))) problems.push(`entry ${n} points at ${JSON.stringify(raw.slice(Number(offset), Number(offset) + 12))}`);
  }
  const objects = raw.match(/^\d+ 0 obj$/gm)?.length ?? 0;
  if (objects !== count - 1) problems.push(`${count - 1} entries for ${objects} objects`);
  const size = /^trailer\n<<[^>]*\/Size (\d+)/.exec(table.slice(20 * count))?.[1];
  if (Number(size) !== count) problems.push(`trailer /Size ${size} for ${count} entries`);
  return problems;
}
