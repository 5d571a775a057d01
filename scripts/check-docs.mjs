// The documented-exports rule, checked on what users' editors read: the built declarations
// (the entry points' dist/**/*.d.ts and the .d.cts they re-export, after `npm run build`),
// through the TypeScript compiler API.
//
// Fails on
//  - an export of any entry point (function, class, variable or constant, interface, type,
//    enum) without a TSDoc comment, and on each public member of an exported class (method,
//    getter/setter, property, constructor), interface or object type (fields, methods) or
//    enum without one;
//  - an export listed in NEEDS_EXAMPLE whose comment has no `@example`;
//  - internal types leaking into the declarations: the text `@internal` (stripInternal should
//    have removed what it marks), a name of INTERNAL_NAMES, or a declaration that the public
//    types use but no entry point exports (users see it in hovers and cannot import it).
//
//   node scripts/check-docs.mjs              check; exit 1 on any problem
//   node scripts/check-docs.mjs --report     the problems grouped by source file; exit 0
//   node scripts/check-docs.mjs --if-enabled what `npm test` runs: the check when
//                                            HARDFS_CHECK_DOCS=1, otherwise counts only
// In every mode the built declarations must type-check (strict): exit 1 if not.
// A comment counts where an editor shows it: a /** */ block that TypeScript attaches to the
// declaration (it does not attach one written mid-line, after another member on that line).
// HARDFS_PACKAGE_ROOT=<dir> checks another package laid out by the same convention.
import { existsSync, readFileSync, readdirSync, realpathSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { entryPoints } from './entry-points.mjs';

// Names that are implementation details wherever they appear in the declarations.
const INTERNAL_NAMES = ['PinnedState', 'ResolvedStoreOptions'];
// Exports (`Class.method` for one method, `Class.*` for every public method of a class) whose
// TSDoc needs an @example: the main entry points of issue 14. A name not exported (yet) is
// listed as a note, not a failure.
const NEEDS_EXAMPLE = [
  'openDir',
  'SafeDir.readFile',
  'SafeDir.writeFile',
  'SafeDir.writeFileAtomic',
  'SafeDir.appendFile',
  'SafeDir.open',
  'SafeDir.mkdir',
  'SafeDir.rm',
  'SafeDir.rename',
  'SafeDir.stat',
  'SafeDir.readdir',
  'SafeDir.openRoot',
  'SafeDir.createWriteStream',
  'writeFileAtomic',
  'readFileNoFollow',
  'parseJsonSafe',
  'KeyedMutex',
  'KeyedMutex.runExclusive',
  'acquireFileLock',
  'withFileLock',
  'openStore',
  'openSessionStore',
  'loadSessionStore',
  'updateSessionStore',
  'updateSessionStoreEntry',
  'readSessionUpdatedAt',
];

// TypeScript's own declaration files (lib.*.d.ts) parsed once per process, however many
// packages are checked (the tests check several).
const libFiles = new Map();
function compilerHost(options) {
  const host = ts.createCompilerHost(options, true);
  const getSourceFile = host.getSourceFile.bind(host);
  const libDir = host.getDefaultLibLocation?.() ?? '';
  host.getSourceFile = (fileName, languageVersion, ...rest) => {
    if (!libDir || !fileName.startsWith(libDir)) return getSourceFile(fileName, languageVersion, ...rest);
    const key = `${fileName}\0${JSON.stringify(languageVersion)}`;
    if (!libFiles.has(key)) libFiles.set(key, getSourceFile(fileName, languageVersion, ...rest));
    return libFiles.get(key);
  };
  return host;
}

/**
 * Runs the check on the package at `root` and returns what it found, as the lines the command
 * prints and its exit status. `mode`: 'check' (fail on any problem), 'report' (list, exit 0
 * unless the declarations do not type-check), 'if-enabled' ('check' when `enabled`, otherwise
 * counts only).
 */
export function checkDocs({ root, mode = 'check', enabled = true }) {
  const reportOnly = mode === 'report';
  if (mode !== 'if-enabled') enabled = true;
  const output = [];
  const log = (line = '') => output.push(line);
  let exitCode = 0;
  const done = (code) => ({ output: output.join('\n'), exitCode: code });
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const entries = entryPoints(pkg);
  const dist = join(root, 'dist');
  const missingBuild = entries.filter((entry) => !existsSync(join(root, entry.files.esmTypes)));
  if (missingBuild.length > 0) {
    log(`check-docs: ${missingBuild.map((entry) => entry.files.esmTypes).join(', ')} missing: run npm run build first`);
    return done(1);
  }

  const compilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: ['node'],
    strict: true,
    noEmit: true,
  };

  // ---- collect the public declarations -------------------------------------------------------

  const program = ts.createProgram({
    rootNames: entries.map((entry) => join(root, entry.files.esmTypes)),
    options: compilerOptions,
    host: compilerHost(compilerOptions),
  });
  const checker = program.getTypeChecker();
  const inDist = (sourceFile) => sourceFile.fileName.startsWith(dist + sep) || sourceFile.fileName.startsWith(`${dist}/`);

  /** One public declaration: `name` as users write it, where it is, whether it has TSDoc. */
  const items = [];
  const exported = new Set(); // symbols reachable from an entry point
  const seen = new Set(); // declarations already listed (an export re-exported by two entries)

  function docOf(node) {
    const docs = ts.getJSDocCommentsAndTags(node).filter(ts.isJSDoc);
    const text = docs.map((doc) => ts.getTextOfJSDocComment(doc.comment) ?? '').join('').trim();
    const tags = docs.flatMap((doc) => [...(doc.tags ?? [])].map((tag) => tag.tagName.text));
    return { text, tags };
  }

  function location(node) {
    const sourceFile = node.getSourceFile();
    const { line } = sourceFile.getLineAndCharacterOfPosition(node.getStart(sourceFile));
    return `${relative(root, sourceFile.fileName)}:${line + 1}`;
  }

  function add(entry, exportName, member, kind, declarations) {
    const first = declarations[0];
    const key = `${location(first)}#${member ?? ''}`;
    if (seen.has(key)) return;
    seen.add(key);
    const docs = declarations.map(docOf);
    items.push({
      entry,
      exportName,
      member,
      name: member === undefined ? exportName : `${exportName}.${member}`,
      kind,
      at: location(first),
      documented: docs.some((doc) => doc.text.length > 0),
      example: docs.some((doc) => doc.tags.includes('example')),
    });
  }

  function memberName(member) {
    if (ts.isConstructorDeclaration(member) || ts.isConstructSignatureDeclaration(member)) return 'constructor';
    if (ts.isCallSignatureDeclaration(member)) return '(call)';
    if (!member.name) return undefined;
    if (ts.isPrivateIdentifier(member.name)) return undefined;
    if (ts.isComputedPropertyName(member.name)) return `[${member.name.expression.getText()}]`;
    return member.name.getText();
  }

  function memberKind(member) {
    if (ts.isMethodDeclaration(member) || ts.isMethodSignature(member)) return 'method';
    if (ts.isGetAccessorDeclaration(member) || ts.isSetAccessorDeclaration(member)) return 'accessor';
    if (ts.isConstructorDeclaration(member) || ts.isConstructSignatureDeclaration(member)) return 'constructor';
    if (ts.isEnumMember(member)) return 'enum member';
    return 'property';
  }

  function addMembers(entry, exportName, members) {
    const byName = new Map();
    for (const member of members) {
      if (ts.isIndexSignatureDeclaration(member) || ts.isSemicolonClassElement?.(member)) continue;
      const modifiers = ts.canHaveModifiers(member) ? (ts.getModifiers(member) ?? []) : [];
      if (modifiers.some((modifier) => modifier.kind === ts.SyntaxKind.PrivateKeyword)) continue;
      const name = memberName(member);
      if (name === undefined) continue;
      // A constructor without parameters adds nothing to document.
      if (ts.isConstructorDeclaration(member) && member.parameters.length === 0) continue;
      const list = byName.get(name) ?? [];
      list.push(member);
      byName.set(name, list);
    }
    for (const [name, declarations] of byName) add(entry, exportName, name, memberKind(declarations[0]), declarations);
  }

  function objectMembers(typeNode) {
    if (ts.isTypeLiteralNode(typeNode)) return [...typeNode.members];
    if (ts.isIntersectionTypeNode(typeNode) || ts.isUnionTypeNode(typeNode)) return typeNode.types.flatMap(objectMembers);
    if (ts.isParenthesizedTypeNode(typeNode)) return objectMembers(typeNode.type);
    return [];
  }

  function kindOf(declaration) {
    if (ts.isClassDeclaration(declaration)) return 'class';
    if (ts.isInterfaceDeclaration(declaration)) return 'interface';
    if (ts.isTypeAliasDeclaration(declaration)) return 'type';
    if (ts.isFunctionDeclaration(declaration)) return 'function';
    if (ts.isEnumDeclaration(declaration)) return 'enum';
    if (ts.isVariableDeclaration(declaration)) return 'const';
    if (ts.isModuleDeclaration(declaration)) return 'namespace';
    return ts.SyntaxKind[declaration.kind];
  }

  for (const entry of entries) {
    const sourceFile = program.getSourceFile(join(root, entry.files.esmTypes));
    const moduleSymbol = sourceFile && checker.getSymbolAtLocation(sourceFile);
    if (!moduleSymbol) continue;
    for (const symbol of checker.getExportsOfModule(moduleSymbol)) {
      const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
      exported.add(target);
      const declarations = (target.declarations ?? []).filter((declaration) => inDist(declaration.getSourceFile()));
      if (declarations.length === 0) continue;
      // Declaration merging (a class and an interface of one name, function overloads): one item.
      add(entry.specifier, symbol.name, undefined, kindOf(declarations[0]), declarations);
      for (const declaration of declarations) {
        if (ts.isClassDeclaration(declaration) || ts.isInterfaceDeclaration(declaration) || ts.isEnumDeclaration(declaration)) {
          addMembers(entry.specifier, symbol.name, declaration.members);
        } else if (ts.isTypeAliasDeclaration(declaration)) {
          addMembers(entry.specifier, symbol.name, objectMembers(declaration.type));
        }
      }
    }
  }

  // ---- the declarations type-check (always enforced) -----------------------------------------
  // stripInternal removes what src/ marks @internal; if the public types still referred to it,
  // users' compilers would report a missing name here.
  const typeErrors = program
    .getSourceFiles()
    .filter(inDist)
    .flatMap((sourceFile) => [...program.getSyntacticDiagnostics(sourceFile), ...program.getSemanticDiagnostics(sourceFile)])
    .map((diagnostic) => {
      const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
      return `${relative(root, diagnostic.file.fileName)}:${line + 1}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ')}`;
    });
  if (typeErrors.length > 0) {
    log(`check-docs: the built declarations do not type-check (${typeErrors.length} errors):`);
    for (const error of typeErrors) log(`  ${error}`);
    exitCode = 1;
  }

  // ---- leaks ---------------------------------------------------------------------------------

  const leaks = [];
  const declarationFiles = [];
  (function walk(dir) {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.d\.[cm]?ts$/.test(entry.name)) declarationFiles.push(path);
    }
  })(dist);
  for (const file of declarationFiles) {
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, index) => {
      const at = `${relative(root, file)}:${index + 1}`;
      if (line.includes('@internal')) leaks.push({ at, what: '`@internal` in the declarations (stripInternal did not remove it)' });
      for (const name of INTERNAL_NAMES) {
        if (new RegExp(`\\b${name}\\b`).test(line)) leaks.push({ at, what: `internal name ${name}` });
      }
    });
  }
  for (const sourceFile of program.getSourceFiles().filter(inDist)) {
    for (const statement of sourceFile.statements) {
      const names = ts.isVariableStatement(statement)
        ? statement.declarationList.declarations.map((declaration) => declaration.name)
        : 'name' in statement && statement.name && ts.isIdentifier(statement.name)
          ? [statement.name]
          : [];
      for (const name of names) {
        const symbol = checker.getSymbolAtLocation(name);
        if (symbol && !exported.has(symbol)) {
          leaks.push({ at: location(statement), what: `${name.text} is in the public types but no entry point exports it` });
        }
      }
    }
  }

  // ---- where each item lives in src/, for the report -----------------------------------------

  const sourceProgram = ts.createProgram({
    rootNames: entries.map((entry) => join(root, entry.source)),
    options: compilerOptions,
    host: compilerHost(compilerOptions),
  });
  const sourceChecker = sourceProgram.getTypeChecker();
  const sourceExports = new Map();
  for (const entry of entries) {
    const sourceFile = sourceProgram.getSourceFile(join(root, entry.source));
    const moduleSymbol = sourceFile && sourceChecker.getSymbolAtLocation(sourceFile);
    if (!moduleSymbol) continue;
    for (const symbol of sourceChecker.getExportsOfModule(moduleSymbol)) {
      const target = symbol.flags & ts.SymbolFlags.Alias ? sourceChecker.getAliasedSymbol(symbol) : symbol;
      const declaration = target.declarations?.[0];
      if (declaration) sourceExports.set(`${entry.specifier}\0${symbol.name}`, declaration);
    }
  }
  function sourceLocation(item) {
    const declaration = sourceExports.get(`${item.entry}\0${item.exportName}`);
    if (!declaration) return undefined;
    if (item.member !== undefined && 'members' in declaration) {
      const member = declaration.members.find((candidate) => memberName(candidate) === item.member);
      if (member) return location(member);
    }
    return location(declaration);
  }

  // ---- verdict -------------------------------------------------------------------------------

  const undocumented = items.filter((item) => !item.documented);
  const exampleProblems = [];
  const exampleNotes = [];
  for (const pattern of NEEDS_EXAMPLE) {
    const [owner, member] = pattern.split('.');
    const matches = items.filter((item) =>
      member === '*' ? item.exportName === owner && item.kind === 'method' : item.name === pattern,
    );
    if (matches.length === 0) exampleNotes.push(pattern);
    for (const item of matches) if (!item.example) exampleProblems.push(item);
  }

  const problems = [
    ...undocumented.map((item) => ({ ...item, what: `${item.name} (${item.kind}) has no TSDoc` })),
    ...exampleProblems.map((item) => ({ ...item, what: `${item.name} (${item.kind}) has no @example` })),
  ];
  const summary =
    `check-docs: ${items.length} public declarations in ${entries.length} entry points: ` +
    `${undocumented.length} without TSDoc, ${exampleProblems.length} without a required @example, ` +
    `${leaks.length} internal-type leaks`;

  if (!enabled) {
    log(`${summary} (not enforced: HARDFS_CHECK_DOCS=1 turns the check on)`);
    return done(exitCode);
  }

  function printGrouped() {
    const groups = new Map();
    for (const problem of problems) {
      const at = sourceLocation(problem) ?? problem.at;
      const file = at.replace(/:\d+$/, '');
      const list = groups.get(file) ?? [];
      list.push({ at, what: problem.what, entry: problem.entry });
      groups.set(file, list);
    }
    for (const file of [...groups.keys()].sort()) {
      const list = groups.get(file).sort((a, b) => Number(a.at.split(':').pop()) - Number(b.at.split(':').pop()));
      log(`\n${file} (${list.length})`);
      for (const { at, what, entry } of list) log(`  ${at.split(':').pop().padStart(5)}  ${what}  [${entry}]`);
    }
    if (leaks.length > 0) {
      log(`\ninternal types in the declarations (${leaks.length})`);
      for (const { at, what } of leaks) log(`  ${at}  ${what}`);
    }
    if (exampleNotes.length > 0) log(`\nnote: NEEDS_EXAMPLE names not exported by any entry point: ${exampleNotes.join(', ')}`);
  }

  log(summary);
  if (problems.length > 0 || leaks.length > 0) {
    printGrouped();
    if (!reportOnly) exitCode = 1;
  } else if (exampleNotes.length > 0) {
    log(`note: NEEDS_EXAMPLE names not exported by any entry point: ${exampleNotes.join(', ')}`);
  }
  return done(exitCode);
}

// As a command (not when imported by the tests).
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = new Set(process.argv.slice(2));
  const mode = args.has('--report') ? 'report' : args.has('--if-enabled') ? 'if-enabled' : 'check';
  // HARDFS_PACKAGE_ROOT: check another package laid out by the same convention.
  const root = process.env.HARDFS_PACKAGE_ROOT ?? fileURLToPath(new URL('..', import.meta.url));
  const { output, exitCode } = checkDocs({ root, mode, enabled: process.env.HARDFS_CHECK_DOCS === '1' });
  console.log(output);
  process.exitCode = exitCode;
}
