// The Eventsync action node through n8n-core's WorkflowExecute against the sandbox: one resource per
// noun, Idempotency-Keys on writes, the feed newest first, errors, rate limits, subscriptions.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { runAction } = require('./helpers/harness.cjs');
const { setUp } = require('./helpers/setup.cjs');
const { shippedSchema, problems } = require('./helpers/schema.cjs');

let sandbox;
let env;

before(async () => {
	// Small read budget so a 429 with Retry-After is reachable.
	({ sandbox, env } = await setUp({ policies: { read: 'read:12/2s', write: 'write:100/1m' } }));
});

after(async () => {
	await sandbox?.stop();
});

/** Runs the action and checks every output item against the schema file the package ships for it. */
async function act(parameters, options) {
	const result = await runAction(env, parameters, options);
	if (result.items) {
		const schema = shippedSchema(`nodes/Eventsync/__schema__/v1.0.0/${parameters.resource}/${parameters.operation}.json`);
		for (const item of result.items) assert.deepEqual(problems(item, schema), [], `${parameters.resource}/${parameters.operation} output vs its schema`);
	}
	return result;
}

const writes = (path) => env.requests.filter((request) => request.method !== 'GET' && request.url.endsWith(path));
const customersWithEmail = async (email) => (await sandbox.api('GET', `/customers?email=${encodeURIComponent(email)}`)).body.data;

describe('resources', () => {
	test('one per noun, and the canvas subtitle names operation and noun', () => {
		const { description } = env.nodeTypes.getByName('n8n-nodes-eventsync.eventsync');
		const resource = description.properties.find((property) => property.name === 'resource');
		assert.deepEqual(
			resource.options.map((option) => option.name),
			['Customer', 'Event', 'Lead', 'Note', 'Subscription'],
		);
		assert.equal(resource.default, 'customer');
		assert.equal(description.subtitle, '={{ $parameter["operation"] + ": " + $parameter["resource"] }}');
		const operations = (noun) => description.properties.find((property) => property.name === 'operation' && property.displayOptions.show.resource[0] === noun).options.map((option) => option.value);
		assert.deepEqual(operations('customer'), ['create', 'findByEmail', 'get', 'update']);
		assert.deepEqual(operations('lead'), ['create']);
		assert.deepEqual(operations('note'), ['create']);
	});
});

describe('Customer, Lead, Note', () => {
	let customerId;

	test('Customer → Create', async () => {
		const { items, error } = await act({ resource: 'customer', operation: 'create', email: 'ada@example.com', name: 'Ada Lovelace', additionalFields: { phone: '+44 1' } });
		assert.equal(error, undefined);
		assert.equal(items.length, 1);
		assert.match(items[0].id, /^cus_/);
		assert.equal(items[0].phone, '+44 1');
		customerId = items[0].id;
	});

	test('Customer → Update, Get, Find by Email; Note → Create; Lead → Create', async () => {
		const updated = await act({ resource: 'customer', operation: 'update', customerId, updateFields: { name: 'Ada King' } });
		assert.equal(updated.items[0].name, 'Ada King');
		const got = await act({ resource: 'customer', operation: 'get', customerId });
		assert.equal(got.items[0].email, 'ada@example.com');
		const found = await act({ resource: 'customer', operation: 'findByEmail', email: 'ADA@example.com', limit: 10 });
		assert.deepEqual(found.items.map((c) => c.id), [customerId]);
		const note = await act({ resource: 'note', operation: 'create', customerId, note: 'Called back' });
		assert.equal(note.items[0].customer_id, customerId);
		const lead = await act({ resource: 'lead', operation: 'create', email: 'lead@example.com', name: 'Lee Ead', additionalFields: { source: 'n8n' } });
		assert.match(lead.items[0].id, /^lead_/);
	});
});

describe('Idempotency-Key on writes: execution + node + run + item', () => {
	test('every create and update carries one, named after the operation', async () => {
		env.requests.length = 0;
		const created = await act({ resource: 'customer', operation: 'create', email: 'key@example.com', name: 'Kay' });
		const id = created.items[0].id;
		await act({ resource: 'customer', operation: 'update', customerId: id, updateFields: { phone: '+1 555' } });
		await act({ resource: 'note', operation: 'create', customerId: id, note: 'keyed' });
		await act({ resource: 'lead', operation: 'create', email: 'key-lead@example.com', name: 'Kay Lead' });
		const keyOf = (path) => writes(path).map((request) => request.headers['Idempotency-Key']);
		assert.match(keyOf('/customers')[0], /^n8n-customer-create-[0-9a-f]{40}$/);
		assert.match(keyOf(`/customers/${id}`)[0], /^n8n-customer-update-[0-9a-f]{40}$/);
		assert.match(keyOf(`/customers/${id}/notes`)[0], /^n8n-note-create-[0-9a-f]{40}$/);
		assert.match(keyOf('/leads')[0], /^n8n-lead-create-[0-9a-f]{40}$/);
	});

	test('the same execution running the node again (Retry On Fail) creates nothing twice', async () => {
		const parameters = { resource: 'customer', operation: 'create', email: 'retry@example.com', name: 'Re Try' };
		const first = await act(parameters, { executionId: 'exec-retry' });
		const again = await act(parameters, { executionId: 'exec-retry' });
		assert.equal(again.items[0].id, first.items[0].id, 'the API answered the repeated key with the first result');
		assert.equal((await customersWithEmail('retry@example.com')).length, 1);
	});

	test('two items with the same input are two customers; so is a new execution', async () => {
		env.requests.length = 0;
		const parameters = { resource: 'customer', operation: 'create', email: 'twins@example.com', name: 'Twin' };
		const both = await act(parameters, { items: 2, executionId: 'exec-twins' });
		assert.equal(both.items.length, 2);
		assert.notEqual(both.items[0].id, both.items[1].id);
		const keys = writes('/customers').map((request) => request.headers['Idempotency-Key']);
		assert.equal(new Set(keys).size, 2, 'one key per item');
		await act(parameters, { executionId: 'exec-twins-rerun' });
		assert.equal((await customersWithEmail('twins@example.com')).length, 3);
	});
});

describe('Event → Get Many', () => {
	test('newest first by default, so a limit keeps the latest; Oldest First on request; type filter; return all', async () => {
		const { ids } = await sandbox.admin('POST', '/_sandbox/emit', { type: 'invoice.paid', count: 3 });
		const newest = await act({ resource: 'event', operation: 'getAll', returnAll: false, limit: 2, filters: {} });
		const { body } = await sandbox.api('GET', '/events?order=desc&limit=2');
		assert.deepEqual(
			newest.items.map((event) => event.id),
			body.data.map((event) => event.id),
		);
		assert.deepEqual(newest.items.map((event) => event.id), [ids[2], ids[1]]);
		const oldest = await act({ resource: 'event', operation: 'getAll', returnAll: false, limit: 2, order: 'asc', filters: { types: ['invoice.paid'] } });
		assert.deepEqual(oldest.items.map((event) => event.id), [ids[0], ids[1]]);
		const paid = await act({ resource: 'event', operation: 'getAll', returnAll: true, filters: { types: ['invoice.paid'] } });
		assert.deepEqual(paid.items.map((event) => event.id), [...ids].reverse());
	});
});

describe('errors and rate limits', () => {
	test('errors become NodeApiError with the API message, code and request id', async () => {
		const { error } = await runAction(env, { resource: 'customer', operation: 'get', customerId: 'cus_missing' });
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
		const { items } = await act({ resource: 'customer', operation: 'create', email: 'limits@example.com', name: 'Lim Its' });
		const customerId = items[0].id;
		const started = Date.now();
		// 12 reads per 2 s: the 14 reads of this loop must hit the limit at least once.
		for (let i = 0; i < 14; i++) {
			const { items: got, error } = await runAction(env, { resource: 'customer', operation: 'get', customerId });
			assert.equal(error, undefined, `read ${i} failed: ${error?.message}`);
			assert.equal(got[0].id, customerId);
		}
		assert.ok(Date.now() - started >= 900, 'the loop waited for the rate-limit window');
	});
});

describe('Subscription', () => {
	test('get many, get, disable, enable, send test, list failures, delete', async () => {
		const created = await sandbox.api('POST', '/webhooks/subscriptions', { url: 'http://127.0.0.1:9/hook', events: ['*'] });
		assert.equal(created.status, 201);
		const id = created.body.id;
		const list = await act({ resource: 'subscription', operation: 'getAll', returnAll: true });
		assert.ok(list.items.some((s) => s.id === id));
		const got = await act({ resource: 'subscription', operation: 'get', subscriptionId: id });
		assert.equal(got.items[0].id, id);
		assert.equal(got.items[0].secret, undefined);
		const disabled = await act({ resource: 'subscription', operation: 'disable', subscriptionId: id });
		assert.equal(disabled.items[0].active, false);
		const enabled = await act({ resource: 'subscription', operation: 'enable', subscriptionId: id });
		assert.equal(enabled.items[0].active, true);
		const sent = await act({ resource: 'subscription', operation: 'sendTest', subscriptionId: id });
		assert.equal(sent.items[0].ok, false, 'nothing listens on port 9');
		const failures = await act({ resource: 'subscription', operation: 'listFailures', subscriptionId: id, returnAll: false, limit: 5 });
		assert.ok(failures.items.length >= 1);
		assert.ok(failures.items[0].delivery_id);
		const deleted = await act({ resource: 'subscription', operation: 'delete', subscriptionId: id });
		assert.deepEqual(deleted.items[0], { id, deleted: true });
		const gone = await runAction(env, { resource: 'subscription', operation: 'get', subscriptionId: id });
		assert.equal(gone.error.httpCode, '404');
	});
});
