// Checks a node's output item against the output schema the package ships (dist/**/__schema__), the
// way n8n's editor reads those files: the keys it names, their JSON types, the required ones present.
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

const DIST = join(__dirname, '..', '..', 'dist');

function shippedSchema(path) {
	return JSON.parse(readFileSync(join(DIST, path), 'utf8'));
}

function typeOf(value) {
	if (Array.isArray(value)) return 'array';
	if (Number.isInteger(value)) return 'integer';
	return typeof value;
}

/** Problems found, as `path: what`; empty when the value conforms. null counts as "not there". */
function problems(value, schema, path = '$') {
	if (value === null || value === undefined) return [];
	const type = typeOf(value);
	if (type !== schema.type) return [`${path}: ${type}, the schema says ${schema.type}`];
	const found = [];
	if (schema.type === 'object') {
		for (const key of schema.required ?? []) if (value[key] === undefined) found.push(`${path}.${key}: missing`);
		for (const [key, child] of Object.entries(value)) {
			const property = schema.properties?.[key];
			if (!property) found.push(`${path}.${key}: not in the schema`);
			else found.push(...problems(child, property, `${path}.${key}`));
		}
	}
	if (schema.type === 'array') value.forEach((item, index) => found.push(...problems(item, schema.items, `${path}[${index}]`)));
	return found;
}

module.exports = { shippedSchema, problems };
