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
		description: 'Emits one empty item',
		defaults: { name: 'Start' },
		inputs: [],
		outputs: ['main'],
		properties: [],
	};
	async execute() {
		return [[{ json: {} }]];
	}
}

async function loadPackage() {
	const loader = new PackageDirectoryLoader(PACKAGE_DIR);
	await loader.loadAll();
	const types = { 'test.start': { type: new StartNode(), sourcePath: '' } };
	for (const [name, data] of Object.entries(loader.nodeTypes)) types[`${loader.packageName}.${name}`] = data;
	const nodeTypes = {
		getByName: (name) => types[name]?.type,
		getByNameAndVersion: (name) => types[name]?.type,
		getKnownTypes: () => ({}),
	};
	return { loader, nodeTypes };
}

function credentialsHelper(loader, data) {
	const credentialType = loader.credentialTypes.eventsyncApi.type;
	return {
		getParentTypes: () => [],
		isCredentialUsableByNode: () => true,
		getDecrypted: async () => ({ ...data() }),
		authenticate: async (credentials, _type, requestOptions) => await credentialType.authenticate(credentials, requestOptions),
		preAuthentication: async () => undefined,
		runPreAuthentication: async () => undefined,
		getCredentials: async () => ({ getData: () => ({ ...data() }) }),
		getCredentialsProperties: () => credentialType.properties,
		updateCredentials: async () => undefined,
		updateCredentialsOauthTokenData: async () => undefined,
	};
}

function additionalData(loader, credentials, extra = {}) {
	return {
		credentialsHelper: credentialsHelper(loader, credentials),
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

/** Runs Start → Eventsync (with `parameters`) through WorkflowExecute and returns the action node's run data. */
async function runAction(env, parameters) {
	const nodes = [
		{ id: '1', name: 'Start', type: 'test.start', typeVersion: 1, position: [0, 0], parameters: {} },
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
	const hooks = new ExecutionLifecycleHooks('manual', 'exec-1', workflow);
	const data = additionalData(env.loader, () => env.credentials, { hooks });
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
	const data = additionalData(env.loader, () => env.credentials);
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
			const req = { headers, rawBody, body: JSON.parse(rawBody.toString('utf8')), query: {}, params: {} };
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
	const data = additionalData(env.loader, () => env.credentials);
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

module.exports = { loadPackage, runAction, webhookTrigger, pollTrigger, createRunExecutionData, PACKAGE_DIR };
