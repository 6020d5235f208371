// Runs this package's nodes in-process through n8n-core's public execution classes:
// PackageDirectoryLoader loads the built package as n8n loads a community package, WorkflowExecute
// runs the action node, and HookContext / WebhookContext / PollContext drive the triggers the way
// n8n's active-workflow machinery does. Requires `npm run build` first (dist/).
const { mkdtempSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

// n8n-core writes its instance settings into the user folder: keep them out of $HOME.
process.env.N8N_USER_FOLDER ??= mkdtempSync(join(tmpdir(), 'n8n-node-test-'));
process.env.N8N_DIAGNOSTICS_ENABLED = 'false';

const { PackageDirectoryLoader, WorkflowExecute, ExecutionLifecycleHooks, HookContext, WebhookContext, PollContext } = require('n8n-core');
const { Workflow, createRunExecutionData } = require('n8n-workflow');

const PACKAGE_DIR = join(__dirname, '..', '..');
const PACKAGE = 'n8n-nodes-eventsync';

class StartNode {
	description = {
		displayName: 'Test Start',
		name: 'testStart',
		group: ['trigger'],
		version: 1,
		description: 'Emits `count` empty items',
		defaults: { name: 'Start' },
		inputs: [],
		outputs: ['main'],
		properties: [{ displayName: 'Count', name: 'count', type: 'number', default: 1 }],
	};
	async execute() {
		const count = this.getNodeParameter('count', 0, 1);
		return [Array.from({ length: count }, () => ({ json: {} }))];
	}
}

/**
 * The credential's declarative `test.request` as n8n's credentials tester runs it: as the routing of
 * a property of a node with no execute(), which n8n-core hands to its RoutingNode. The `rules`
 * (messages per status) belong to n8n's server and are checked end to end instead.
 */
function credentialTestNode(credentialType) {
	return {
		description: {
			displayName: 'Credential Test',
			name: 'credentialTest',
			group: ['transform'],
			version: 1,
			description: 'Runs the credential test request',
			defaults: { name: 'Credential Test' },
			inputs: ['main'],
			outputs: ['main'],
			credentials: [{ name: credentialType.name, required: true }],
			properties: [{ displayName: 'Temp', name: 'temp', type: 'string', default: '', routing: { request: { ...credentialType.test.request } } }],
		},
	};
}

async function loadPackage() {
	const loader = new PackageDirectoryLoader(PACKAGE_DIR);
	await loader.loadAll();
	const types = {
		'test.start': { type: new StartNode(), sourcePath: '' },
		'test.credentialTest': { type: credentialTestNode(loader.credentialTypes.eventsyncApi.type), sourcePath: '' },
	};
	for (const [name, data] of Object.entries(loader.nodeTypes)) types[`${loader.packageName}.${name}`] = data;
	const nodeTypes = {
		getByName: (name) => types[name]?.type,
		getByNameAndVersion: (name) => types[name]?.type,
		getKnownTypes: () => ({}),
	};
	// Every request the package makes, as n8n's credential handling sees it (auth headers included): tests read the wire from here.
	const requests = [];
	return { loader, nodeTypes, requests };
}

function credentialsHelper(loader, data, requests = []) {
	const credentialType = loader.credentialTypes.eventsyncApi.type;
	return {
		getParentTypes: () => [],
		isCredentialUsableByNode: () => true,
		getDecrypted: async () => ({ ...data() }),
		authenticate: async (credentials, _type, requestOptions) => {
			const authenticated = await credentialType.authenticate(credentials, requestOptions);
			requests.push({ method: authenticated.method ?? 'GET', url: authenticated.url, baseURL: authenticated.baseURL, headers: { ...authenticated.headers } });
			return authenticated;
		},
		preAuthentication: async () => undefined,
		runPreAuthentication: async () => undefined,
		getCredentials: async () => ({ getData: () => ({ ...data() }) }),
		getCredentialsProperties: () => credentialType.properties,
		updateCredentials: async () => undefined,
		updateCredentialsOauthTokenData: async () => undefined,
	};
}

function additionalData(env, credentials, extra = {}) {
	return {
		credentialsHelper: credentialsHelper(env.loader, credentials, env.requests),
		executeWorkflow: async () => {
			throw new Error('not supported in tests');
		},
		restApiUrl: 'http://127.0.0.1:5678/rest',
		instanceBaseUrl: 'http://127.0.0.1:5678/',
		formWaitingBaseUrl: 'http://127.0.0.1:5678/form-waiting',
		webhookBaseUrl: 'http://127.0.0.1:5678/webhook',
		webhookWaitingBaseUrl: 'http://127.0.0.1:5678/webhook-waiting',
		webhookTestBaseUrl: 'http://127.0.0.1:5678/webhook-test',
		currentNodeParameters: undefined,
		executionTimeoutTimestamp: undefined,
		userId: 'test-user',
		variables: {},
		logAiEvent: () => undefined,
		startRunnerTask: async () => {
			throw new Error('not supported in tests');
		},
		...extra,
	};
}

const CREDENTIALS = { id: 'cred-1', name: 'Eventsync sandbox' };
let executions = 0;

function workflowOf(nodeTypes, nodes, connections = {}, staticData = {}) {
	return new Workflow({
		id: 'wf-test',
		name: 'test',
		nodes,
		connections,
		active: false,
		nodeTypes,
		staticData,
		settings: { executionOrder: 'v1' },
	});
}

/**
 * Runs Start → Eventsync (with `parameters`) through WorkflowExecute and returns the action node's
 * output items. `items`: how many items Start emits; `executionId`: n8n's id of this execution.
 */
async function runAction(env, parameters, { items = 1, executionId = `exec-${++executions}` } = {}) {
	const nodes = [
		{ id: '1', name: 'Start', type: 'test.start', typeVersion: 1, position: [0, 0], parameters: { count: items } },
		{
			id: '2',
			name: 'Eventsync',
			type: `${PACKAGE}.eventsync`,
			typeVersion: 1,
			position: [200, 0],
			parameters,
			credentials: { eventsyncApi: CREDENTIALS },
		},
	];
	const workflow = workflowOf(env.nodeTypes, nodes, { Start: { main: [[{ node: 'Eventsync', type: 'main', index: 0 }]] } });
	const hooks = new ExecutionLifecycleHooks('manual', executionId, workflow);
	const data = additionalData(env, () => env.credentials, { hooks, executionId });
	const run = await new WorkflowExecute(data, 'manual').run({ workflow, startNode: workflow.getNode('Start'), destinationNode: undefined });
	const runData = run.data.resultData.runData.Eventsync?.[0];
	if (run.data.resultData.error) return { error: run.data.resultData.error, run };
	return { items: (runData?.data?.main?.[0] ?? []).map((item) => item.json), run };
}

function triggerNode(type, parameters) {
	return {
		id: 't',
		name: 'Trigger',
		type: `${PACKAGE}.${type}`,
		typeVersion: 1,
		position: [0, 0],
		webhookId: 'b7f0b7a2-0000-4000-8000-000000000001',
		parameters,
		credentials: { eventsyncApi: CREDENTIALS },
	};
}

/** The webhook trigger's lifecycle as n8n runs it: one workflow (static data shared), `mode` manual = test URL. */
function webhookTrigger(env, parameters, { mode = 'trigger', staticData = {} } = {}) {
	const node = triggerNode('eventsyncTrigger', parameters);
	const workflow = workflowOf(env.nodeTypes, [node], {}, staticData);
	const data = additionalData(env, () => env.credentials);
	const nodeType = env.nodeTypes.getByName(node.type);
	const webhookData = {
		httpMethod: 'POST',
		node: node.name,
		path: `${node.webhookId}/webhook`,
		webhookDescription: nodeType.description.webhooks[0],
		workflowId: workflow.id,
		workflowExecuteAdditionalData: data,
		isTest: mode === 'manual',
	};
	const hook = (name) => nodeType.webhookMethods.default[name].call(new HookContext(workflow, node, data, mode, 'activate', webhookData));
	return {
		workflow,
		node,
		checkExists: () => hook('checkExists'),
		create: () => hook('create'),
		delete: () => hook('delete'),
		staticData: () => workflow.getStaticData('node', node),
		/** Feeds one HTTP request to webhook(); returns the node's answer and what was sent on the response. */
		async deliver({ rawBody, headers }) {
			const sent = {};
			const res = {
				status(code) {
					sent.status = code;
					return this;
				},
				json(body) {
					sent.body = body;
					return this;
				},
				send(body) {
					sent.body = body;
					return this;
				},
				end() {
					return this;
				},
			};
			let body;
			try {
				body = JSON.parse(rawBody.toString('utf8'));
			} catch {
				body = {};
			}
			const req = { headers, rawBody, body, query: {}, params: {} };
			const webhookAdditional = { ...data, httpRequest: req, httpResponse: res };
			const context = new WebhookContext(workflow, node, webhookAdditional, mode, webhookData, [], null);
			const result = await nodeType.webhook.call(context);
			return { result, sent };
		},
	};
}

/** The poll trigger as n8n calls it: `mode` 'trigger' for an active workflow, 'manual' for the editor's sample. */
function pollTrigger(env, parameters, { staticData = {} } = {}) {
	const node = triggerNode('eventsyncPollTrigger', parameters);
	const workflow = workflowOf(env.nodeTypes, [node], {}, staticData);
	const data = additionalData(env, () => env.credentials);
	const nodeType = env.nodeTypes.getByName(node.type);
	return {
		workflow,
		staticData: () => workflow.getStaticData('node', node),
		async poll(mode = 'trigger') {
			const context = new PollContext(workflow, node, data, mode, 'activate');
			return await nodeType.poll.call(context);
		},
	};
}

/** Runs the credential's test request with `credentials` (as the form holds them); resolves with the API's answer, or the error. */
async function runCredentialTest(env, credentials) {
	const nodes = [
		{ id: '1', name: 'Start', type: 'test.start', typeVersion: 1, position: [0, 0], parameters: {} },
		{ id: '2', name: 'Credential Test', type: 'test.credentialTest', typeVersion: 1, position: [200, 0], parameters: {}, credentials: { eventsyncApi: CREDENTIALS } },
	];
	const workflow = workflowOf(env.nodeTypes, nodes, { Start: { main: [[{ node: 'Credential Test', type: 'main', index: 0 }]] } });
	const executionId = `exec-${++executions}`;
	const hooks = new ExecutionLifecycleHooks('manual', executionId, workflow);
	const data = additionalData(env, () => credentials, { hooks, executionId });
	const run = await new WorkflowExecute(data, 'manual').run({ workflow, startNode: workflow.getNode('Start'), destinationNode: undefined });
	if (run.data.resultData.error) return { error: run.data.resultData.error };
	return { items: run.data.resultData.runData['Credential Test'][0].data.main[0].map((item) => item.json) };
}

module.exports = { loadPackage, runAction, runCredentialTest, webhookTrigger, pollTrigger, createRunExecutionData, PACKAGE_DIR };
