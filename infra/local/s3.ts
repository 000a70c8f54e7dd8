import { mkdir } from 'node:fs/promises';
import S3rver from 's3rver';

export const LETTER_BUCKETS = ['certrevoke-intake', 'certrevoke-evidence'] as const;

/**
 * What the intake bucket lets browsers do, as the stack's CORS rule does for the console's
 * origin: POST an upload (the console shows its progress, so it is preflighted) and read the
 * reply. Locally the console is served by the gateway on a loopback port.
 */
const INTAKE_CORS = Buffer.from(`<CORSConfiguration>
  <CORSRule>
    <AllowedOrigin>http://127.0.0.1:*</AllowedOrigin>
    <AllowedOrigin>http://localhost:*</AllowedOrigin>
    <AllowedMethod>POST</AllowedMethod>
    <AllowedHeader>*</AllowedHeader>
    <MaxAgeSeconds>3000</MaxAgeSeconds>
  </CORSRule>
</CORSConfiguration>`);

/** s3rver on loopback with the project's buckets. It enforces no POST policy: see DESIGN.md. */
/** s3rver on `port`, by default one the OS picks as it binds (no window for another process to take it). */
export async function startS3(options: { port?: number; dir: string; onEvent?: (notification: unknown) => void }): Promise<{ endpoint: string; stop: () => Promise<void> }> {
  await mkdir(options.dir, { recursive: true });
  const server = new S3rver({
    port: options.port ?? 0,
    address: '127.0.0.1',
    directory: options.dir,
    silent: true,
    configureBuckets: [
      { name: LETTER_BUCKETS[0], configs: [INTAKE_CORS] },
      { name: LETTER_BUCKETS[1] },
    ],
  });
  if (options.onEvent) server.on('event', options.onEvent);
  const { port } = (await server.run()) as { port: number };
  return { endpoint: `http://127.0.0.1:${port}`, stop: () => server.close() };
}
