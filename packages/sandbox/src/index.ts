// The public face of @eventsync/sandbox: re-exports only.
export { startSandbox, type Sandbox } from './server.js';
export type { FaultOptions, GeneratorOptions, SandboxKey, SandboxOptions } from './options.js';
export type { RequestRecord } from './request-log.js';
