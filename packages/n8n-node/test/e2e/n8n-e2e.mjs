// End-to-end: a real n8n 2.x (installed once by scripts/install-n8n.sh into <repo>/.n8n-e2e/n8n),
// headless on loopback, with this package's dist/ loaded as a custom extension, against the sandbox.
//
//  1. `n8n execute` runs an action workflow that creates a customer in the sandbox.
//  2. An active webhook-trigger workflow creates exactly one managed subscription; a signed delivery
//     starts exactly one execution carrying the event; a tampered one gets 401, a signed body that
//     is not JSON 400, the API's webhook.test ping 200, and none of them starts an execution; the
//     credential test passes with the origin and with the full base URL, and explains a 404;
//     deactivation (n8n's REST API) deletes the subscription.
//  3. An active poll-trigger workflow emits each event once across several polls (no duplicates, no gaps).
//  And n8n serves the output schema files the package ships.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { deliveryHeaders, getPreset } from '../../../core/dist/index.js';

const require = createRequire(import.meta.url);
const { startSandbox, ROOT } = require('../helpers/sandbox.cjs');

const PACKAGE_DIR = fileURLToPath(new URL('../..', import.meta.url));
const E2E_DIR = process.env.N8N_E2E_DIR ?? join(ROOT, '.n8n-e2e');
const N8N_BIN = join(E2E_DIR, 'n8n', 'node_modules', 'n8n', 'bin', 'n8n');
const RUN_DIR = join(E2E_DIR, 'run');
const PORT = Number(process.env.N8N_E2E_PORT ?? 25678);
const BROKER_PORT = PORT + 1;
const CREDENTIAL_ID = 'EvsyncCredent001';
const IDS = { action: 'EvsyncExample001', webhook: 'EvsyncExample002', poll: 'EvsyncExample003' };
const BROWSER_ID = 'eventsync-e2e';

const started = Date.now();
const log = (message) => console.log(`[e2e +${((Date.now() - started) / 1000).toFixed(1)}s] ${message}`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(what, check, { timeoutMs = 60_000, everyMs = 500 } = {}) {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await check();
		if (value) return value;
		if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
		await sleep(everyMs);
	}
}

if (!existsSync(N8N_BIN)) throw new Error(`n8n is not installed at ${N8N_BIN}: run scripts/install-n8n.sh (npm run e2e:n8n does)`);
if (!existsSync(join(PACKAGE_DIR, 'dist', 'nodes'))) throw new Error('dist/ is missing: run npm run build');

rmSync(RUN_DIR, { recursive: true, force: true });
mkdirSync(RUN_DIR, { recursive: true });

const n8nEnv = {
	...process.env,
	N8N_USER_FOLDER: RUN_DIR,
	N8N_CUSTOM_EXTENSIONS: join(PACKAGE_DIR, 'dist'),
	N8N_ENCRYPTION_KEY: 'eventsync-e2e-not-a-secret',
	N8N_LISTEN_ADDRESS: '127.0.0.1',
	N8N_HOST: '127.0.0.1',
	N8N_PORT: String(PORT),
	N8N_PROTOCOL: 'http',
	N8N_WEBHOOK_URL: `http://127.0.0.1:${PORT}/`,
	N8N_RUNNERS_BROKER_PORT: String(BROKER_PORT),
	N8N_RUNNERS_BROKER_LISTEN_ADDRESS: '127.0.0.1',
	N8N_DIAGNOSTICS_ENABLED: 'false',
	N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
	N8N_PERSONALIZATION_ENABLED: 'false',
	N8N_SECURE_COOKIE: 'false',
	N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'false',
	DB_SQLITE_POOL_SIZE: '2',
	EXECUTIONS_DATA_SAVE_ON_SUCCESS: 'all',
	N8N_LOG_LEVEL: process.env.N8N_LOG_LEVEL ?? 'info',
	GENERIC_TIMEZONE: 'UTC',
};

function runN8n(args, { quiet = false, toleratedSignal = false } = {}) {
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, [N8N_BIN, ...args], { env: n8nEnv, stdio: ['ignore', 'pipe', 'pipe'] });
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (chunk) => (stdout += chunk));
		child.stderr.on('data', (chunk) => (stderr += chunk));
		child.on('error', reject);
		child.on('exit', (code, signal) => {
			if (signal) log(`n8n ${args[0]} ended by ${signal}`);
			if (!quiet || code !== 0) process.stdout.write(stdout.split('\n').map((line) => `    n8n ${args[0]}: ${line}`).join('\n') + '\n');
			// Seen once: `n8n execute` printed its complete result and was then ended by a signal while shutting down.
			// The caller may accept that, since it checks the printed result and the sandbox itself.
			if (signal && toleratedSignal) return resolve(stdout);
			if (code !== 0) return reject(new Error(`n8n ${args.join(' ')} exited with ${code ?? signal}\n${stderr}`));
			resolve(stdout);
		});
	});
}

function workflowFor(file, replace = (wf) => wf) {
	const workflow = JSON.parse(readFileSync(join(PACKAGE_DIR, 'examples', file), 'utf8'));
	for (const node of workflow.nodes) node.type = node.type.replace(/^n8n-nodes-eventsync\./, 'CUSTOM.');
	return replace(workflow);
}

const sandbox = await startSandbox({ preset: 'integration', visibilityLagMs: 5_000 });
log(`sandbox on ${sandbox.url}`);
let server;
const timings = {};
try {
	// ---- setup: credential and workflows in n8n's database
	writeFileSync(
		join(RUN_DIR, 'credentials.json'),
		JSON.stringify([{ id: CREDENTIAL_ID, name: 'Eventsync account', type: 'eventsyncApi', data: { baseUrl: sandbox.url, apiKey: sandbox.apiKey, preset: 'integration' } }]),
	);
	const email = `e2e-${Date.now()}@example.com`;
	const workflows = [
		workflowFor('create-customer.workflow.json', (wf) => {
			wf.nodes[1].parameters.email = email;
			return wf;
		}),
		workflowFor('webhook-trigger.workflow.json'),
		workflowFor('poll-trigger.workflow.json'),
	];
	writeFileSync(join(RUN_DIR, 'workflows.json'), JSON.stringify(workflows));
	let t = Date.now();
	await runN8n(['import:credentials', `--input=${join(RUN_DIR, 'credentials.json')}`], { quiet: true });
	await runN8n(['import:workflow', `--input=${join(RUN_DIR, 'workflows.json')}`], { quiet: true });
	timings.importMs = Date.now() - t;
	log('imported the credential and three workflows');

	// ---- 1. action workflow through `n8n execute`
	t = Date.now();
	const output = await runN8n(['execute', `--id=${IDS.action}`, '--rawOutput'], { quiet: true, toleratedSignal: true });
	timings.executeMs = Date.now() - t;
	writeFileSync(join(RUN_DIR, 'execute-output.txt'), output);
	// Log lines (e.g. "[license SDK] ...") precede the JSON: take the first line from which the rest parses.
	const lines = output.split('\n');
	let result;
	for (let i = 0; i < lines.length && result === undefined; i++) {
		if (!/^\s*[[{]/.test(lines[i])) continue;
		try {
			result = JSON.parse(lines.slice(i).join('\n'));
		} catch {
			// not the start of the JSON document
		}
	}
	assert.ok(result, `n8n execute printed no JSON:\n${output}`);
	const created = result.data.resultData.runData['Create customer'][0].data.main[0][0].json;
	assert.match(created.id, /^cus_/);
	const found = await sandbox.api('GET', `/customers?email=${encodeURIComponent(email)}`);
	assert.deepEqual(
		found.body.data.map((customer) => customer.id),
		[created.id],
		'exactly one customer with that email exists in the sandbox',
	);
	log(`1. n8n execute created customer ${created.id} in the sandbox (${timings.executeMs} ms)`);

	// ---- start n8n with the two trigger workflows published
	await runN8n(['publish:workflow', `--id=${IDS.webhook}`], { quiet: true });
	await runN8n(['publish:workflow', `--id=${IDS.poll}`], { quiet: true });
	t = Date.now();
	server = spawn(process.execPath, [N8N_BIN, 'start'], { env: n8nEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
	let serverLog = '';
	server.stdout.on('data', (chunk) => (serverLog += chunk));
	server.stderr.on('data', (chunk) => (serverLog += chunk));
	server.on('exit', (code) => log(`n8n start exited (${code})`));
	const base = `http://127.0.0.1:${PORT}`;
	await waitFor('n8n /healthz/readiness', async () => (await fetch(`${base}/healthz/readiness`).catch(() => undefined))?.ok, { timeoutMs: 120_000 });
	timings.startMs = Date.now() - t;
	log(`n8n is up on ${base} (${timings.startMs} ms)`);
	// The output schemas the editor asks for (see shared/output-schemas.ts), served from the package.
	for (const path of ['CUSTOM.eventsyncTrigger/1.0.0.json', 'CUSTOM.eventsyncPollTrigger/1.0.0.json', 'CUSTOM.eventsync/1.0.0/customer/create.json', 'CUSTOM.eventsync/1.0.0/event/getAll.json']) {
		const response = await fetch(`${base}/schemas/${path}`);
		assert.equal(response.status, 200, `/schemas/${path}: ${response.status}`);
		assert.equal((await response.json()).type, 'object');
	}
	log('   n8n serves the nodes\' output schemas (/schemas/CUSTOM.eventsync…)');
	const db = new DatabaseSync(join(RUN_DIR, '.n8n', 'database.sqlite'), { readOnly: true });
	// The poll workflow's activation poll stores its starting checkpoint: events created from then on must each arrive once.
	const pollStart = await waitFor('the poll trigger\'s first checkpoint', () => {
		const row = db.prepare('SELECT staticData FROM workflow_entity WHERE id = ?').get(IDS.poll);
		return JSON.parse(row?.staticData ?? '{}')['node:Eventsync Polling Trigger']?.checkpoint?.watermark;
	});
	log(`poll trigger active, starting at ${pollStart}`);

	// ---- 2. webhook trigger
	const managed = async () => (await sandbox.api('GET', '/webhooks/subscriptions?limit=100')).body.data.filter((s) => s.managed_by === 'n8n');
	const [subscription] = await waitFor('the managed subscription', async () => ((await managed()).length > 0 ? await managed() : undefined), { timeoutMs: 30_000 });
	assert.equal((await managed()).length, 1, 'exactly one managed subscription');
	assert.equal(subscription.url, `${base}/webhook/${workflows[1].nodes[0].webhookId}/webhook`);
	assert.deepEqual(subscription.events, ['customer.created', 'customer.updated']);
	log(`2. activation created one managed subscription ${subscription.id} → ${subscription.url}`);

	const { parse } = require(join(E2E_DIR, 'n8n', 'node_modules', 'flatted'));
	const executions = (workflowId) =>
		db
			.prepare('SELECT e.id, e.status, e.mode, d.data FROM execution_entity e LEFT JOIN execution_data d ON d.executionId = e.id WHERE e.workflowId = ? ORDER BY e.id')
			.all(workflowId)
			.map((row) => ({ ...row, data: row.data ? parse(row.data) : undefined }));
	const triggerItems = (execution, nodeName) => execution.data?.resultData?.runData?.[nodeName]?.[0]?.data?.main?.[0]?.map((item) => item.json) ?? [];
	const deliveries = async () => (await sandbox.admin('GET', `/_sandbox/deliveries?subscription_id=${subscription.id}`)).deliveries;

	const [signedId] = (await sandbox.admin('POST', '/_sandbox/emit', { type: 'customer.created', commitDelayMs: 0 })).ids;
	const delivered = await waitFor('the signed delivery', async () => (await deliveries()).find((d) => d.event_id === signedId));
	assert.equal(delivered.status, 200, `the signed delivery was answered ${delivered.status}`);
	const webhookRuns = await waitFor('one webhook execution', () => {
		const runs = executions(IDS.webhook).filter((run) => run.status === 'success');
		return runs.length >= 1 ? runs : undefined;
	});
	await sleep(1_500);
	assert.equal(executions(IDS.webhook).length, 1, 'exactly one execution for the signed delivery');
	const carried = triggerItems(webhookRuns[0], 'Eventsync Instant Trigger');
	assert.equal(carried.length, 1);
	assert.equal(carried[0].id, signedId);
	assert.equal(carried[0].type, 'customer.created');
	log(`   signed delivery of ${signedId} → 200 and exactly one execution carrying it`);

	await sandbox.admin('PUT', '/_sandbox/webhook-faults', { tamperRate: 1 });
	const [tamperedId] = (await sandbox.admin('POST', '/_sandbox/emit', { type: 'customer.created', commitDelayMs: 0 })).ids;
	const tampered = await waitFor('the tampered delivery', async () => (await deliveries()).find((d) => d.event_id === tamperedId));
	await sandbox.admin('PUT', '/_sandbox/webhook-faults', { tamperRate: 0 });
	assert.equal(tampered.fault, 'tampered');
	assert.equal(tampered.status, 401, `the tampered delivery was answered ${tampered.status}`);
	await sleep(2_000);
	assert.equal(executions(IDS.webhook).length, 1, 'the tampered delivery started no execution');
	log(`   tampered delivery of ${tamperedId} → 401 and no execution`);

	// The API's ping (Send Test) reaches a published workflow: answered 2xx, no execution.
	const pinged = await sandbox.api('POST', `/webhooks/subscriptions/${subscription.id}/test`);
	assert.equal(pinged.body.ok, true, `webhook.test was answered ${pinged.body.http_status}`);
	// Correctly signed bodies that are not an event: no execution. n8n parses an application/json body
	// itself before the node runs, and answers invalid JSON with its own 422; bodies it passes on
	// (another content type, JSON that is not an envelope) reach the node, which answers 400.
	const { secret } = JSON.parse(db.prepare('SELECT staticData FROM workflow_entity WHERE id = ?').get(IDS.webhook).staticData)['node:Eventsync Instant Trigger'];
	const post = (body, contentType) => {
		const headers = deliveryHeaders(getPreset('integration').signature, { secrets: [secret], body, timestamp: Math.floor(Date.now() / 1000), id: 'dlv_e2e_garbled', eventType: 'customer.created' });
		return fetch(subscription.url, { method: 'POST', headers: { 'content-type': contentType, ...headers }, body });
	};
	const garbled = [
		[await post('this is not json', 'application/json'), 422],
		[await post('this is not json', 'text/plain'), 400],
		[await post('{"id":"evt_1"}', 'application/json'), 400],
	];
	for (const [response, status] of garbled) assert.equal(response.status, status, `a signed body that is not an event was answered ${response.status}: ${await response.clone().text()}`);
	await sleep(2_000);
	assert.equal(executions(IDS.webhook).length, 1, 'neither the ping nor the bodies that are not events started an execution');
	log('   webhook.test ping → 200; signed bodies that are not events → 422 (n8n, invalid JSON) or 400 (the node); no execution for any');

	// Deactivate through n8n's REST API (what the editor's toggle does): needs an owner and a session.
	const setup = await fetch(`${base}/rest/owner/setup`, {
		method: 'POST',
		headers: { 'content-type': 'application/json', 'browser-id': BROWSER_ID },
		body: JSON.stringify({ email: 'owner@example.com', firstName: 'E2E', lastName: 'Owner', password: 'E2e-password-1' }),
	});
	assert.equal(setup.status, 200, `owner setup: ${setup.status} ${await setup.clone().text()}`);
	const cookie = setup.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
	// The credential's `test` as the editor's "Test" button runs it: GET /me, and the 401 rule's message.
	const testCredential = async (apiKey, baseUrl = sandbox.url) => {
		const response = await fetch(`${base}/rest/credentials/test`, {
			method: 'POST',
			headers: { 'content-type': 'application/json', 'browser-id': BROWSER_ID, cookie },
			body: JSON.stringify({ credentials: { id: CREDENTIAL_ID, name: 'Eventsync account', type: 'eventsyncApi', data: { baseUrl, apiKey, preset: 'integration' } } }),
		});
		assert.equal(response.status, 200, `credential test: ${response.status} ${await response.clone().text()}`);
		return (await response.json()).data;
	};
	assert.deepEqual(await testCredential(sandbox.apiKey), { status: 'OK', message: 'Connection successful!' });
	const rejected = await testCredential('wlcro_test_notarealkeynotarealkey99');
	assert.equal(rejected.status, 'Error');
	assert.match(rejected.message, /rejected the key \(401\)/);
	assert.deepEqual(await testCredential(sandbox.apiKey, sandbox.baseUrl), { status: 'OK', message: 'Connection successful!' }, 'the full base URL the sandbox prints');
	const wrongPath = await testCredential(sandbox.apiKey, `${sandbox.url.replace(/\/+$/, '')}/v2`);
	assert.equal(wrongPath.status, 'Error');
	assert.match(wrongPath.message, /Nothing answered at that address \(404\)/);
	log('   credential test: OK with the origin and with the full base URL; a wrong key gets the 401 message, a wrong path the 404 one');
	const deactivate = await fetch(`${base}/rest/workflows/${IDS.webhook}/deactivate`, {
		method: 'POST',
		headers: { 'content-type': 'application/json', 'browser-id': BROWSER_ID, cookie },
		body: '{}',
	});
	assert.equal(deactivate.status, 200, `deactivate: ${deactivate.status} ${await deactivate.clone().text()}`);
	await waitFor('the subscription to be deleted', async () => (await managed()).length === 0, { timeoutMs: 15_000 });
	assert.equal((await sandbox.api('GET', `/webhooks/subscriptions/${subscription.id}`)).status, 404);
	log(`   deactivation deleted subscription ${subscription.id}`);

	// ---- 3. poll trigger: batches emitted between polls (n8n polls at most once a minute)
	t = Date.now();
	// The two customer.created events of step 2 were created after the poll workflow's activation: they count too.
	const emitted = [signedId, tamperedId];
	const pollRuns = () => executions(IDS.poll).filter((run) => run.status === 'success');
	const polledIds = () => pollRuns().flatMap((run) => triggerItems(run, 'Eventsync Polling Trigger').map((event) => event.id));
	const batches = [
		{ type: 'lead.created', count: 3 },
		{ type: 'invoice.created', count: 4 },
		{ type: 'note.created', count: 2 },
	];
	for (const [index, batch] of batches.entries()) {
		// Random commit delays up to 5 s (visibilityLagMs): some events become visible late.
		const { ids } = await sandbox.admin('POST', '/_sandbox/emit', batch);
		emitted.push(...ids);
		const runsBefore = pollRuns().length;
		await waitFor(`poll batch ${index + 1} (${ids.length} ${batch.type})`, () => ids.every((id) => polledIds().includes(id)) && pollRuns().length > runsBefore, {
			timeoutMs: 150_000,
			everyMs: 1_000,
		});
		log(`3. poll batch ${index + 1}: ${ids.length} ${batch.type} events seen after ${pollRuns().length} poll execution(s)`);
	}
	// The customer created by step 1 (before activation) and the sandbox's other events must not appear.
	const seen = polledIds();
	const counts = new Map();
	for (const id of seen) counts.set(id, (counts.get(id) ?? 0) + 1);
	const duplicates = [...counts].filter(([, n]) => n > 1);
	assert.deepEqual(duplicates, [], 'no event emitted twice');
	const missing = emitted.filter((id) => !counts.has(id));
	assert.deepEqual(missing, [], 'no gaps');
	const unexpected = seen.filter((id) => !emitted.includes(id));
	assert.deepEqual(unexpected, [], 'only events created after activation');
	timings.pollMs = Date.now() - t;
	log(`   ${emitted.length} events over ${pollRuns().length} poll executions, each exactly once (${timings.pollMs} ms)`);
	db.close();
	log(`PASS — timings: ${JSON.stringify(timings)}, total ${Date.now() - started} ms`);
} catch (error) {
	console.error(error);
	process.exitCode = 1;
} finally {
	if (server && server.exitCode === null) {
		const exited = new Promise((resolve) => server.once('exit', resolve));
		process.kill(-server.pid, 'SIGTERM');
		await Promise.race([exited, sleep(20_000)]);
		if (server.exitCode === null) process.kill(-server.pid, 'SIGKILL');
	}
	await sandbox.stop();
}
