// A TypeDoc plugin (loaded by typedoc.config.mjs): names each module after the specifier users
// import, "hardfs/session-store", instead of its path under src/ ("session-store").
import { readFileSync } from 'node:fs';
import { Converter, ReflectionKind } from 'typedoc';
import { entryPoints } from './entry-points.mjs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

export function load(app) {
  const byPath = new Map(entryPoints(pkg).map((entry) => [entry.name.replace(/\/?index$/, '') || 'index', entry.specifier]));
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const module of context.project.getReflectionsByKind(ReflectionKind.Module)) {
      const specifier = byPath.get(module.name);
      if (specifier) module.name = specifier;
    }
  });
}
