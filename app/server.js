'use strict';
// A tiny HTTP server with no dependencies. Each process makes one uuid when it starts,
// so replies through the Service show which replica answered.
const http = require('node:http');
const { randomUUID } = require('node:crypto');

const instanceId = randomUUID();
const port = Number(process.env.PORT ?? 8080);

const server = http.createServer((req, res) => {
  const path = new URL(req.url, 'http://localhost').pathname;
  if (path !== '/' && path !== '/healthz') {
    return reply(req, res, 404, 'Not Found\n');
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return reply(req, res, 405, 'Method Not Allowed\n');
  }
  return reply(req, res, 200, path === '/healthz' ? 'ok\n' : `Hello World: ${instanceId}\n`);
});

function reply(req, res, status, body) {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

server.listen(port, () => {
  console.log(`listening on :${server.address().port} as ${instanceId}`);
});

// Kubernetes sends SIGTERM once the pod is out of the Service's endpoints (the
// Deployment's preStop pause covers the propagation). Stop accepting, let in-flight
// requests finish, and exit 0 so that a rollout drops no request.
process.on('SIGTERM', () => {
  console.log('SIGTERM: finishing in-flight requests');
  // Since Node 19, close() also ends idle keep-alive connections; a connection with a
  // request under way is answered first, then closed.
  server.close(() => process.exit(0));
});
