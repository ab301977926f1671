/**
 * Writes the gateway's route table (`App['~Routes']`, what Eden Treaty reads) as plain TypeScript
 * type text that needs nothing but the standard library.
 *
 * Why not a d.ts bundler (dts-bundle-generator, rollup-plugin-dts, api-extractor): they copy
 * declarations as written. `App` is `ReturnType<typeof createApp>`, whose declaration reaches
 * `Services` and through it the types of oauth4webapi, jose, oidc-provider and Bun; a bundler
 * would have to inline that whole graph or keep imports of the server's dependencies. The route
 * table itself is a structural type that only the type checker can compute, so this asks the
 * checker for it and prints the resolved structure: objects, unions, literals, arrays and the
 * standard library's named types (Response, Date, …). Nothing here knows which routes exist.
 *
 * Anything that cannot be printed self-contained — a generic left unresolved, a class instance,
 * a named type from a package (say Bun's `BunFile`), a recursive type — stops the build with the
 * route path and the type, so a new route that leaks a server type is caught where it is written.
 */
import ts from 'typescript';

/** The type could not be printed self-contained; `path` names where in the route table. */
export class RouteTypeError extends Error {
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(`${path}: ${detail}`);
    this.name = 'RouteTypeError';
  }
}

/** A type-checked program of the gateway, ready to print the route table of an exported App type. */
export interface GatewayProgram {
  program: ts.Program;
  /** The route table of the Elysia type exported as `name` (default `App`) from the entry. */
  routesOf(name?: string): string;
}

/**
 * Loads `entry` (a module exporting the gateway's `App`, e.g. client/src/gateway.ts) with the
 * gateway's tsconfig. Fails on any type error in the program: an error degrades types to `any`
 * silently, and the package would ship that.
 */
export function loadGateway(opts: { tsconfig: string; entry: string }): GatewayProgram {
  const parsed = ts.getParsedCommandLineOfConfigFile(opts.tsconfig, {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  });
  if (!parsed) throw new Error(`cannot read ${opts.tsconfig}`);
  // The tsconfig's own .d.ts files declare what the sources import as files (swagger-ui assets…).
  const ambient = parsed.fileNames.filter((f) => f.endsWith('.d.ts'));
  const program = ts.createProgram([opts.entry, ...ambient], { ...parsed.options, noEmit: true });
  const diagnostics = ts.getPreEmitDiagnostics(program);
  if (diagnostics.length) {
    const host = { getCanonicalFileName: (f: string) => f, getCurrentDirectory: ts.sys.getCurrentDirectory, getNewLine: () => '\n' };
    throw new Error(`the gateway does not type-check:\n${ts.formatDiagnostics(diagnostics.slice(0, 20), host)}`);
  }
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(opts.entry);
  const moduleSymbol = source && checker.getSymbolAtLocation(source);
  if (!moduleSymbol) throw new Error(`${opts.entry} is not a module`);
  return {
    program,
    routesOf(name = 'App') {
      const exported = checker.getExportsOfModule(moduleSymbol).find((s) => s.name === name);
      if (!exported) throw new Error(`${opts.entry} exports no type ${name}`);
      const target = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const app = checker.getDeclaredTypeOfSymbol(target);
      const routesProperty = checker.getPropertyOfType(app, '~Routes');
      if (!routesProperty) throw new Error(`${name} (${checker.typeToString(app)}) has no '~Routes': is it an Elysia instance?`);
      return new TypePrinter(checker, program).print(checker.getTypeOfSymbol(routesProperty));
    },
  };
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const propertyName = (name: string) => (IDENTIFIER.test(name) || /^(0|[1-9]\d*)$/.test(name) ? name : JSON.stringify(name));

/** Prints resolved types as self-contained type text (see the file comment for what it refuses). */
export class TypePrinter {
  /** Object types being printed, to refuse recursion instead of looping. */
  private readonly active = new Set<ts.Type>();

  constructor(
    private readonly checker: ts.TypeChecker,
    private readonly program: ts.Program,
  ) {}

  print(type: ts.Type): string {
    return this.type(type, '', 'Routes');
  }

  private fail(path: string, type: ts.Type, why: string): never {
    throw new RouteTypeError(path, `${why}: ${this.checker.typeToString(type, undefined, ts.TypeFormatFlags.NoTruncation).slice(0, 300)}`);
  }

  private type(t: ts.Type, indent: string, path: string): string {
    const f = t.flags;
    const F = ts.TypeFlags;
    if (f & F.Any) return 'any';
    if (f & F.Unknown) return 'unknown';
    if (f & F.String) return 'string';
    if (f & F.Number) return 'number';
    if (f & F.Boolean) return 'boolean';
    if (f & F.BigInt) return 'bigint';
    if (f & F.ESSymbol) return 'symbol';
    if (f & F.Void) return 'void';
    if (f & F.Undefined) return 'undefined';
    if (f & F.Null) return 'null';
    if (f & F.Never) return 'never';
    if (f & F.NonPrimitive) return 'object';
    if (f & F.StringLiteral) return JSON.stringify((t as ts.StringLiteralType).value);
    if (f & F.NumberLiteral) return String((t as ts.NumberLiteralType).value);
    if (f & F.BigIntLiteral) {
      const { negative, base10Value } = (t as ts.BigIntLiteralType).value;
      return `${negative ? '-' : ''}${base10Value}n`;
    }
    if (f & F.BooleanLiteral) return this.checker.typeToString(t);
    if (f & F.TemplateLiteral) {
      const { texts, types } = t as ts.TemplateLiteralType;
      const esc = (s: string) => s.replace(/[`\\]|\$\{/g, (m) => `\\${m}`);
      return `\`${texts.map((text, i) => esc(text) + (i < types.length ? `\${${this.type(types[i]!, indent, path)}}` : '')).join('')}\``;
    }
    if (f & F.Union) return this.union(t as ts.UnionType, indent, path);
    if (f & F.Intersection) {
      const members = (t as ts.IntersectionType).types;
      // Plain objects merge into one (the route table is an intersection of one object per route).
      if (members.every((m) => m.flags & F.Object && this.isStructural(m as ts.ObjectType))) return this.object(t, indent, path);
      return members.map((m) => this.wrap(m, indent, path, F.Union)).join(' & ');
    }
    if (f & F.Object) return this.objectType(t as ts.ObjectType, indent, path);
    if (f & F.TypeParameter) this.fail(path, t, 'an unresolved type parameter');
    if (f & (F.Conditional | F.Substitution | F.Index | F.IndexedAccess)) this.fail(path, t, 'an unresolved generic type');
    return this.fail(path, t, 'a type that cannot be written without its declaration');
  }

  /** A member of a union/intersection, parenthesized where precedence needs it. */
  private wrap(t: ts.Type, indent: string, path: string, parenFlags: ts.TypeFlags): string {
    const s = this.type(t, indent, path);
    return t.flags & parenFlags || this.isFunctionType(t) ? `(${s})` : s;
  }

  private union(t: ts.UnionType, indent: string, path: string): string {
    let members = t.types;
    const isTrue = (m: ts.Type) => m.flags & ts.TypeFlags.BooleanLiteral && this.checker.typeToString(m) === 'true';
    const isFalse = (m: ts.Type) => m.flags & ts.TypeFlags.BooleanLiteral && this.checker.typeToString(m) === 'false';
    const parts: string[] = [];
    if (members.some(isTrue) && members.some(isFalse)) {
      members = members.filter((m) => !isTrue(m) && !isFalse(m));
      parts.push('boolean');
    }
    for (const m of members) parts.push(this.wrap(m, indent, path, 0 as ts.TypeFlags));
    // `undefined` last reads like hand-written types (`string | undefined`).
    return parts.sort((a, b) => Number(a === 'undefined') - Number(b === 'undefined')).join(' | ');
  }

  private isFunctionType(t: ts.Type): boolean {
    return (
      !!(t.flags & ts.TypeFlags.Object) &&
      this.isStructural(t as ts.ObjectType) &&
      t.getCallSignatures().length === 1 &&
      t.getProperties().length === 0 &&
      this.checker.getIndexInfosOfType(t).length === 0
    );
  }

  /** Named types of the standard library (Response, Date, Promise<…>): written by name. */
  private libName(t: ts.ObjectType): string | undefined {
    const sym = t.getSymbol();
    if (!sym || !(sym.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.Class)) || sym.name.startsWith('__')) return undefined;
    const inLib = sym.declarations?.some((d) => this.program.isSourceFileDefaultLibrary(d.getSourceFile()));
    return inLib ? this.checker.getFullyQualifiedName(sym) : undefined;
  }

  /** An object written out member by member (not an array, tuple or library type). */
  private isStructural(t: ts.ObjectType): boolean {
    return !this.checker.isArrayType(t) && !this.checker.isTupleType(t) && this.libName(t) === undefined;
  }

  private objectType(t: ts.ObjectType, indent: string, path: string): string {
    const c = this.checker;
    if (c.isArrayType(t)) {
      const [el] = c.getTypeArguments(t as ts.TypeReference);
      const readonly = t.getSymbol()?.name === 'ReadonlyArray' ? 'readonly ' : '';
      return `${readonly}${this.wrap(el!, indent, path, ts.TypeFlags.Union | ts.TypeFlags.Intersection)}[]`;
    }
    if (c.isTupleType(t)) {
      const ref = t as ts.TypeReference;
      const target = ref.target as ts.TupleType;
      const items = c.getTypeArguments(ref).map((el, i) => {
        const flags = target.elementFlags[i]!;
        const s = this.type(el, indent, `${path}[${i}]`);
        if (flags & ts.ElementFlags.Rest) return `...${s}[]`;
        return flags & ts.ElementFlags.Optional ? `${s}?` : s;
      });
      return `${target.readonly ? 'readonly ' : ''}[${items.join(', ')}]`;
    }
    const lib = this.libName(t);
    if (lib !== undefined) {
      const args = t.objectFlags & ts.ObjectFlags.Reference ? c.getTypeArguments(t as ts.TypeReference) : [];
      const shown = args.slice(0, (t as ts.TypeReference).target?.typeParameters?.length ?? args.length);
      return shown.length ? `${lib}<${shown.map((a, i) => this.type(a, indent, `${path}<${i}>`)).join(', ')}>` : lib;
    }
    const sym = t.getSymbol();
    if (sym && sym.flags & ts.SymbolFlags.Class) this.fail(path, t, `an instance of class ${sym.name}; declare a response schema for the route`);
    const declaredIn = sym?.declarations?.[0]?.getSourceFile().fileName ?? '';
    if (sym && sym.flags & ts.SymbolFlags.Interface && declaredIn.includes('/node_modules/') && !/\/node_modules\/(elysia|@sinclair\/typebox)\//.test(declaredIn)) {
      this.fail(path, t, `${sym.name} from ${declaredIn.slice(declaredIn.lastIndexOf('/node_modules/') + 14)}, a server dependency's type; declare a response schema for the route`);
    }
    return this.object(t, indent, path);
  }

  /** `{ … }` from the checker's view of the members (also merges intersections). */
  private object(t: ts.Type, indent: string, path: string): string {
    const c = this.checker;
    if (this.active.has(t)) this.fail(path, t, 'a recursive type');
    this.active.add(t);
    try {
      if (t.getConstructSignatures().length) this.fail(path, t, 'a constructor type');
      const calls = t.getCallSignatures();
      const props = c.getPropertiesOfType(t);
      const indexes = c.getIndexInfosOfType(t);
      if (calls.length === 1 && !props.length && !indexes.length) return this.signature(calls[0]!, indent, path, ' =>');
      const inner = `${indent}  `;
      const lines: string[] = [];
      for (const sig of calls) lines.push(`${inner}${this.signature(sig, inner, path, ':')};`);
      for (const info of indexes) {
        lines.push(`${inner}${info.isReadonly ? 'readonly ' : ''}[key: ${this.type(info.keyType, inner, path)}]: ${this.type(info.type, inner, `${path}[key]`)};`);
      }
      // Status codes in numeric order; other keys as declared.
      const numeric = (p: ts.Symbol) => /^\d+$/.test(p.name);
      const ordered = props.every(numeric) ? [...props].sort((a, b) => Number(a.name) - Number(b.name)) : props;
      for (const p of ordered) {
        if (p.escapedName.toString().startsWith('__@')) this.fail(`${path}.${p.name}`, t, 'a symbol-keyed property');
        const optional = p.flags & ts.SymbolFlags.Optional ? '?' : '';
        const readonly = p.declarations?.some((d) => ts.getCombinedModifierFlags(d) & ts.ModifierFlags.Readonly) ? 'readonly ' : '';
        const where = `${path}.${p.name}`;
        lines.push(`${inner}${readonly}${propertyName(p.name)}${optional}: ${this.type(c.getTypeOfSymbol(p), inner, where)};`);
      }
      return lines.length ? `{\n${lines.join('\n')}\n${indent}}` : '{}';
    } finally {
      this.active.delete(t);
    }
  }

  private signature(sig: ts.Signature, indent: string, path: string, arrow: ' =>' | ':'): string {
    if (sig.getTypeParameters()?.length) throw new RouteTypeError(path, 'a generic function type');
    const params = sig.getParameters().map((p) => {
      const decl = p.valueDeclaration;
      const rest = decl && ts.isParameter(decl) && decl.dotDotDotToken ? '...' : '';
      const optional = decl && ts.isParameter(decl) && (decl.questionToken || decl.initializer) ? '?' : '';
      return `${rest}${propertyName(p.name)}${optional}: ${this.type(this.checker.getTypeOfSymbol(p), indent, `${path}(${p.name})`)}`;
    });
    return `(${params.join(', ')})${arrow} ${this.type(sig.getReturnType(), indent, `${path}()`)}`;
  }
}
