// The ceiling for "N concurrent invocations get N environments" on this machine, with no Grid code in the way:
// one node HTTP server hands each request, as a length-prefixed frame over inherited pipes, to an idle one of
// `workers` child processes (each serving one request at a time, like an environment) and answers with its reply.
// Usage: node relay.js <port> <workers>
'use strict';
const http = require('http');
const { spawn } = require('child_process');

const port = Number(process.argv[2]);
const workerCount = Number(process.argv[3] || 32);
const idle = [];
const waiting = [];

function startWorker() {
  const child = spawn(process.execPath, [`${__dirname}/worker.js`], { stdio: ['ignore', 'inherit', 'inherit', 'pipe', 'pipe'] });
  const worker = { child, reply: null, pending: Buffer.alloc(0) };
  child.stdio[4].on('data', (chunk) => {
    worker.pending = worker.pending.length ? Buffer.concat([worker.pending, chunk]) : chunk;
    while (worker.pending.length >= 5) {
      const length = worker.pending.readUInt32LE(0);
      if (worker.pending.length < 5 + length) return;
      const body = worker.pending.subarray(5, 5 + length);
      worker.pending = worker.pending.subarray(5 + length);
      const reply = worker.reply;
      worker.reply = null;
      release(worker);
      reply(body);
    }
  });
  return worker;
}

function release(worker) {
  const next = waiting.shift();
  if (next) dispatch(worker, next.payload, next.reply);
  else idle.push(worker);
}

// The same frame Grid sends its own bootstraps: uint32 length, type 1, uint32 header length, JSON header, event.
function dispatch(worker, payload, reply) {
  worker.reply = reply;
  const header = Buffer.from(JSON.stringify({ requestId: 'ceiling', deadlineMs: Date.now() + 3000 }));
  const frame = Buffer.allocUnsafe(9 + header.length + payload.length);
  frame.writeUInt32LE(4 + header.length + payload.length, 0);
  frame[4] = 1;
  frame.writeUInt32LE(header.length, 5);
  header.copy(frame, 9);
  payload.copy(frame, 9 + header.length);
  worker.child.stdio[3].write(frame);
}

for (let i = 0; i < workerCount; i++) idle.push(startWorker());

http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const payload = Buffer.concat(chunks);
    const reply = (body) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      res.end(body);
    };
    const worker = idle.pop(); // the most recently used first, as Grid's executors
    if (worker) dispatch(worker, payload, reply);
    else waiting.push({ payload, reply });
  });
}).listen(port, '127.0.0.1', () => console.log(`ceiling relay on ${port} with ${workerCount} workers`));
