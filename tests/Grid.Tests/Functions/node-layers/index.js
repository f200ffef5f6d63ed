// Requires a package that only a layer provides (nodejs/node_modules -> /opt/nodejs/node_modules).
exports.handler = async () => {
  const greeting = require('grid-greeting');
  return { greeting: greeting.greet('node'), resolved: require.resolve('grid-greeting') };
};
