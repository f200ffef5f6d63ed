// Node echo handler used by every benchmark target (Grid nodejs runtime, serverless-offline).
exports.handler = async (event) => event;
