import type * as t from '@babel/types'
import type { BindingSettings, FunctionPolicy } from '../registry/policy'
import type { Fail, FemtoFunction } from './analyze'
import type { Range } from './range'
import { isPolicyDirective, parsePolicyDirective } from '../registry/policy'
import { DIRECTIVE } from './precheck'
import { rangeOf } from './range'

/** What a policy directive (`'femto retries=3 schema=args'`) sets. */
export type DirectiveSettings = FunctionPolicy & BindingSettings

/** The `'use femto'` of a function's own body, if it has one. */
export function markedDirective(fn: t.Function): t.Directive | undefined {
  return fn.body.type === 'BlockStatement' ? fn.body.directives.find(d => d.value.value === DIRECTIVE) : undefined
}

/** The directive and policy strings of a prologue: where the code is hosted, they are removed. */
export function femtoDirectives(directives: t.Directive[]): Range[] {
  return directives.filter(d => d.value.value === DIRECTIVE || isPolicyDirective(d.value.value)).map(rangeOf)
}

/**
 * The settings of a prologue's policy directive. `marked`: whether this prologue's function (or
 * module) is a femto one, as a policy means nothing anywhere else.
 */
export function policyIn(directives: t.Directive[], marked: boolean, fail: Fail): DirectiveSettings | undefined {
  const found = directives.filter(d => isPolicyDirective(d.value.value))
  if (found.length === 0)
    return undefined
  const use = directives.findIndex(d => d.value.value === DIRECTIVE)
  if (use > directives.indexOf(found[0]!))
    fail(`a policy directive ('femto …') must follow 'use femto', not come before it`, found[0]!)
  if (!marked)
    fail(`a policy directive ('femto …') sets the policy of a femto function, so it must follow 'use femto' in the same directive prologue`, found[0]!)
  if (found.length > 1)
    fail(`one policy directive per function (or module): put every setting in one string, e.g. 'femto retries=3 timeoutMs=2000'`, found[1]!)
  try {
    return parsePolicyDirective(found[0]!.value.value)
  }
  catch (error) {
    return fail(`invalid policy directive: ${(error as Error).message}`, found[0]!)
  }
}

/** The module's settings overlaid with the function's own, split into its policy and the bindings it names. */
export function policyAndSchema(...layers: (DirectiveSettings | undefined)[]): Pick<FemtoFunction, 'policy' | 'standardSchema' | 'authHook'> {
  const merged: DirectiveSettings = Object.assign({}, ...layers)
  const { schema, auth, ...policy } = merged
  return { policy: Object.keys(policy).length > 0 ? policy : undefined, standardSchema: schema, authHook: auth }
}

/** A directive string written as a statement outside a prologue would silently do nothing. */
export function rejectStrayDirective(statement: t.ExpressionStatement, fail: Fail): void {
  const e = statement.expression
  const text = e.type === 'StringLiteral'
    ? e.value
    : e.type === 'TemplateLiteral' && e.expressions.length === 0 ? e.quasis[0]!.value.cooked : undefined
  if (text === DIRECTIVE) {
    fail(`'use femto' is not in a directive position here. It must be the first statement of a function body (to make that function a service) or of the module (to make every exported function a service), written as a plain string literal`, statement)
  }
  if (text !== undefined && isPolicyDirective(text))
    fail(`a policy directive ('femto …') must directly follow 'use femto', in the directive prologue before any other statement`, statement)
}
