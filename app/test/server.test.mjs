// Behaviour of the app as its users and Kubernetes see it. Each test starts a real
// server process on a free port.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

const serverPath = fileURLToPath(new URL('../server.js', import.meta.url));
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

async function startServer(t) {
  const child = spawn(process.execPath, [serverPath], { env: { ...process.env, PORT: '0' } });
  t.after(() => child.kill('SIGKILL'));
  // Keep reading stdout for the whole life of the process: a closed pipe would make
  // the server's own logging fail during shutdown.
  let out = '';
  const port = await new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = out.match(/listening on :(\d+)/);
      if (match) resolve(Number(match[1]));
    });
    child.on('exit', () => reject(new Error(`server exited before listening: ${out}`)));
  });
  return { child, port, base: `http://127.0.0.1:${port}` };
}

test('GET / answers Hello World with one uuid per process', async (t) => {
  const { base } = await startServer(t);
  const first = await fetch(base + '/');
  assert.equal(first.status, 200);
  const body = await first.text();
  const match = body.match(/^Hello World: (\S+)\n$/);
  assert.ok(match, `unexpected body ${JSON.stringify(body)}`);
  assert.match(match[1], uuid);
  assert.equal(await (await fetch(base + '/')).text(), body, 'same process, same uuid');

  const other = await startServer(t);
  assert.notEqual(await (await fetch(other.base + '/')).text(), body, 'another process, another uuid');
});

test('GET /healthz answers ok for the probes', async (t) => {
  const { base } = await startServer(t);
  const res = await fetch(base + '/healthz');
  assert.equal(res.status, 200);
  assert.equal(await res.text(), 'ok\n');
});

test('an unknown path is 404 and a bad method is 405 with Allow', async (t) => {
  const { base } = await startServer(t);
  assert.equal((await fetch(base + '/nope')).status, 404);
  const post = await fetch(base + '/', { method: 'POST', body: 'x' });
  assert.equal(post.status, 405);
  assert.equal(post.headers.get('allow'), 'GET, HEAD');
  const head = await fetch(base + '/', { method: 'HEAD' });
  assert.equal(head.status, 200);
});

test('a request in flight at SIGTERM is answered, then the process exits 0', async (t) => {
  const { child, port } = await startServer(t);
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  // Half a request: the server has it in flight but cannot answer yet.
  socket.write('GET / HTTP/1.1\r\nHost: test\r\n');
  await new Promise((resolve) => setTimeout(resolve, 100));

  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await new Promise((resolve) => setTimeout(resolve, 200));
  // New connections are refused while the in-flight one is still served.
  await assert.rejects(fetch(`http://127.0.0.1:${port}/`));

  let response = '';
  socket.on('data', (chunk) => (response += chunk));
  const closed = once(socket, 'close');
  socket.end('Connection: close\r\n\r\n');
  const [[code]] = await Promise.all([exited, closed]);
  assert.match(response, /^HTTP\/1\.1 200 OK/);
  assert.match(response, /Hello World: /);
  assert.equal(code, 0);
});

test('an idle keep-alive connection does not hold the shutdown open', async (t) => {
  const { child, port } = await startServer(t);
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write('GET / HTTP/1.1\r\nHost: test\r\n\r\n');
  await once(socket, 'data');
  const exited = once(child, 'exit');
  const started = Date.now();
  child.kill('SIGTERM');
  const [code] = await exited;
  assert.equal(code, 0);
  assert.ok(Date.now() - started < 2000, 'exit waited on an idle connection');
});
