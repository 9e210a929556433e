// A second app for the tests of the `apps` setting: another port, another readiness path, and
// the environment it was given (GREETING plain, TOKEN from the app's Secret, shown only hashed).
'use strict';
const http = require('node:http');
const { createHash } = require('node:crypto');

const port = Number(process.env.PORT || 9000);
const tokenHash = createHash('sha256').update(process.env.TOKEN || '').digest('hex').slice(0, 12);

const server = http.createServer((req, res) => {
  const body = req.url === '/ready' ? 'ready\n' : `${process.env.GREETING || 'Hi'} from greeter, token ${tokenHash}\n`;
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end(body);
});
server.listen(port);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
