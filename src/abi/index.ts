/** The event ABI: constants, the kind registry (schema), dispatcher, encoders, decoders and field meaning. Imports nothing else of ours. */
export * from './constants.js';
export * from './layout.js';
export * from './schema.js';
export * from './bytes.js';
export * from './header-access.js';
export * from './dispatch.js';
export * from './decode.js';
export * from './encode.js';
export * from './manifest-schema.js';
export * from './values.js';
export * from './views.js';
export * from './unix-path.js';
export * from './event-values.js';
