/** The event ABI: constants, schema, dispatcher, encoders and decoders. Imports nothing else of ours. */
export * from './constants.js';
export * from './layout.js';
export * from './schema.js';
export * from './dispatch.js';
export * from './decode.js';
export * from './encode.js';
export * from './manifest-schema.js';
