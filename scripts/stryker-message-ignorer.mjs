// A Stryker ignorer: mutants that only rewrite the text of an error message are not run.
// A message is asserted by a stable fragment, not whole, so mutating its wording tells nothing
// about behaviour. Only the literal itself is ignored — the message argument of
// `new HardfsError(code, message, …)` and of `new TypeError / RangeError / Error(message)` when
// it is a string or template literal — never the code, the options (path, cause) or a message
// computed by a call or a conditional: those decide behaviour and stay mutated. A template's
// `${…}` parts are inside the literal: keep them to names and calls, and compute any decision
// outside the message (as parseJsonSafe does for "the text ends early").
import { PluginKind, declareValuePlugin } from '@stryker-mutator/api/plugin';

const MESSAGE_ARGUMENT = new Map([
  ['HardfsError', 1],
  ['TypeError', 0],
  ['RangeError', 0],
  ['Error', 0],
]);

export const strykerPlugins = [
  declareValuePlugin(PluginKind.Ignore, 'error-message-text', {
    shouldIgnore(path) {
      if (!path.isStringLiteral() && !path.isTemplateLiteral()) return undefined;
      const parent = path.parentPath;
      if (parent === null || !parent.isNewExpression() || path.listKey !== 'arguments') return undefined;
      const callee = parent.node.callee;
      if (callee.type !== 'Identifier' || MESSAGE_ARGUMENT.get(callee.name) !== path.key) return undefined;
      return `message text of new ${callee.name}(): asserted by fragment, not mutated`;
    },
  }),
];
