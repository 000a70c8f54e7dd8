// A worker-thread bundle beside a function's index.mjs: the afterBundling hook of
// infra/constructs/function.ts (`workers`) runs this with esbuild options in base64.
import { Buffer } from 'node:buffer';
import process from 'node:process';
import { build } from 'esbuild';

const [encoded] = process.argv.slice(2);
if (!encoded) throw new Error('usage: build-worker.mjs <esbuild options as base64url JSON>');
await build(JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')));
