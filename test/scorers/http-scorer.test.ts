// The HTTP scorer against a local node:http server (127.0.0.1 only) that answers
// correctly, slowly, with 503s, or wrongly, per request, as the test scripts it.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { httpScorer } from '../../src/scorers/http-scorer.js';

type Behaviour = 'ok' | 'slow' | '503' | 'miscount' | '400' | 'not-json';
let script: Behaviour[] = [];
const bodies: { texts: string[]; contexts: string[] }[] = [];
let server: Server;
let url: string;

before(async () => {
  server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
    req.on('end', () => {
      const body = JSON.parse(raw) as { texts: string[]; contexts: string[] };
      bodies.push(body);
      const behaviour = script.shift() ?? 'ok';
      const scores = body.texts.map((t, i) => t.length + 100 * body.contexts[i]!.length);
      const send = (status: number, text: string): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(text);
      };
      if (behaviour === 'ok') send(200, JSON.stringify({ scores }));
      else if (behaviour === 'slow') setTimeout(() => send(200, JSON.stringify({ scores })), 400);
      else if (behaviour === '503') send(503, 'busy');
      else if (behaviour === 'miscount') send(200, JSON.stringify({ scores: scores.slice(1) }));
      else if (behaviour === '400') send(400, 'texts too long');
      else send(200, '<html>oops</html>');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/score`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

function scorer(extra: { timeoutMs?: number; retries?: number; batchSize?: number } = {}) {
  return httpScorer({ url, name: 'local', backoffMs: 10, ...extra });
}

it('posts batches and reads one score per text', async () => {
  script = [];
  bodies.length = 0;
  assert.deepEqual([...(await scorer({ batchSize: 2 }).score(['a', 'bb', 'ccc'], ['', 'x', '']))], [1, 102, 3]);
  assert.deepEqual(bodies, [
    { texts: ['a', 'bb'], contexts: ['', 'x'] },
    { texts: ['ccc'], contexts: [''] },
  ]);
  assert.deepEqual([...(await scorer().score(['ab']))], [2]);
  assert.deepEqual(bodies[2], { texts: ['ab'], contexts: [''] });
});

it('retries 503s and timeouts with backoff', async () => {
  script = ['503', 'slow', 'ok'];
  bodies.length = 0;
  assert.deepEqual([...(await scorer({ timeoutMs: 150 }).score(['abc']))], [3]);
  assert.equal(bodies.length, 3);
});

it('gives up after the retries with the URL and the last failure', async () => {
  script = ['slow', 'slow', 'slow'];
  await assert.rejects(
    scorer({ timeoutMs: 100, retries: 2 }).score(['a']),
    new RegExp(`HTTP scorer local at ${url} failed 3 times on texts 0..0; the last time no answer within 100 ms`),
  );
});

it('names the URL when the answer has the wrong number of scores, at once', async () => {
  script = ['miscount'];
  bodies.length = 0;
  await assert.rejects(scorer().score(['a', 'b']), new RegExp(`HTTP scorer local at ${url}: it answered 1 scores for 2 texts`));
  assert.equal(bodies.length, 1);
});

it('does not retry a client error or a body that is not JSON', async () => {
  script = ['400', 'not-json'];
  await assert.rejects(scorer().score(['a']), /answered HTTP 400: texts too long/);
  await assert.rejects(scorer().score(['a']), /answered a body that is not JSON: "<html>oops<\/html>"/);
});

it('names an unreachable server and a malformed URL', async () => {
  const gone = createServer();
  await new Promise<void>((resolve) => gone.listen(0, '127.0.0.1', resolve));
  const port = (gone.address() as AddressInfo).port;
  await new Promise((resolve) => gone.close(resolve));
  const closed = httpScorer({ url: `http://127.0.0.1:${port}/score`, retries: 1, backoffMs: 1 });
  await assert.rejects(closed.score(['a']), /HTTP scorer 127.0.0.1:\d+ at .* failed 2 times .*could not connect: ECONNREFUSED/);
  assert.throws(() => httpScorer({ url: 'not a url' }), /"not a url" is not a valid URL/);
});
