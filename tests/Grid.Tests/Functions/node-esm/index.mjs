// An ES-module handler.
export const handler = async (event, context) => ({ module: 'esm', event, name: context.functionName });
