// The Eventsync Polling Trigger as n8n calls it (PollContext; `trigger` mode for an active
// workflow, `manual` for the editor's sample) against the sandbox.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { pollTrigger } = require('./helpers/harness.cjs');
const { setUp, sleep } = require('./helpers/setup.cjs');
const { shippedSchema, problems } = require('./helpers/schema.cjs');

let sandbox;
let env;

before(async () => {
	({ sandbox, env } = await setUp({ policies: { read: 'read:600/1m', write: 'write:600/1m' } }));
});

after(async () => {
	await sandbox?.stop();
});

const ids = (output) => output[0].map((item) => item.json.id);

describe('description', () => {
	test('reads as the scheduled one, with n8n\'s trigger panel texts', () => {
		const { description } = env.nodeTypes.getByName('n8n-nodes-eventsync.eventsyncPollTrigger');
		assert.equal(description.displayName, 'Eventsync Polling Trigger');
		assert.match(description.description, /on a schedule/);
		assert.match(description.triggerPanel.header, /Checks Eventsync for new events/);
		assert.ok(description.triggerPanel.executionsHelp.inactive && description.triggerPanel.activationHint);
	});
});

describe('polls', () => {
	test('emits each event once, null when nothing is new; manual mode samples without moving the checkpoint', async () => {
		const trigger = pollTrigger(env, { events: ['appointment.scheduled', 'appointment.completed'] });
		assert.equal(await trigger.poll(), null, 'first activation starts from now');
		assert.ok(trigger.staticData().checkpoint);

		const first = (await sandbox.admin('POST', '/_sandbox/emit', { type: 'appointment.scheduled', count: 3 })).ids;
		await sandbox.admin('POST', '/_sandbox/emit', { type: 'invoice.created', count: 2 });
		// The pass reads up to the API's now - 1 s, that now estimated from whole-second Date headers (±0.5 s).
		await sleep(2_000);
		const afterFirst = JSON.stringify(trigger.staticData().checkpoint);
		const sample = await trigger.poll('manual');
		assert.deepEqual(ids(sample), [first[2]], 'the newest matching event');
		assert.equal(JSON.stringify(trigger.staticData().checkpoint), afterFirst, 'manual mode leaves the checkpoint alone');

		const polled = await trigger.poll();
		assert.deepEqual(ids(polled), first);
		for (const item of polled[0]) assert.deepEqual(problems(item.json, shippedSchema('nodes/EventsyncPollTrigger/__schema__/v1.0.0.json')), []);
		assert.equal(await trigger.poll(), null);

		const second = (await sandbox.admin('POST', '/_sandbox/emit', { type: 'appointment.completed', count: 2 })).ids;
		await sleep(2_000);
		assert.deepEqual(ids(await trigger.poll()), second);
		assert.equal(await trigger.poll(), null);
	});

	test('All Events emits every type', async () => {
		const trigger = pollTrigger(env, { events: ['*'] });
		assert.equal(await trigger.poll(), null);
		const lead = (await sandbox.admin('POST', '/_sandbox/emit', { type: 'lead.created' })).ids;
		const paid = (await sandbox.admin('POST', '/_sandbox/emit', { type: 'invoice.paid' })).ids;
		await sleep(2_000);
		assert.deepEqual(ids(await trigger.poll()), [...lead, ...paid]);
	});

	test('late-committing events inside the look-back are emitted once, not lost', async () => {
		const trigger = pollTrigger(env, { events: ['payment.received'] });
		assert.equal(await trigger.poll(), null);
		// One visible at once, one that commits 6 s late (created earlier than it becomes visible):
		// seconds after the first poll, however slowly this machine gets to it.
		const early = (await sandbox.admin('POST', '/_sandbox/emit', { type: 'payment.received', commitDelayMs: 0 })).ids;
		const late = (await sandbox.admin('POST', '/_sandbox/emit', { type: 'payment.received', commitDelayMs: 6_000 })).ids;
		await sleep(2_000);
		assert.deepEqual(ids(await trigger.poll()), early);
		await sleep(5_500);
		assert.deepEqual(ids(await trigger.poll()), late);
		assert.equal(await trigger.poll(), null);
	});
});

describe('the API\'s clock, not this machine\'s', () => {
	/** Runs `work` with this process's clock `skewMs` off (n8n's machine; the sandbox keeps the true time). */
	async function withSkewedClock(skewMs, work) {
		const realNow = Date.now;
		Date.now = () => realNow() + skewMs;
		try {
			return await work();
		} finally {
			Date.now = realNow;
		}
	}

	for (const [name, skewMs] of [
		['30 s ahead', 30_000],
		['30 s behind', -30_000],
	]) {
		test(`with n8n's clock ${name}, events created after activation arrive at the next poll`, async () => {
			const trigger = pollTrigger(env, { events: ['note.created'] });
			await withSkewedClock(skewMs, async () => {
				assert.equal(await trigger.poll(), null);
				const watermark = Date.parse(trigger.staticData().checkpoint.watermark);
				assert.ok(Math.abs(watermark - (Date.now() - skewMs)) < 2_000, 'the first checkpoint is the API\'s now');
			});
			const created = (await sandbox.admin('POST', '/_sandbox/emit', { type: 'note.created' })).ids;
			await sleep(2_000);
			const polled = await withSkewedClock(skewMs, () => trigger.poll());
			assert.ok(polled, 'the next poll emitted the event');
			assert.deepEqual(ids(polled), created);
		});
	}
});
