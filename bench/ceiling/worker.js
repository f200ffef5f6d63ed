// One "environment" of relay.js: reads invoke frames on fd 3, runs an echo handler, writes reply frames on fd 4.
'use strict';
const fs = require('fs');
const net = require('net');

const handler = async (event) => event;
let pending = Buffer.alloc(0);

new net.Socket({ fd: 3, readable: true, writable: false }).on('data', (chunk) => {
  pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
  while (pending.length >= 5) {
    const length = pending.readUInt32LE(0);
    if (pending.length < 5 + length) return;
    const payload = pending.subarray(5, 5 + length);
    pending = pending.subarray(5 + length);
    const headerLength = payload.readUInt32LE(0);
    const header = JSON.parse(payload.toString('utf8', 4, 4 + headerLength));
    const event = payload.length > 4 + headerLength ? JSON.parse(payload.toString('utf8', 4 + headerLength)) : {}; // empty means {}, as in Grid
    handler(event, { awsRequestId: header.requestId }).then((result) => {
      const json = JSON.stringify(result);
      const frame = Buffer.allocUnsafe(5 + Buffer.byteLength(json));
      frame.writeUInt32LE(frame.length - 5, 0);
      frame[4] = 0x12;
      frame.utf8Write(json, 5);
      fs.writeSync(4, frame);
    });
  }
});
