import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, listensOn, startDynamoLocal } from '../../infra/local/dynamodb-local.js';

/** Answers every request as DynamoDB Local answers ListTables: what another instance on the port would say. */
function impostor(): Promise<{ server: Server; port: number }> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
    response.end(JSON.stringify({ TableNames: [] }));
  });
  return new Promise((resolve) => server.listen(0, '0.0.0.0', () => resolve({ server, port: (server.address() as { port: number }).port })));
}

describe('DynamoDB Local of the local runtime', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  });

  it('is not fooled by another server answering on its port: the start fails as a port in use', async () => {
    const { server, port } = await impostor();
    servers.push(server);
    // The impostor answers at once; Java fails to bind seconds later. Ready before that would be
    // the runtime using someone else's data.
    await expect(startDynamoLocal({ port })).rejects.toMatchObject({ code: 'EADDRINUSE', message: expect.stringMatching(/could not take its port/) });
  }, 60_000);

  it('picks another port when the one it picked is taken before Java binds it, and gives up after 3', async () => {
    const taken = await Promise.all([impostor(), impostor(), impostor()]);
    servers.push(...taken.map((t) => t.server));
    const picked: number[] = [];
    const picks = (ports: (() => Promise<number>)[]) => () => {
      const next = ports[picked.length]!;
      return next().then((port) => (picked.push(port), port));
    };
    const dynamo = await startDynamoLocal({ pickPort: picks([async () => taken[0]!.port, freePort]) });
    try {
      expect(picked).toHaveLength(2);
      expect(dynamo.endpoint).toBe(`http://127.0.0.1:${picked[1]}`);
      expect(listensOn(process.pid, picked[1]!)).toBe(false);
    } finally {
      await dynamo.stop();
    }
    picked.length = 0;
    await expect(startDynamoLocal({ pickPort: picks(taken.map((t) => async () => t.port)) })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    expect(picked).toEqual(taken.map((t) => t.port));
  }, 120_000);

  it('tells which process holds a listening port', async () => {
    const { server, port } = await impostor();
    servers.push(server);
    expect(listensOn(process.pid, port)).toBe(true);
    expect(listensOn(process.pid, port === 65535 ? 65534 : port + 1)).toBe(false);
  });

  // A Java that failed to bind can exit between the impostor's answer and this check: "cannot
  // tell" there counted as ready, and the start resolved on the impostor (seen once in CI).
  it('says a process that is gone holds no port, rather than that it cannot tell', async () => {
    const { server, port } = await impostor();
    servers.push(server);
    const child = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => child.once('exit', resolve));
    expect(listensOn(child.pid!, port)).toBe(false);
  });

  it('starts on a free port it picks itself, and answers there', async () => {
    const dynamo = await startDynamoLocal({});
    try {
      const response = await fetch(dynamo.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.ListTables', authorization: 'AWS4-HMAC-SHA256 Credential=local/20260101/local/dynamodb/aws4_request, SignedHeaders=host, Signature=0' },
        body: '{}',
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toHaveProperty('TableNames');
    } finally {
      await dynamo.stop();
    }
  }, 60_000);
});
