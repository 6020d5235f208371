// The nodes run through n8n-core (WorkflowExecute for the action node; HookContext,
// WebhookContext and PollContext for the triggers), loaded from the built package directory,
// against the sandbox API in a child process.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { deliveryHeaders, getPreset } from '../../core/dist/index.js';

const require = createRequire(import.meta.url);
const { loadPackage, runAction, webhookTrigger, pollTrigger } = require('./helpers/harness.cjs');
const { startSandbox } = require('./helpers/sandbox.cjs');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

let sandbox;
let env;

before(async () => {
	// Small read budget so a 429 with Retry-After is reachable; commit lag 0 so emitted events are visible at once.
	sandbox = await startSandbox({ preset: 'integration', visibilityLagMs: 0, policies: { read: 'read:12/2s', write: 'write:100/1m' } });
	env = await loadPackage();
	env.credentials = { baseUrl: sandbox.url, apiKey: sandbox.apiKey, preset: 'integration' };
});

after(async () => {
	await sandbox?.stop();
});

async function feedEvent(id) {
	const { body } = await sandbox.api('GET', '/events?order=desc&limit=100');
	return body.data.find((event) => event.id === id);
}

describe('credentials', () => {
	test('authenticate sends the key the way the preset says', async () => {
		const type = env.loader.credentialTypes.eventsyncApi.type;
		const integration = await type.authenticate({ apiKey: 'k_live_1', preset: 'integration' }, { url: '/x', headers: {} });
		assert.equal(integration.headers['X-Api-Key'], 'k_live_1');
		const partner = await type.authenticate({ apiKey: 'k_live_1', preset: 'partner' }, { url: '/x' });
		assert.equal(partner.headers.Authorization, 'Bearer k_live_1');
	});

	test('the credential test calls GET <base path>/me and explains 401 and 403', () => {
		const { test: credentialTest } = env.loader.credentialTypes.eventsyncApi.type;
		assert.match(credentialTest.request.url, /"partner":"\/api\/v1\/partner"/);
		assert.match(credentialTest.request.url, /\/me$/);
		assert.deepEqual(
			credentialTest.rules.map((rule) => rule.properties.value),
			[401, 403],
		);
	});
});

describe('Eventsync (actions) through WorkflowExecute', () => {
	let customerId;

	test('Record → create customer', async () => {
		const { items, error } = await runAction(env, { resource: 'record', operation: 'createCustomer', email: 'ada@example.com', name: 'Ada Lovelace', additionalFields: { phone: '+44 1' } });
		assert.equal(error, undefined);
		assert.equal(items.length, 1);
		assert.match(items[0].id, /^cus_/);
		assert.equal(items[0].phone, '+44 1');
		customerId = items[0].id;
	});

	test('Record → update, get, find by email, add note, create lead', async () => {
		const updated = await runAction(env, { resource: 'record', operation: 'updateCustomer', customerId, updateFields: { name: 'Ada King' } });
		assert.equal(updated.items[0].name, 'Ada King');
		const got = await runAction(env, { resource: 'record', operation: 'getCustomer', customerId });
		assert.equal(got.items[0].email, 'ada@example.com');
		const found = await runAction(env, { resource: 'record', operation: 'findByEmail', email: 'ADA@example.com', limit: 10 });
		assert.deepEqual(found.items.map((c) => c.id), [customerId]);
		const note = await runAction(env, { resource: 'record', operation: 'addNote', customerId, note: 'Called back' });
		assert.equal(note.items[0].customer_id, customerId);
		const lead = await runAction(env, { resource: 'record', operation: 'createLead', email: 'lead@example.com', name: 'Lee Ead', additionalFields: { source: 'n8n' } });
		assert.match(lead.items[0].id, /^lead_|^led_|^ld_|^[a-z]+_/);
	});

	test('Event → get many: limit, type filter, return all', async () => {
		await sandbox.admin('POST', '/_sandbox/emit', { type: 'invoice.paid', count: 3 });
		const limited = await runAction(env, { resource: 'event', operation: 'getAll', returnAll: false, limit: 2, filters: {} });
		assert.equal(limited.items.length, 2);
		const paid = await runAction(env, { resource: 'event', operation: 'getAll', returnAll: true, filters: { types: ['invoice.paid'] } });
		assert.equal(paid.items.length, 3);
		assert.ok(paid.items.every((event) => event.type === 'invoice.paid'));
	});

	test('errors become NodeApiError with the API message, code and request id', async () => {
		const { error } = await runAction(env, { resource: 'record', operation: 'getCustomer', customerId: 'cus_missing' });
		assert.ok(error, 'the run failed');
		assert.equal(error.name, 'NodeApiError');
		assert.equal(error.httpCode, '404');
		assert.match(error.description, /Code: not_found/);
		assert.match(error.description, /Request ID: \S+/);
	});

	test('a 401 names the key by its last four characters only', async () => {
		const saved = env.credentials;
		env.credentials = { ...saved, apiKey: 'wlcro_test_wrongwrongwrong1234' };
		try {
			const { error } = await runAction(env, { resource: 'subscription', operation: 'getAll', returnAll: true });
			assert.equal(error.name, 'NodeApiError');
			assert.equal(error.httpCode, '401');
			assert.match(error.message, /…1234/);
			assert.doesNotMatch(error.message, /wrongwrongwrong/);
		} finally {
			env.credentials = saved;
		}
	});

	test('a 429 is waited out (Retry-After, n8n sleep) and the call succeeds', async () => {
		const started = Date.now();
		// 12 reads per 2 s: the 14 reads of this loop must hit the limit at least once.
		for (let i = 0; i < 14; i++) {
			const { items, error } = await runAction(env, { resource: 'record', operation: 'getCustomer', customerId });
			assert.equal(error, undefined, `read ${i} failed: ${error?.message}`);
			assert.equal(items[0].id, customerId);
		}
		const { body } = await sandbox.admin('GET', '/_sandbox/stats').then((stats) => ({ body: stats }));
		assert.ok(Date.now() - started >= 900, 'the loop waited for the rate-limit window');
		assert.ok(body, 'stats');
	});

	test('Subscription → get many, get, disable, enable, send test, list failures, delete', async () => {
		const created = await sandbox.api('POST', '/webhooks/subscriptions', { url: 'http://127.0.0.1:9/hook', events: ['*'] });
		assert.equal(created.status, 201);
		const id = created.body.id;
		const list = await runAction(env, { resource: 'subscription', operation: 'getAll', returnAll: true });
		assert.ok(list.items.some((s) => s.id === id));
		const got = await runAction(env, { resource: 'subscription', operation: 'get', subscriptionId: id });
		assert.equal(got.items[0].id, id);
		assert.equal(got.items[0].secret, undefined);
		const disabled = await runAction(env, { resource: 'subscription', operation: 'disable', subscriptionId: id });
		assert.equal(disabled.items[0].active, false);
		const enabled = await runAction(env, { resource: 'subscription', operation: 'enable', subscriptionId: id });
		assert.equal(enabled.items[0].active, true);
		const sent = await runAction(env, { resource: 'subscription', operation: 'sendTest', subscriptionId: id });
		assert.equal(sent.items[0].ok, false, 'nothing listens on port 9');
		const failures = await runAction(env, { resource: 'subscription', operation: 'listFailures', subscriptionId: id, returnAll: false, limit: 5 });
		assert.ok(failures.items.length >= 1);
		assert.ok(failures.items[0].delivery_id);
		const deleted = await runAction(env, { resource: 'subscription', operation: 'delete', subscriptionId: id });
		assert.deepEqual(deleted.items[0], { id, deleted: true });
		const gone = await runAction(env, { resource: 'subscription', operation: 'get', subscriptionId: id });
		assert.equal(gone.error.httpCode, '404');
	});
});

describe('Eventsync Trigger (webhook)', () => {
	const preset = getPreset('integration');
	async function subscriptionsManagedByN8n() {
		const { body } = await sandbox.api('GET', '/webhooks/subscriptions?limit=100');
		return body.data.filter((s) => s.managed_by === 'n8n');
	}
	function signedDelivery(event, secret, tamper = false) {
		const raw = JSON.stringify(event);
		const headers = deliveryHeaders(preset.signature, { secrets: [secret], body: raw, timestamp: Math.floor(Date.now() / 1000), id: 'dlv_test_1', eventType: event.type });
		const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
		const body = tamper ? raw.replace(event.id, `${event.id.slice(0, -1)}X`) : raw;
		return { rawBody: Buffer.from(body), headers: { 'content-type': 'application/json', ...lower } };
	}

	test('create → one managed subscription, id and secret in static data; checkExists true', async () => {
		const trigger = webhookTrigger(env, { events: ['customer.created'] });
		assert.equal(await trigger.checkExists(), false);
		assert.equal(await trigger.create(), true);
		const state = trigger.staticData();
		assert.match(state.subscriptionId, /^whsub_/);
		assert.match(state.secret, /^whsec_/);
		const managed = (await subscriptionsManagedByN8n()).filter((s) => s.id === state.subscriptionId);
		assert.equal(managed.length, 1);
		assert.deepEqual(managed[0].events, ['customer.created']);
		assert.equal(managed[0].url, 'http://127.0.0.1:5678/webhook/b7f0b7a2-0000-4000-8000-000000000001/webhook');
		assert.equal(await trigger.checkExists(), true);

		// A signed delivery starts the workflow with the event; a tampered one is a 401 and starts nothing.
		const [eventId] = (await sandbox.admin('POST', '/_sandbox/emit', { type: 'customer.created' })).ids;
		const event = await feedEvent(eventId);
		const good = await trigger.deliver(signedDelivery(event, state.secret));
		assert.equal(good.sent.status, undefined);
		assert.equal(good.result.workflowData[0].length, 1);
		assert.equal(good.result.workflowData[0][0].json.id, eventId);
		assert.equal(good.result.workflowData[0][0].json.delivery_id, 'dlv_test_1');
		const bad = await trigger.deliver(signedDelivery(event, state.secret, true));
		assert.equal(bad.sent.status, 401);
		assert.deepEqual(bad.result, { noWebhookResponse: true });
		const wrongSecret = await trigger.deliver(signedDelivery(event, 'whsec_' + Buffer.from('not the subscription secret').toString('base64')));
		assert.equal(wrongSecret.sent.status, 401);

		// delete removes it and clears static data
		assert.equal(await trigger.delete(), true);
		assert.equal(trigger.staticData().subscriptionId, undefined);
		assert.equal(trigger.staticData().secret, undefined);
		assert.equal((await subscriptionsManagedByN8n()).filter((s) => s.id === state.subscriptionId).length, 0);
	});

	test('checkExists tells a gone or auto-disabled subscription from a live one', async () => {
		const trigger = webhookTrigger(env, { events: [] });
		await trigger.create();
		const { subscriptionId } = trigger.staticData();
		const managed = (await subscriptionsManagedByN8n()).find((s) => s.id === subscriptionId);
		assert.deepEqual(managed.events, ['*']);
		// disabled (as the circuit breaker does) → not live: forgotten and removed so create() makes a fresh one
		await sandbox.api('PATCH', `/webhooks/subscriptions/${subscriptionId}`, { active: false });
		assert.equal(await trigger.checkExists(), false);
		assert.equal(trigger.staticData().subscriptionId, undefined);
		assert.equal((await sandbox.api('GET', `/webhooks/subscriptions/${subscriptionId}`)).status, 404);
		// gone → false
		await trigger.create();
		const second = trigger.staticData().subscriptionId;
		await sandbox.api('DELETE', `/webhooks/subscriptions/${second}`);
		assert.equal(await trigger.checkExists(), false);
		assert.equal(trigger.staticData().subscriptionId, undefined);
	});

	test('delete: an already deleted subscription is fine; an API failure still clears static data', async () => {
		const trigger = webhookTrigger(env, { events: [] });
		await trigger.create();
		await sandbox.api('DELETE', `/webhooks/subscriptions/${trigger.staticData().subscriptionId}`);
		assert.equal(await trigger.delete(), true);
		assert.equal(trigger.staticData().subscriptionId, undefined);

		await trigger.create();
		const orphan = trigger.staticData().subscriptionId;
		const saved = env.credentials;
		env.credentials = { ...saved, baseUrl: 'http://127.0.0.1:9' };
		try {
			assert.equal(await trigger.delete(), false);
		} finally {
			env.credentials = saved;
		}
		assert.equal(trigger.staticData().subscriptionId, undefined);
		assert.equal(trigger.staticData().secret, undefined);
		await sandbox.api('DELETE', `/webhooks/subscriptions/${orphan}`);
	});

	test('test (manual) and production webhooks keep separate subscriptions', async () => {
		const production = webhookTrigger(env, { events: [] }, { mode: 'trigger' });
		const testing = webhookTrigger(env, { events: [] }, { mode: 'manual' });
		await production.create();
		await testing.create();
		const prod = production.staticData();
		const test = testing.staticData();
		assert.notEqual(prod.subscriptionId, test.subscriptionId);
		assert.match(prod.url, /\/webhook\//);
		assert.match(test.url, /\/webhook-test\//);
		assert.equal(await testing.delete(), true);
		assert.equal(await production.checkExists(), true, 'removing the test subscription leaves production alone');
		assert.equal(await production.delete(), true);
	});
});

describe('Eventsync Poll Trigger', () => {
	test('emits each event once, null when nothing is new; manual mode samples without moving the checkpoint', async () => {
		const trigger = pollTrigger(env, { events: ['appointment.scheduled', 'appointment.completed'] });
		assert.equal(await trigger.poll(), null, 'first activation starts from now');
		const checkpoint = JSON.stringify(trigger.staticData().checkpoint);
		assert.ok(checkpoint);

		const first = (await sandbox.admin('POST', '/_sandbox/emit', { type: 'appointment.scheduled', count: 3 })).ids;
		await sandbox.admin('POST', '/_sandbox/emit', { type: 'invoice.created', count: 2 });
		await sleep(1_200); // the tracker reads up to now - 1 s
		const afterFirst = JSON.stringify(trigger.staticData().checkpoint);
		const sample = await trigger.poll('manual');
		assert.equal(sample[0].length, 1);
		assert.equal(sample[0][0].json.id, first[2], 'the newest matching event');
		assert.equal(JSON.stringify(trigger.staticData().checkpoint), afterFirst, 'manual mode leaves the checkpoint alone');

		const polled = await trigger.poll();
		assert.deepEqual(polled[0].map((item) => item.json.id), first);
		assert.equal(await trigger.poll(), null);

		const second = (await sandbox.admin('POST', '/_sandbox/emit', { type: 'appointment.completed', count: 2 })).ids;
		await sleep(1_200);
		const again = await trigger.poll();
		assert.deepEqual(again[0].map((item) => item.json.id), second);
		assert.equal(await trigger.poll(), null);
	});

	test('late-committing events inside the look-back are emitted once, not lost', async () => {
		const trigger = pollTrigger(env, { events: ['payment.received'] });
		assert.equal(await trigger.poll(), null);
		// One visible at once, one that commits 2.5 s late (created earlier than it becomes visible).
		const early = (await sandbox.admin('POST', '/_sandbox/emit', { type: 'payment.received', commitDelayMs: 0 })).ids;
		const late = (await sandbox.admin('POST', '/_sandbox/emit', { type: 'payment.received', commitDelayMs: 2_500 })).ids;
		await sleep(1_200);
		const first = await trigger.poll();
		assert.deepEqual(first[0].map((item) => item.json.id), early);
		await sleep(2_000);
		const second = await trigger.poll();
		assert.deepEqual(second[0].map((item) => item.json.id), late);
		assert.equal(await trigger.poll(), null);
	});
});
