// The Eventsync Instant Trigger as n8n's active-workflow machinery drives it (HookContext for the
// subscription, WebhookContext for each delivery) against the sandbox.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { deliveryHeaders, getPreset } from '../../core/dist/index.js';

const require = createRequire(import.meta.url);
const { webhookTrigger } = require('./helpers/harness.cjs');
const { setUp } = require('./helpers/setup.cjs');
const { shippedSchema, problems } = require('./helpers/schema.cjs');

let sandbox;
let env;

before(async () => {
	// Room for the many subscription writes of this file: the default 30 writes a minute would make one wait out a 429.
	({ sandbox, env } = await setUp({ policies: { read: 'read:600/1m', write: 'write:600/1m' } }));
});

after(async () => {
	await sandbox?.stop();
});

const preset = getPreset('integration');

async function subscriptionsManagedByN8n() {
	const { body } = await sandbox.api('GET', '/webhooks/subscriptions?limit=100');
	return body.data.filter((s) => s.managed_by === 'n8n');
}

async function feedEvent(id) {
	const { body } = await sandbox.api('GET', '/events?order=desc&limit=100');
	return body.data.find((event) => event.id === id);
}

/** A delivery as the API sends it: `raw` signed with `secret`; `tamper` changes the body after signing. */
function signed(raw, secret, { tamper = false, eventType = 'customer.created' } = {}) {
	const headers = deliveryHeaders(preset.signature, { secrets: [secret], body: raw, timestamp: Math.floor(Date.now() / 1000), id: 'dlv_test_1', eventType });
	const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
	return { rawBody: Buffer.from(tamper ? `${raw} ` : raw), headers: { 'content-type': 'application/json', ...lower } };
}

const ping = (subscriptionId) => JSON.stringify({ id: 'evt_test_1', type: 'webhook.test', created_at: new Date().toISOString(), data: { subscription_id: subscriptionId } });

/** Asserts an answer without a run: the status sent, and no workflow data. */
function assertNoRun({ result, sent }, status) {
	assert.equal(sent.status, status);
	assert.deepEqual(result, { noWebhookResponse: true });
}

describe('description', () => {
	test('reads as the instant one, with n8n\'s trigger panel texts and an All Events choice', () => {
		const { description } = env.nodeTypes.getByName('n8n-nodes-eventsync.eventsyncTrigger');
		assert.equal(description.displayName, 'Eventsync Instant Trigger');
		assert.match(description.description, /the moment Eventsync sends an event/);
		assert.ok(description.triggerPanel.header && description.triggerPanel.executionsHelp.active && description.triggerPanel.activationHint);
		assert.ok(description.eventTriggerDescription && description.activationMessage);
		const events = description.properties.find((property) => property.name === 'events');
		assert.deepEqual(events.options[0], { name: 'All Events', value: '*', description: 'Every event type, including ones added later' });
		assert.equal(events.options.length, 11);
	});
});

describe('subscription lifecycle', () => {
	test('create → one managed subscription, id and secret in static data; checkExists true; delete clears it', async () => {
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
		assert.equal(await trigger.delete(), true);
		assert.equal(trigger.staticData().subscriptionId, undefined);
		assert.equal(trigger.staticData().secret, undefined);
		assert.equal((await subscriptionsManagedByN8n()).filter((s) => s.id === state.subscriptionId).length, 0);
	});

	test('All Events (or nothing chosen, or * among types) subscribes to *', async () => {
		for (const events of [['*'], [], ['customer.created', '*']]) {
			const trigger = webhookTrigger(env, { events });
			await trigger.create();
			const managed = (await subscriptionsManagedByN8n()).find((s) => s.id === trigger.staticData().subscriptionId);
			assert.deepEqual(managed.events, ['*'], JSON.stringify(events));
			await trigger.delete();
		}
	});

	test('checkExists tells a gone or auto-disabled subscription from a live one', async () => {
		const trigger = webhookTrigger(env, { events: ['*'] });
		await trigger.create();
		const { subscriptionId } = trigger.staticData();
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
		const trigger = webhookTrigger(env, { events: ['*'] });
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
		const production = webhookTrigger(env, { events: ['*'] }, { mode: 'trigger' });
		const testing = webhookTrigger(env, { events: ['*'] }, { mode: 'manual' });
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

describe('deliveries', () => {
	let secret;
	const triggers = [];
	/** A trigger with a live subscription; `mode` manual is the editor listening for a test event. */
	async function listening(events, mode = 'trigger') {
		const trigger = webhookTrigger(env, { events }, { mode });
		await trigger.create();
		triggers.push(trigger);
		return trigger;
	}

	after(async () => {
		for (const trigger of triggers) await trigger.delete();
	});

	test('a signed event starts a run carrying the envelope and delivery id; tampered or wrongly signed: 401, no run', async () => {
		const trigger = await listening(['customer.created']);
		({ secret } = trigger.staticData());
		const [eventId] = (await sandbox.admin('POST', '/_sandbox/emit', { type: 'customer.created' })).ids;
		const raw = JSON.stringify(await feedEvent(eventId));
		const good = await trigger.deliver(signed(raw, secret));
		assert.equal(good.sent.status, undefined);
		assert.equal(good.result.workflowData[0].length, 1);
		const item = good.result.workflowData[0][0].json;
		assert.equal(item.id, eventId);
		assert.equal(item.delivery_id, 'dlv_test_1');
		assert.deepEqual(problems(item, shippedSchema('nodes/EventsyncTrigger/__schema__/v1.0.0.json')), []);
		assertNoRun(await trigger.deliver(signed(raw, secret, { tamper: true })), 401);
		assertNoRun(await trigger.deliver(signed(raw, `whsec_${Buffer.from('not the subscription secret').toString('base64')}`)), 401);
	});

	test('a signed body that is not an event: 400, no run; the signature is checked first (unsigned: 401)', async () => {
		const trigger = await listening(['*']);
		({ secret } = trigger.staticData());
		const notJson = await trigger.deliver(signed('this is not json', secret));
		assertNoRun(notJson, 400);
		assert.equal(notJson.sent.body.error.code, 'invalid_body');
		assertNoRun(await trigger.deliver(signed('{"id":"evt_1"}', secret)), 400);
		assertNoRun(await trigger.deliver({ rawBody: Buffer.from('this is not json'), headers: {} }), 401);
	});

	test('webhook.test pings: 200 and no run in production; in the editor shown only with All Events', async () => {
		const production = await listening(['*']);
		const body = ping(production.staticData().subscriptionId);
		const answered = await production.deliver(signed(body, production.staticData().secret, { eventType: 'webhook.test' }));
		assertNoRun(answered, 200);
		assert.deepEqual(answered.sent.body, { received: true, ignored: 'webhook.test' });

		const editorSpecific = await listening(['customer.created'], 'manual');
		assertNoRun(await editorSpecific.deliver(signed(body, editorSpecific.staticData().secret, { eventType: 'webhook.test' })), 200);

		const editorAll = await listening(['*'], 'manual');
		const shown = await editorAll.deliver(signed(body, editorAll.staticData().secret, { eventType: 'webhook.test' }));
		assert.equal(shown.result.workflowData[0][0].json.type, 'webhook.test');
	});

	test('an event of a type not chosen (a subscription edited elsewhere): 200, no run', async () => {
		const trigger = await listening(['customer.created']);
		const [eventId] = (await sandbox.admin('POST', '/_sandbox/emit', { type: 'invoice.paid' })).ids;
		const raw = JSON.stringify(await feedEvent(eventId));
		assertNoRun(await trigger.deliver(signed(raw, trigger.staticData().secret, { eventType: 'invoice.paid' })), 200);
	});
});
