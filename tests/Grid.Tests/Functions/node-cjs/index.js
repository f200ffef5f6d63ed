// CommonJS handlers: async, callback and context styles.
const crypto = require('node:crypto');
const environment = crypto.randomUUID();

exports.echo = async (event) => event;

exports.callback = (event, context, callback) => {
  setTimeout(() => callback(null, { style: 'callback', event }), 5);
};

exports.whoami = async (event) => {
  await new Promise((resolve) => setTimeout(resolve, (event && event.sleep ? event.sleep : 0) * 1000));
  return { environment };
};

exports.context = async (event, context) => ({
  awsRequestId: context.awsRequestId,
  functionName: context.functionName,
  functionVersion: context.functionVersion,
  invokedFunctionArn: context.invokedFunctionArn,
  memoryLimitInMB: Number(context.memoryLimitInMB),
  remaining: context.getRemainingTimeInMillis(),
  logGroupName: context.logGroupName,
  logStreamName: context.logStreamName,
  clientContext: context.clientContext ? context.clientContext.Custom || context.clientContext.custom : null,
});

exports.env = async (event) => Object.fromEntries(event.names.map((n) => [n, process.env[n] ?? null]));

exports.fail = async () => {
  throw new TypeError('node handler failed on purpose');
};

exports.callbackError = (event, context, callback) => callback(new Error('callback error'));

exports.log = async (event) => {
  console.log('hello from node', event.marker);
  return 'logged';
};

// Prints only through a subprocess (not through the bootstrap's console), so the runtime's reply is "silent".
exports.childLog = async (event) => {
  require('child_process').execSync(`echo child says ${event.marker}`, { stdio: 'inherit' });
  return 'child logged';
};

exports.spin = async () => {
  for (;;) { /* runaway */ }
};

exports.crash = async () => process.exit(3);

exports.big = async () => 'x'.repeat(7 * 1024 * 1024);
