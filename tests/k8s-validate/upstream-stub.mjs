// Stands in for the app container during the pod check: `node upstream-stub.mjs HOST:PORT http|tcp`.
// http answers every request with 200 and the body below; tcp echoes what it receives.
import http from "node:http";
import net from "node:net";

export const BODY = "faultline pod check upstream\n";
const [addr, protocol] = process.argv.slice(2);
const i = addr.lastIndexOf(":");
const host = addr.slice(0, i) || "0.0.0.0";
const port = Number(addr.slice(i + 1));
const server =
  protocol === "tcp"
    ? net.createServer((s) => s.pipe(s))
    : http.createServer((req, res) => {
        req.resume();
        req.on("end", () => res.writeHead(200, { "content-type": "text/plain" }).end(BODY));
      });
server.listen(port, host, () => console.log(`upstream stub ${protocol} on ${host}:${port}`));
process.on("SIGTERM", () => process.exit(0));
