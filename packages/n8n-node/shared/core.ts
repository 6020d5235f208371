// The one place this package reaches into the core. It is a relative import of the core's
// pure layer (never `@eventsync/core/node`): esbuild bundles it into each dist file, so the
// published package has no runtime dependencies and no axios, Bottleneck, timers or process.
export * from '../../core/src/index';
