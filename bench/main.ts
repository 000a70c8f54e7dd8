/**
 * `npm run bench` — placeholder until the performance issue lands. It prints what the bench will
 * measure so the command exists from day one; nothing here is a result.
 */
const planned = [
  ['apiReadRatio', 'GET /certificates/{id} through the local gateway ÷ raw GetItem throughput', '≥ 0.7'],
  ['roundTripsRead', 'DynamoDB calls per GET /certificates/{id}', '≤ 1'],
  ['roundTripsWrite', 'DynamoDB calls per revocation submission', '≤ 2'],
  ['maxBundleKb', 'largest minified function bundle', '≤ 250'],
  ['maxInitMs', 'largest module-load time of a bundle (median of 5)', '≤ 80'],
  ['letterJpegRatio', 'processor time for a 1.4 MiB JPEG ÷ raw sharp decode + thumbnail', '≤ 1.3'],
  ['letterPdfRatio', 'processor time for a 1.4 MiB PDF ÷ raw PDFDocument.load', '≤ 1.3'],
  ['sweepReadRatio', 'items read by a sweep ÷ due items (100k certificates, 1% due)', '≤ 1.05'],
  ['sweepSpeedupVsScan', 'Scan-based sweep time ÷ our sweep time', '≥ 10'],
  ['sfnTransitionsReviewRoute', 'state transitions of one review-route revocation', '≤ 8'],
];

console.log('certrevoke bench — not implemented yet; it will measure:\n');
const width = Math.max(...planned.map(([key]) => key!.length));
for (const [key, what, budget] of planned) console.log(`  ${key!.padEnd(width)}  ${budget!.padEnd(6)}  ${what}`);
console.log('\nNo measurements were taken.');
