// The yardstick: node:http / node:https with nothing between the socket and one writeHead
// call. Every header Parapet sends is here too, precomputed, so the difference measured is
// the cost of Parapet's pipeline and nothing else.
import http, { type RequestListener } from 'node:http';
import https from 'node:https';
import { HEALTH_BODY, HEALTH_PATH, ROBOTS_BODY, ROBOTS_PATH, flatHeaders, type Features } from '../contract.js';
import { exitOnSignals, readKeyPair, readLaunch } from './launch.js';

function handler(tls: boolean, features: Features): RequestListener {
  const getHeaders = flatHeaders('get', tls, features);
  const preflightHeaders = flatHeaders('preflight', tls, features);
  const body = Buffer.from(HEALTH_BODY);
  const robotsHeaders = flatHeaders('robots', tls, features);
  const robots = Buffer.from(ROBOTS_BODY);
  return (req, res) => {
    if (req.method === 'OPTIONS') {
      res.writeHead(204, preflightHeaders);
      res.end();
    } else if (req.url === HEALTH_PATH) {
      res.writeHead(200, getHeaders);
      res.end(body);
    } else if (req.url === ROBOTS_PATH) {
      res.writeHead(200, robotsHeaders);
      res.end(robots);
    } else {
      res.writeHead(404);
      res.end();
    }
  };
}

const launch = readLaunch();
const plain = http.createServer(handler(false, launch.features));
const secure = https.createServer(readKeyPair(launch), handler(true, launch.features));
plain.listen(launch.plainPort, '127.0.0.1');
secure.listen(launch.tlsPort, '127.0.0.1');
exitOnSignals(() => {
  plain.closeAllConnections();
  secure.closeAllConnections();
});
