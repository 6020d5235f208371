// The Eventsync API credential: how it sends the key, what its form shows, and its test request
// run the way n8n's credential tester runs it (RoutingNode through n8n-core) against the sandbox.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { PRESETS, presetChoices } from '../../core/dist/index.js';

const require = createRequire(import.meta.url);
const { runAction, runCredentialTest } = require('./helpers/harness.cjs');
const { setUp } = require('./helpers/setup.cjs');

let sandbox;
let env;
let type;

before(async () => {
	({ sandbox, env } = await setUp());
	type = env.loader.credentialTypes.eventsyncApi.type;
});

after(async () => {
	await sandbox?.stop();
});

const field = (name) => type.properties.find((property) => property.name === name);

describe('authenticate', () => {
	test('sends the key the way the preset says, and a blank or unknown preset as the default', async () => {
		const integration = await type.authenticate({ apiKey: 'k_live_1', preset: 'integration' }, { url: '/x', headers: {} });
		assert.equal(integration.headers['X-Api-Key'], 'k_live_1');
		const partner = await type.authenticate({ apiKey: 'k_live_1', preset: 'partner' }, { url: '/x' });
		assert.deepEqual(partner.headers, { Authorization: 'Bearer k_live_1' });
		const blank = await type.authenticate({ apiKey: 'k_live_1', preset: '' }, { url: '/x' });
		assert.deepEqual(blank.headers, { 'X-Api-Key': 'k_live_1' });
	});
});

describe('the form', () => {
	test('Base URL: empty with a placeholder, and its rule shown as a hint below the field', () => {
		const baseUrl = field('baseUrl');
		assert.equal(baseUrl.default, '');
		assert.equal(baseUrl.placeholder, 'https://api.example.com');
		assert.match(baseUrl.hint, /origin \(https:\/\/api\.example\.com\) or its full base URL \(https:\/\/api\.example\.com\/api\/v1\)/);
	});

	test('API Variant: user words from the core (labels, key prefixes), no internal names', () => {
		const preset = field('preset');
		assert.equal(preset.displayName, 'API Variant');
		assert.deepEqual(
			[...preset.options].sort((a, b) => a.value.localeCompare(b.value)),
			presetChoices()
				.map((choice) => ({ name: choice.label, value: choice.value, description: choice.description }))
				.sort((a, b) => a.value.localeCompare(b.value)),
		);
		for (const option of preset.options) {
			assert.doesNotMatch(`${option.name} ${option.description}`, /seed|§|contract/i);
			assert.doesNotMatch(option.name, /^Psa\b/);
			assert.match(option.description, new RegExp(`${PRESETS[option.value].keyPrefix}_live_`));
		}
		assert.equal(type.documentationUrl.includes('#'), false, 'no anchor for n8n to break');
	});

	test('a 404 is answered with what to enter', () => {
		const rule = type.test.rules.find((candidate) => candidate.properties.value === 404);
		assert.match(rule.properties.message, /origin, e\.g\. https:\/\/api\.example\.com, or its full base URL, e\.g\. https:\/\/api\.example\.com\/api\/v1/);
		assert.deepEqual(
			type.test.rules.map((candidate) => candidate.properties.value),
			[401, 403, 404],
		);
	});
});

describe('the test request (GET <base path>/me)', () => {
	const origin = () => sandbox.url.replace(/\/+$/, '');

	for (const [name, typed] of [
		['the origin', () => origin()],
		['the origin with a trailing slash', () => `${origin()}/`],
		['the full base URL the sandbox prints', () => sandbox.baseUrl],
		['the full base URL with a trailing slash', () => `${sandbox.baseUrl}/`],
	]) {
		test(`reaches /api/v1/me from ${name}`, async () => {
			env.requests.length = 0;
			const { items, error } = await runCredentialTest(env, { baseUrl: typed(), apiKey: sandbox.apiKey, preset: 'integration' });
			assert.equal(error, undefined, error?.message);
			assert.ok(items[0].key, 'the answer of GET /me');
			const [request] = env.requests;
			assert.equal(`${request.baseURL}${request.url}`, `${origin()}/api/v1/me`);
		});
	}

	test('takes the preset\'s base path (partner: /api/v1/partner), also when it was pasted', async () => {
		for (const baseUrl of [origin(), `${origin()}/api/v1/partner`]) {
			env.requests.length = 0;
			await runCredentialTest(env, { baseUrl, apiKey: sandbox.apiKey, preset: 'partner' });
			assert.equal(`${env.requests[0].baseURL}${env.requests[0].url}`, `${origin()}/api/v1/partner/me`);
		}
	});

	test('a path that is not the API is a 404 (which the 404 rule explains)', async () => {
		const { error } = await runCredentialTest(env, { baseUrl: `${origin()}/v2`, apiKey: sandbox.apiKey, preset: 'integration' });
		assert.ok(error, 'the test request failed');
		assert.equal(String(error.httpCode), '404');
	});
});

describe('the nodes with a pasted full base URL', () => {
	test('call the API at the right path', async () => {
		const saved = env.credentials;
		env.credentials = { ...saved, baseUrl: `${sandbox.baseUrl}/` };
		try {
			const { items, error } = await runAction(env, { resource: 'subscription', operation: 'getAll', returnAll: true });
			assert.equal(error, undefined, error?.message);
			assert.ok(Array.isArray(items));
		} finally {
			env.credentials = saved;
		}
	});
});
