// Grid Node.js runtime bootstrap.
//
// Runs one AWS-Lambda-style handler inside a long-lived process and talks to
// the Grid host over two inherited pipes using the binary frame protocol
// described in ../README.md:
//
//   fd 3        host -> runtime frames (INVOKE), read asynchronously
//   fd 4        runtime -> host frames (READY, INIT_ERROR, RESPONSE, ERROR),
//               written synchronously
//   fd 1, fd 2  log pipe
//
// Frame: uint32 LE payload length, 1 byte type, payload.

import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import util from 'node:util';
import { Writable } from 'node:stream';
import { createRequire } from 'node:module';
import { pathToFileURL, fileURLToPath } from 'node:url';

const FD_IN = 3;
const FD_OUT = 4;

const T_INVOKE = 0x01;
const T_READY = 0x10;
const T_INIT_ERROR = 0x11;
const T_RESPONSE = 0x12;
const T_ERROR = 0x13;
const T_SILENT = 0x80; // flag on a reply: no log sentinel precedes it

const SENTINEL = Buffer.from('\0GRID-END\0\n', 'latin1');
const BOOTSTRAP_PATH = fileURLToPath(import.meta.url);

// ---------------------------------------------------------------------------
// Synchronous writes (fds may be non-blocking: retry on EAGAIN)
// ---------------------------------------------------------------------------

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

// Whether this phase printed anything through fds 1/2 (see sendFrame).
let printed = false;

function writeAll(fd, buf) {
  if (fd === 1 || fd === 2) printed = true;
  let off = 0;
  const len = buf.length;
  while (off < len) {
    try {
      off += fs.writeSync(fd, buf, off, len - off);
    } catch (e) {
      if (e.code === 'EAGAIN' || e.code === 'EWOULDBLOCK') {
        Atomics.wait(sleepCell, 0, 0, 1);
      } else if (e.code !== 'EINTR') {
        throw e;
      }
    }
  }
}

function writeStringSync(fd, str) {
  writeAll(fd, Buffer.from(str, 'utf8'));
}

// Frame with an empty payload, or a string payload encoded straight into the
// frame buffer (one allocation, one write).
function sendFrame(type, str) {
  const n = str ? Buffer.byteLength(str, 'utf8') : 0;
  const buf = Buffer.allocUnsafe(5 + n);
  buf.writeUInt32LE(n, 0);
  buf[4] = type;
  if (n) buf.utf8Write(str, 5, n);
  // All log writes are synchronous, so nothing is buffered: the sentinel
  // marks the end of this phase's logs. A phase that printed nothing skips
  // it and flags the frame (SILENT), which spares the host a wake-up.
  if (printed) {
    writeAll(2, SENTINEL);
    printed = false;
  } else {
    buf[4] = type | T_SILENT;
  }
  writeAll(FD_OUT, buf);
}

// ---------------------------------------------------------------------------
// Logging: console patch + synchronous process.stdout/stderr
// ---------------------------------------------------------------------------

let currentRequestId; // undefined outside an invocation, as on AWS

function logLine(level, args) {
  const msg = util.format(...args);
  const line = `${new Date().toISOString()}\t${currentRequestId}\t${level}\t${msg}`;
  // One console call = one log line; embedded newlines become \r (as AWS).
  writeStringSync(1, (line.indexOf('\n') === -1 ? line : line.replace(/\n/g, '\r')) + '\n');
}

console.log = (...args) => logLine('INFO', args);
console.info = (...args) => logLine('INFO', args);
console.warn = (...args) => logLine('WARN', args);
console.error = (...args) => logLine('ERROR', args);
console.debug = (...args) => logLine('DEBUG', args);
console.trace = (...args) => logLine('TRACE', args);

function syncStdio(fd) {
  let stream;
  return () => {
    if (!stream) {
      stream = new Writable({
        decodeStrings: false,
        write(chunk, encoding, cb) {
          try {
            if (typeof chunk === 'string') writeAll(fd, Buffer.from(chunk, encoding));
            else writeAll(fd, chunk);
            cb();
          } catch (e) {
            cb(e);
          }
        },
      });
      stream.fd = fd;
      stream.isTTY = false;
      stream._type = 'pipe';
      stream._isStdio = true;
      stream.destroySoon = stream.destroy;
      stream._destroy = (err, cb) => cb(err); // never close the fd
    }
    return stream;
  };
}

for (const [name, fd] of [['stdout', 1], ['stderr', 2]]) {
  try {
    Object.defineProperty(process, name, {
      configurable: true,
      enumerable: true,
      get: syncStdio(fd),
    });
  } catch {
    // keep node's own stream
  }
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

function isErrorLike(e) {
  return e instanceof Error || util.types.isNativeError(e) ||
    (e !== null && typeof e === 'object' && typeof e.name === 'string' &&
      typeof e.message === 'string');
}

function errorPayload(e) {
  try {
    if (isErrorLike(e)) {
      const stack = typeof e.stack === 'string' ? e.stack.split('\n') : [];
      return { errorType: e.name || 'Error', errorMessage: e.message, trace: stack };
    }
    return { errorType: typeof e, errorMessage: String(e), trace: [] };
  } catch {
    return {
      errorType: 'handled',
      errorMessage: 'callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack',
      trace: [],
    };
  }
}

function errorJson(payload) {
  try {
    return JSON.stringify(payload);
  } catch {
    return JSON.stringify({ errorType: String(payload.errorType), errorMessage: String(payload.errorMessage), trace: [] });
  }
}

class RuntimeError extends Error {
  constructor(name, message, cause) {
    super(message);
    this.name = name;
    if (cause && typeof cause.stack === 'string') {
      const frames = cause.stack.split('\n').filter((l) => l.startsWith('    at '));
      this.stack = [`${name}: ${message}`, ...frames].join('\n');
    }
  }
}

// ---------------------------------------------------------------------------
// Handler loading
// ---------------------------------------------------------------------------

const taskRoot = process.env.LAMBDA_TASK_ROOT || process.cwd();
const handlerString = process.env._HANDLER || '';

function isFile(p) {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

function resolveModuleFile(root, moduleName) {
  const base = path.resolve(root, moduleName);
  for (const ext of ['.js', '.mjs', '.cjs']) {
    if (isFile(base + ext)) return base + ext;
  }
  const req = createRequire(path.join(root, 'noop.js'));
  try {
    return req.resolve(base); // exact file, directory index / package main
  } catch {
    // fall through
  }
  try {
    return req.resolve(moduleName); // node_modules, NODE_PATH (layers)
  } catch {
    return null;
  }
}

async function loadHandler() {
  if (handlerString.includes('..')) {
    throw new RuntimeError('Runtime.MalformedHandlerName',
      `'${handlerString}' is not a valid handler name. Use absolute paths when specifying root directories in handler names.`);
  }
  const slash = handlerString.lastIndexOf('/');
  const moduleRoot = slash === -1 ? '' : handlerString.slice(0, slash);
  const moduleAndHandler = slash === -1 ? handlerString : handlerString.slice(slash + 1);
  const dot = moduleAndHandler.indexOf('.');
  if (dot <= 0 || dot === moduleAndHandler.length - 1) {
    throw new RuntimeError('Runtime.MalformedHandlerName', 'Bad handler');
  }
  const moduleName = moduleAndHandler.slice(0, dot);
  const handlerPath = moduleAndHandler.slice(dot + 1);

  const root = path.resolve(taskRoot, moduleRoot);
  const file = resolveModuleFile(root, moduleName);
  if (!file) {
    throw new RuntimeError('Runtime.ImportModuleError',
      `Error: Cannot find module '${moduleName}'\nRequire stack:\n- ${BOOTSTRAP_PATH}`);
  }

  let ns;
  try {
    ns = await import(pathToFileURL(file).href);
  } catch (e) {
    if (e instanceof SyntaxError) {
      throw new RuntimeError('Runtime.UserCodeSyntaxError', String(e), e);
    }
    if (e && (e.code === 'MODULE_NOT_FOUND' || e.code === 'ERR_MODULE_NOT_FOUND')) {
      throw new RuntimeError('Runtime.ImportModuleError', String(e), e);
    }
    throw e;
  }

  const parts = handlerPath.split('.');
  const walk = (obj) => {
    for (const p of parts) {
      if (obj === null || obj === undefined) return undefined;
      obj = obj[p];
    }
    return obj;
  };
  let fn = walk(ns);
  // CommonJS interop: import() exposes module.exports as `default`; named
  // exports are only present when node's static analysis found them.
  if (fn === undefined && ns.default !== undefined && ns.default !== null) fn = walk(ns.default);
  if (fn === undefined || fn === null) {
    throw new RuntimeError('Runtime.HandlerNotFound', `${handlerString} is undefined or not exported`);
  }
  if (typeof fn !== 'function') {
    throw new RuntimeError('Runtime.HandlerNotFound', `${handlerString} is not a function`);
  }
  return fn;
}

// ---------------------------------------------------------------------------
// Invocation
// ---------------------------------------------------------------------------

const FUNCTION_NAME = process.env.AWS_LAMBDA_FUNCTION_NAME;
const FUNCTION_VERSION = process.env.AWS_LAMBDA_FUNCTION_VERSION;
const MEMORY_SIZE = process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE;
const LOG_GROUP = process.env.AWS_LAMBDA_LOG_GROUP_NAME;
const LOG_STREAM = process.env.AWS_LAMBDA_LOG_STREAM_NAME;

function parseJsonOrUndefined(text) {
  if (text === null || text === undefined || text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

let handler;
let input; // the fd 3 stream
let invocation = null; // { requestId, finish } while an invoke is running
let phase = 'init'; // 'init' | 'idle' | 'invoke'

class Context {
  #deadlineMs;
  #inv;

  constructor(header, inv) {
    this.callbackWaitsForEmptyEventLoop = true;
    this.functionVersion = FUNCTION_VERSION;
    this.functionName = FUNCTION_NAME;
    this.memoryLimitInMB = MEMORY_SIZE;
    this.logGroupName = LOG_GROUP;
    this.logStreamName = LOG_STREAM;
    this.clientContext = parseJsonOrUndefined(header.clientContext);
    this.identity = parseJsonOrUndefined(header.cognitoIdentity);
    this.invokedFunctionArn = header.invokedFunctionArn;
    this.awsRequestId = header.requestId;
    this.#deadlineMs = header.deadlineMs;
    this.#inv = inv;
  }

  getRemainingTimeInMillis() {
    const r = this.#deadlineMs - Date.now();
    return r > 0 ? r : 0;
  }

  succeed(result) {
    this.#inv.finish(null, result);
  }

  fail(err) {
    this.#inv.finish(err === undefined || err === null ? 'handled' : err);
  }

  done(err, result) {
    this.#inv.finish(err, result);
  }
}

function reportError(err) {
  const payload = errorPayload(err);
  const json = errorJson(payload);
  logLine('ERROR', ['Invoke Error \t' + json]);
  sendFrame(T_ERROR, json);
}

function endInvocation() {
  invocation = null;
  phase = 'idle';
  if (waitingForIdleLoop) {
    waitingForIdleLoop = false;
    input.ref();
  }
  if (queue.length) setImmediate(drainQueue);
}

// When a handler neither returned a promise nor called back yet, AWS waits
// until the event loop is empty and then responds with null. Emulate this by
// unref'ing the input pipe and listening for 'beforeExit'.
let waitingForIdleLoop = false;
process.on('beforeExit', () => {
  if (invocation && waitingForIdleLoop) invocation.finish(null, null);
});

function invoke(payload) {
  const h = payload.readUInt32LE(0);
  const header = JSON.parse(payload.toString('utf8', 4, 4 + h));
  const requestId = header.requestId;
  currentRequestId = requestId;
  phase = 'invoke';

  if (header.traceId) process.env._X_AMZN_TRACE_ID = header.traceId;
  else delete process.env._X_AMZN_TRACE_ID;

  let done = false;
  const inv = {
    requestId,
    finish(err, result) {
      if (done) return;
      done = true;
      if (err !== null && err !== undefined) {
        reportError(err);
      } else {
        let json;
        try {
          json = JSON.stringify(result === undefined ? null : result);
          if (json === undefined) json = 'null';
        } catch (e) {
          reportError(new RuntimeError('Runtime.MarshalError', `Unable to stringify response body: ${e && e.message}`, e));
          endInvocation();
          return;
        }
        sendFrame(T_RESPONSE, json);
      }
      endInvocation();
    },
  };
  invocation = inv;

  let event;
  if (payload.length === 4 + h) {
    event = {};
  } else {
    try {
      event = JSON.parse(payload.toString('utf8', 4 + h));
    } catch (e) {
      inv.finish(new RuntimeError('Runtime.UnmarshalError', `Unable to unmarshal input: ${e.message}`, e));
      return;
    }
  }

  const context = new Context(header, inv);
  const callback = (err, result) => inv.finish(err, result);

  let ret;
  try {
    ret = handler(event, context, callback);
  } catch (e) {
    inv.finish(e === undefined || e === null ? new Error(String(e)) : e);
    return;
  }
  if (done) return;
  if (ret !== null && ret !== undefined && typeof ret.then === 'function') {
    ret.then(
      (r) => inv.finish(null, r),
      (e) => inv.finish(e === undefined || e === null ? new Error(String(e)) : e),
    );
  } else if (handler.length < 3 && ret !== undefined) {
    inv.finish(null, ret);
  } else {
    waitingForIdleLoop = true;
    input.unref();
  }
}

// ---------------------------------------------------------------------------
// Fatal errors
// ---------------------------------------------------------------------------

function fatal(kind, err) {
  const payload = errorPayload(err);
  const json = errorJson(payload);
  logLine('ERROR', [`${kind} \t${json}`]);
  try {
    if (phase === 'invoke' && invocation) sendFrame(T_ERROR, json);
    else if (phase === 'init') sendFrame(T_INIT_ERROR, json);
  } finally {
    process.exit(1);
  }
}

process.on('uncaughtException', (err) => fatal('Uncaught Exception', err));
process.on('unhandledRejection', (reason) => {
  const err = new RuntimeError('Runtime.UnhandledPromiseRejection', String(reason),
    reason instanceof Error ? reason : undefined);
  fatal('Unhandled Promise Rejection', err);
});

// ---------------------------------------------------------------------------
// Frame reader
// ---------------------------------------------------------------------------

const chunks = [];
let buffered = 0;
const queue = [];

function take(n) {
  const first = chunks[0];
  if (first.length >= n) {
    if (first.length === n) chunks.shift();
    else chunks[0] = first.subarray(n);
    buffered -= n;
    return first.subarray(0, n);
  }
  const out = Buffer.allocUnsafe(n);
  let off = 0;
  while (off < n) {
    const c = chunks[0];
    const k = Math.min(c.length, n - off);
    c.copy(out, off, 0, k);
    off += k;
    if (k === c.length) chunks.shift();
    else chunks[0] = c.subarray(k);
  }
  buffered -= n;
  return out;
}

function peekHeader() {
  const first = chunks[0];
  if (first.length >= 5) return [first.readUInt32LE(0), first[4]];
  const h = Buffer.allocUnsafe(5);
  let off = 0;
  for (const c of chunks) {
    const k = Math.min(c.length, 5 - off);
    c.copy(h, off, 0, k);
    off += k;
    if (off === 5) break;
  }
  return [h.readUInt32LE(0), h[4]];
}

function onData(chunk) {
  chunks.push(chunk);
  buffered += chunk.length;
  while (buffered >= 5) {
    const [n, type] = peekHeader();
    if (buffered < 5 + n) return;
    take(5);
    const payload = n ? take(n) : Buffer.alloc(0);
    if (type !== T_INVOKE || n < 4) continue;
    if (invocation || queue.length) queue.push(payload);
    else invoke(payload);
  }
}

function drainQueue() {
  if (!invocation && queue.length) invoke(queue.shift());
}

function openInput() {
  let s;
  try {
    s = new net.Socket({ fd: FD_IN, readable: true, writable: false });
  } catch {
    s = fs.createReadStream(null, { fd: FD_IN, highWaterMark: 1 << 20 });
    if (typeof s.ref !== 'function') {
      s.ref = () => {};
      s.unref = () => {};
    }
  }
  s.on('data', onData);
  s.on('end', () => process.exit(0));
  s.on('close', () => process.exit(0));
  s.on('error', () => process.exit(0));
  return s;
}

// ---------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------

try {
  handler = await loadHandler();
} catch (e) {
  const json = errorJson(errorPayload(e));
  logLine('ERROR', ['Uncaught Exception \t' + json]);
  sendFrame(T_INIT_ERROR, json);
  process.exit(1);
}

phase = 'idle';
sendFrame(T_READY);
input = openInput();
