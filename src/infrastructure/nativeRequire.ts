/**
 * Node's own `require`, which loads ES modules synchronously on Node ≥ 20.19 (oidc-provider,
 * jose and openid-client are ESM only). Taken through `process.getBuiltinModule` so that Jest's
 * module registry (which cannot load ES modules without an experimental flag, and replaces
 * `createRequire`) stays out of the way.
 */
const builtin = process.getBuiltinModule('node:module')
export const nativeRequire: NodeJS.Require = builtin.createRequire(__filename)

/** Object.prototype and Array of the realm where `nativeRequire`d modules live. */
// Object.getPrototypeOf() is typed any: a module object's prototype is Object.prototype,
const NativeObjectPrototype = Object.getPrototypeOf(nativeRequire('node:os')) as object
// and an array's is Array.prototype.
const NativeArray = (Object.getPrototypeOf(builtin.builtinModules) as { constructor: ArrayConstructor }).constructor

function isPlain(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false
  const proto: unknown = Object.getPrototypeOf(v)
  if (proto === null) return true
  return (
    typeof proto === 'object' && 'constructor' in proto && typeof proto.constructor === 'function' && proto.constructor.name === 'Object'
  )
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
  // The copies below have the shape of `value`, which TS cannot follow from T through the copy.
  if (Array.isArray(value)) return NativeArray.from(value, (v: unknown) => toNativeRealm(v)) as T
  if (isPlain(value)) {
    // Object.create() is typed any: a plain object, filled below.
    const out = Object.create(NativeObjectPrototype) as Record<string, unknown>
    for (const [k, v] of Object.entries(value)) out[k] = toNativeRealm(v)
    return out as T // same shape as `value` (see above)
  }
  return value
}
