// The floor: a bare node:http server that reads each request and answers `{}`
// with AWS JSON 1.1 headers, doing no other work. Measured like any target, it
// shows what this machine and this load generator can reach at best, so a
// server's figures can be read against it. Usage: node floor-server.js PORT

import { createServer } from "node:http";

const port = Number(process.argv[2] ?? "0");
const body = "{}";

const server = createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    res.writeHead(200, { "content-type": "application/x-amz-json-1.1", "content-length": Buffer.byteLength(body) });
    res.end(body);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(port, "127.0.0.1", () => process.stdout.write(`floor server is running on ${port}\n`));
process.on("SIGTERM", () => process.exit(0));
