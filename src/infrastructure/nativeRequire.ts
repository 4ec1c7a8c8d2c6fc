import type * as NodeModule from 'node:module'

/**
 * Node's own `require`, which loads ES modules synchronously on Node ≥ 20.19 (oidc-provider,
 * jose and openid-client are ESM only). Taken through `process.getBuiltinModule` so that Jest's
 * module registry (which cannot load ES modules without an experimental flag, and replaces
 * `createRequire`) stays out of the way.
 */
const builtin = (process as unknown as { getBuiltinModule(id: string): typeof NodeModule }).getBuiltinModule('node:module')
export const nativeRequire: NodeJS.Require = builtin.createRequire(__filename)

/** Object.prototype and Array of the realm where `nativeRequire`d modules live. */
const NativeObjectPrototype = Object.getPrototypeOf(nativeRequire('node:os')) as object
const NativeArray = (
  Object.getPrototypeOf((nativeRequire('node:module') as typeof NodeModule).builtinModules) as { constructor: ArrayConstructor }
).constructor

function isPlain(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false
  const proto = Object.getPrototypeOf(v) as { constructor?: { name?: string } } | null
  return proto === null || proto.constructor?.name === 'Object'
}

/**
 * A deep copy of plain objects and arrays made in the native realm. Under Jest, objects built by
 * our code come from another realm, and libraries that check `isPlainObject` (oidc-provider) would
 * not recognise them. Outside Jest it returns its argument. Functions and class instances stay as they are.
 */
export function toNativeRealm<T>(value: T): T {
  // Already of the native realm (always the case outside Jest): kept as is, extra properties included.
  if (value !== null && typeof value === 'object') {
    const proto: unknown = Object.getPrototypeOf(value)
    if (proto === NativeArray.prototype || proto === NativeObjectPrototype) return value
  }
  if (Array.isArray(value)) return NativeArray.from(value as unknown[], (v) => toNativeRealm(v)) as T
  if (isPlain(value)) {
    const out = Object.create(NativeObjectPrototype) as Record<string, unknown>
    for (const [k, v] of Object.entries(value)) out[k] = toNativeRealm(v)
    return out as T
  }
  return value
}
