// An HTTP/2 client that is not .NET's: Node's own http2, through the proxy with CONNECT.
// Prints one JSON line: the response status, whether its HEADERS frame carried END_STREAM, headers, body, trailers.
// usage: node h2-through-proxy.js PROXY_HOST:PORT HOST:PORT CA_PEM_FILE METHOD PATH [HEADER=VALUE ...]
'use strict';
const fs = require('fs');
const http = require('http');
const http2 = require('http2');
const tls = require('tls');

const [proxy, target, caFile, method, path, ...extra] = process.argv.slice(2);
const [proxyHost, proxyPort] = proxy.split(':');
const host = target.split(':')[0];
setTimeout(() => { console.error('no answer within 60 s'); process.exit(3); }, 60000).unref();

http.request({ host: proxyHost, port: Number(proxyPort), method: 'CONNECT', path: target })
  .on('connect', (response, socket) => {
    if (response.statusCode !== 200) { console.error('CONNECT answered ' + response.statusCode); process.exit(2); }
    const secure = tls.connect({ socket, servername: host, ca: fs.readFileSync(caFile), ALPNProtocols: ['h2'] });
    const session = http2.connect('https://' + target, { createConnection: () => secure });
    const headers = { ':method': method, ':path': path };
    for (const pair of extra) { const i = pair.indexOf('='); headers[pair.slice(0, i)] = pair.slice(i + 1); }
    const stream = session.request(headers, { endStream: method === 'GET' });
    if (method !== 'GET') stream.end();
    const result = { body: '' };
    stream.on('response', (h, flags) => {
      result.status = h[':status'];
      result.endStream = (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0;
      result.headers = h;
    });
    stream.on('trailers', (t) => { result.trailers = t; });
    stream.setEncoding('utf8');
    stream.on('data', (d) => { result.body += d; });
    stream.on('close', () => { console.log(JSON.stringify(result)); session.close(); });
    stream.on('error', (e) => { console.error(e.message); process.exit(1); });
  })
  .on('error', (e) => { console.error(e.message); process.exit(1); })
  .end();
