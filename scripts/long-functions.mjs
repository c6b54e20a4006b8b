#!/usr/bin/env node
// Lists functions longer than a limit (default 80 lines) in src/, tests excluded, longest first.
// Usage: node scripts/long-functions.mjs [limit] [dir]
// Prints "file:line name length" per function and the count last. Nested functions are counted on
// their own as well as inside their parent (an 80-line callback inside a 100-line function is two).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";

const limit = Number(process.argv[2] ?? 80);
const root = process.argv[3] ?? "src";

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (name !== "node_modules" && name !== "test" && name !== "__tests__") yield* files(path);
    } else if (/\.(ts|tsx|mts|mjs|js)$/.test(name) && !/\.(test|spec)\.|\.d\.ts$/.test(name)) {
      yield path;
    }
  }
}

function nameOf(node) {
  if (node.name && ts.isIdentifier(node.name)) return node.name.text;
  if (node.name) return node.name.getText();
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  if (ts.isPropertyAssignment(parent)) return parent.name.getText();
  if (ts.isCallExpression(parent)) return `<callback of ${parent.expression.getText().slice(0, 40)}>`;
  if (ts.isConstructorDeclaration(node)) return "constructor";
  return "<anonymous>";
}

const found = [];
for (const file of files(root)) {
  const text = readFileSync(file, "utf8");
  const kind = file.endsWith("x") ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, kind);
  const visit = (node) => {
    if (ts.isFunctionLike(node) && "body" in node && node.body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line + 1;
      const length = end - start + 1;
      if (length > limit) found.push({ file: relative(".", file), start, name: nameOf(node), length });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}
found.sort((a, b) => b.length - a.length);
for (const f of found) console.log(`${f.file}:${f.start} ${f.name} ${f.length}`);
console.log(`${found.length} functions over ${limit} lines in ${root}/ (tests excluded)`);
