/**
 * `node bench/http2-api-cpu.ts [--rounds 3]`: server CPU per event write of node:http2's compatibility
 * API (`Http2ServerResponse`, what Sluice's routes use) against its core stream API, with HTTP/1.1's
 * `ServerResponse` beside them: 200 streams (over h2, two connections of 100) each written one SSE event
 * every 20 ms for 5 s, every write in its own `setImmediate` as tokens from separate upstream reads
 * would come. The client runs in a child process, so only the server's CPU is counted.
 */
import { fork } from 'node:child_process';
import { Agent, createServer as createHttp1Server, get } from 'node:http';
import { connect as connectHttp2, createServer as createH2cServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { formatTable } from './markdown.ts';
import { quantilesOf } from './stats.ts';

type Api = 'http1' | 'compat' | 'core';

const streams = 200;
const writesPerStream = 250;
const event = 'data: {"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"hello "}}]}\n\n';

/** The client: opens the streams and reads them to their end. */
function runClient(port: number, api: Api): void {
  let ended = 0;
  const onEnd = (): void => {
    if (++ended === streams) process.exit(0);
  };
  if (api === 'http1') {
    const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
    for (let index = 0; index < streams; index++) get({ port, agent, path: '/' }, (response) => response.on('data', () => {}).on('end', onEnd));
    return;
  }
  const sessions = [connectHttp2(`http://127.0.0.1:${port}`), connectHttp2(`http://127.0.0.1:${port}`)];
  for (let index = 0; index < streams; index++) sessions[index % 2]!.request({ ':path': '/' }).on('data', () => {}).on('end', onEnd);
}

/** The server: once every stream is open, one event per stream every 20 ms; resolves µs of CPU per write. */
function measureServer(api: Api): Promise<number> {
  return new Promise((resolve) => {
    const writers: ((last: boolean) => void)[] = [];
    const opened = (writer: (last: boolean) => void): void => {
      writers.push(writer);
      if (writers.length === streams) start();
    };
    const server =
      api === 'http1'
        ? createHttp1Server((_request, response) => {
            response.writeHead(200, { 'content-type': 'text/event-stream' }).flushHeaders();
            opened((last) => (last ? response.end(event) : response.write(event)));
          })
        : api === 'compat'
          ? createH2cServer((_request, response) => {
              response.writeHead(200, { 'content-type': 'text/event-stream' });
              opened((last) => (last ? response.end(event) : response.write(event)));
            })
          : createH2cServer().on('stream', (stream) => {
              stream.respond({ ':status': 200, 'content-type': 'text/event-stream' });
              opened((last) => (last ? stream.end(event) : stream.write(event)));
            });
    const start = (): void => {
      const cpuBefore = process.cpuUsage();
      let ticks = 0;
      const timer = setInterval(() => {
        ticks += 1;
        const last = ticks === writesPerStream;
        for (const write of writers) setImmediate(write, last);
        if (!last) return;
        clearInterval(timer);
        setTimeout(() => {
          const used = process.cpuUsage(cpuBefore);
          server.close();
          resolve((used.user + used.system) / (streams * writesPerStream));
        }, 200);
      }, 20);
    };
    server.listen(0, '127.0.0.1', () => {
      const client = fork(fileURLToPath(import.meta.url), ['--client', String((server.address() as AddressInfo).port), api], { stdio: 'ignore' });
      client.unref();
    });
  });
}

const { values } = parseArgs({ allowPositionals: true, options: { rounds: { type: 'string', default: '3' }, client: { type: 'boolean', default: false } } });
if (values.client) {
  const [port, api] = process.argv.slice(-2);
  runClient(Number(port), api as Api);
} else {
  const apis: Api[] = ['http1', 'compat', 'core'];
  const results = new Map<Api, number[]>(apis.map((api) => [api, []]));
  // Alternating, so that the machine's noise falls on each.
  for (let round = 0; round < Number(values.rounds); round++) for (const api of apis) results.get(api)!.push(await measureServer(api));
  console.log(`${streams} streams, ${writesPerStream} events each, one write per event; server CPU µs per write\n`);
  console.log(formatTable(['API', 'median', 'rounds'], apis.map((api) => [api, quantilesOf(Float64Array.from(results.get(api)!)).p50.toFixed(1), results.get(api)!.map((value) => value.toFixed(1)).join(' / ')])));
}
