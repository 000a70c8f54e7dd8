import { mkdir } from 'node:fs/promises';
import S3rver from 's3rver';

export const LETTER_BUCKETS = ['certrevoke-intake', 'certrevoke-evidence'] as const;

/** s3rver on loopback with the project's buckets. It enforces no POST policy: see DESIGN.md. */
export async function startS3(options: { port: number; dir: string; onEvent?: (notification: unknown) => void }): Promise<{ endpoint: string; stop: () => Promise<void> }> {
  await mkdir(options.dir, { recursive: true });
  const server = new S3rver({
    port: options.port,
    address: '127.0.0.1',
    directory: options.dir,
    silent: true,
    configureBuckets: LETTER_BUCKETS.map((name) => ({ name })),
  });
  if (options.onEvent) server.on('event', options.onEvent);
  await server.run();
  return { endpoint: `http://127.0.0.1:${options.port}`, stop: () => server.close() };
}
