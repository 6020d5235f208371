// One sandbox and the built package per test file.
const { loadPackage } = require('./harness.cjs');
const { startSandbox } = require('./sandbox.cjs');

async function setUp(sandboxOptions = {}) {
	// Commit lag 0 so emitted events are visible at once, unless a test asks otherwise.
	const sandbox = await startSandbox({ preset: 'integration', visibilityLagMs: 0, ...sandboxOptions });
	const env = await loadPackage();
	env.credentials = { baseUrl: sandbox.url, apiKey: sandbox.apiKey, preset: 'integration' };
	return { sandbox, env };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

module.exports = { setUp, sleep };
