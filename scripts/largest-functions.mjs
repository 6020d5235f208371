// Lists the largest functions, methods and arrow functions in the TypeScript sources, by line
// count: a quick map of where the code is hardest to read. `node scripts/largest-functions.mjs [N]`.
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import ts from 'typescript';

const limit = Number(process.argv[2] ?? 10);
const files = execFileSync('git', ['ls-files', 'packages/*/src/**.ts', 'packages/*/nodes/**.ts', 'packages/*/shared/**.ts', 'packages/*/credentials/**.ts'], { encoding: 'utf8' })
  .split('\n')
  .filter((name) => name.endsWith('.ts'));
const found = [];
for (const file of files) {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const visit = (node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart()).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const name = node.name?.getText() ?? (ts.isVariableDeclaration(node.parent) ? node.parent.name.getText() : '(anonymous)');
      found.push({ lines: end - start + 1, where: `${file}:${start + 1}`, name });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}
found.sort((a, b) => b.lines - a.lines);
for (const { lines, where, name } of found.slice(0, limit)) console.log(`${String(lines).padStart(4)}  ${name}  ${where}`);
