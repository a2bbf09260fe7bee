// A generic gRPC client that knows nothing of paasta's protos: it asks the
// daemon's server reflection for its services and for the descriptor of one
// service, builds a client from that descriptor, and calls one method.
//
//   node client.js <host:port> <service> <method> [<request as JSON>]
//
// Requests and responses use the proto's own field names (keepCase).
// Prints {"services": [...], "call": "<service>/<method>", "response": {...}}
// as one JSON line; exits 1 with the error on stderr.
'use strict';
const grpc = require('@grpc/grpc-js');
const { GrpcReflection } = require('grpc-js-reflection-client');

async function main() {
  const [address, service, method, requestJson] = process.argv.slice(2);
  if (!address || !service || !method) {
    throw new Error('usage: node client.js <host:port> <service> <method> [<request as JSON>]');
  }
  const credentials = grpc.credentials.createInsecure();
  const reflection = new GrpcReflection(address, credentials);
  const services = await reflection.listServices();
  const descriptor = await reflection.getDescriptorBySymbol(service);
  const root = descriptor.getPackageObject({ keepCase: true, longs: String, enums: String, defaults: false });
  let Client = root;
  for (const part of service.split('.')) Client = Client[part];
  if (typeof Client !== 'function') throw new Error(`no service ${service} in its descriptor`);
  const client = new Client(address, credentials);
  const request = requestJson ? JSON.parse(requestJson) : {};
  const response = await new Promise((resolve, reject) => {
    client[method](request, { deadline: Date.now() + 10000 }, (error, answer) => (error ? reject(error) : resolve(answer)));
  });
  client.close();
  console.log(JSON.stringify({ services, call: `${service}/${method}`, response }));
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error && error.message ? error.message : String(error));
    process.exit(1);
  },
);
