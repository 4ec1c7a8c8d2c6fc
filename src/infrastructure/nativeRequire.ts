import { createRequire } from 'node:module'

/**
 * Node's own `require`, which loads ES modules synchronously on Node ≥ 20.19 (oidc-provider and
 * jose are ESM only). Going through it also keeps those modules out of Jest's module registry,
 * which cannot load ES modules without an experimental flag.
 */
export const nativeRequire = createRequire(__filename)
