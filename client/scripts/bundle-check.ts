/**
 * The promise of the package's declarations: they stand alone. Every module they name is one of
 * the package's own files or a declared dependency (`@elysiajs/eden`, and `elysia` as the peer
 * that supplies Eden's types) — never the gateway's sources, Bun's types or a server dependency
 * (oidc-provider, oauth4webapi, jose, …), which a consumer does not have.
 */
import ts from 'typescript';
import { posix } from 'node:path';

/** Modules the declarations may import: the runtime dependency and the peer for types. */
export const ALLOWED_MODULES: readonly string[] = ['@elysiajs/eden', 'elysia'];

/**
 * Problems in a set of declaration files (`path` relative to the package root → text), each
 * naming the file and the offending reference; empty when the bundle is self-contained.
 */
export function bundleProblems(files: Record<string, string>): string[] {
  const problems: string[] = [];
  const own = new Set(Object.keys(files));
  for (const [path, text] of Object.entries(files)) {
    const sf = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
    const check = (specifier: string, how: string) => {
      if (specifier.startsWith('.')) {
        const target = posix.normalize(posix.join(posix.dirname(path), specifier));
        const candidates = [target, target.replace(/\.(m?js)$/, (_, ext: string) => (ext === 'mjs' ? '.d.mts' : '.d.ts')), `${target}.d.ts`, `${target}/index.d.ts`];
        if (!candidates.some((c) => own.has(c))) problems.push(`${path}: ${how} "${specifier}" is not a file of the package`);
      } else if (!ALLOWED_MODULES.includes(specifier) && !ALLOWED_MODULES.some((m) => specifier.startsWith(`${m}/`))) {
        problems.push(`${path}: ${how} "${specifier}" (only ${ALLOWED_MODULES.join(', ')} and the package's own files)`);
      }
    };
    for (const ref of sf.referencedFiles) problems.push(`${path}: /// <reference path="${ref.fileName}" />`);
    for (const ref of sf.typeReferenceDirectives) problems.push(`${path}: /// <reference types="${ref.fileName}" />`);
    for (const ref of sf.libReferenceDirectives) problems.push(`${path}: /// <reference lib="${ref.fileName}" />`);
    const visit = (node: ts.Node) => {
      if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
        check(node.moduleSpecifier.text, ts.isImportDeclaration(node) ? 'imports' : 're-exports');
      } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
        check(node.argument.literal.text, 'import type');
      } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
        check(node.moduleReference.expression.text, 'import =');
      } else if (ts.isModuleDeclaration(node) && ts.isStringLiteral(node.name)) {
        problems.push(`${path}: declares module "${node.name.text}" (augmenting another package)`);
      } else if (ts.isModuleDeclaration(node) && node.flags & ts.NodeFlags.GlobalAugmentation) {
        problems.push(`${path}: augments the global scope`);
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
    // Paths of the machine that built it would mean a reference slipped through as text.
    for (const m of text.matchAll(/(?:\/[\w.@-]+){1,}\/(?:node_modules|src)\/[\w./@-]+/g)) problems.push(`${path}: mentions the path ${m[0]}`);
  }
  return problems;
}
