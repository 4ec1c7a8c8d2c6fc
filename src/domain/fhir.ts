/**
 * Pure FHIR R4 shapes of the API (issue 8): OperationOutcome for every error, the
 * CapabilityStatement, Patient. JSON only, `application/fhir+json`.
 */
export const FHIR_JSON = 'application/fhir+json'

export type IssueCode = 'invalid' | 'structure' | 'required' | 'value' | 'security' | 'login' | 'forbidden' | 'not-found' | 'not-supported' | 'too-long' | 'throttled' | 'exception' | 'processing' | 'transient'

export interface OperationOutcome {
  resourceType: 'OperationOutcome'
  issue: { severity: 'fatal' | 'error' | 'warning' | 'information'; code: IssueCode; diagnostics?: string; expression?: string[] }[]
}

export function operationOutcome(code: IssueCode, diagnostics: string, severity: 'error' | 'fatal' | 'information' = 'error', expression?: string[]): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: [{ severity, code, diagnostics, ...(expression ? { expression } : {}) }] }
}

export interface PersonIdentity {
  id: string
  lastName: string
  firstNames: string
  sex: string
  birthDate: string
}

export function toPatient(p: PersonIdentity) {
  const given = p.firstNames.split(/\s+/).filter(Boolean)
  return {
    resourceType: 'Patient' as const,
    id: p.id,
    active: true,
    name: [{ use: 'official', family: p.lastName, given }],
    gender: p.sex === 'F' ? 'female' : p.sex === 'M' ? 'male' : 'unknown',
    birthDate: p.birthDate,
  }
}

export function capabilityStatement(opts: { baseUrl: string; issuer: string; date: string; resources: { type: string; interactions: string[]; searchParams?: { name: string; type: string }[] }[] }) {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: opts.date,
    publisher: 'Mon espace santé',
    kind: 'instance',
    implementation: { description: 'API FHIR de Mon espace santé pour les services connectés', url: opts.baseUrl },
    fhirVersion: '4.0.1',
    format: [FHIR_JSON, 'json'],
    rest: [
      {
        mode: 'server',
        security: {
          cors: false,
          service: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'OAuth', display: 'OAuth' }] }],
          description: `OAuth 2.0 (code d'autorisation avec PKCE) : ${opts.issuer}/.well-known/openid-configuration`,
          extension: [
            {
              url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
              extension: [
                { url: 'authorize', valueUri: `${opts.issuer}/auth` },
                { url: 'token', valueUri: `${opts.issuer}/token` },
                { url: 'revoke', valueUri: `${opts.issuer}/token/revocation` },
              ],
            },
          ],
        },
        resource: opts.resources.map((r) => ({
          type: r.type,
          interaction: r.interactions.map((code) => ({ code })),
          ...(r.searchParams ? { searchParam: r.searchParams } : {}),
        })),
      },
    ],
  }
}
