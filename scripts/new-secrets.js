#!/usr/bin/env node
// `node scripts/new-secrets.js > .env`: fresh production secrets, one per line, in the .env format
// that docker compose reads (and any process manager that takes an environment file).
// Keep them in a safe (a vault, the orchestrator's secrets): DOCUMENT_MASTER_KEY lost = documents lost.
'use strict'
const crypto = require('node:crypto')

const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 })
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: crypto.randomBytes(8).toString('hex'), use: 'sig', alg: 'RS256' }
const lines = [
  `SESSION_SECRET=${crypto.randomBytes(32).toString('hex')}`,
  `DOCUMENT_MASTER_KEY=${crypto.randomBytes(32).toString('hex')}`,
  `CODE_HASH_KEY=${crypto.randomBytes(32).toString('hex')}`,
  `AUDIT_CHECKPOINT_KEY=${crypto.randomBytes(32).toString('hex')}`,
  `OIDC_SIGNING_KEY='${JSON.stringify(jwk)}'`,
  // The database's passwords in compose.yaml (superuser, owner, application: deploy/postgres-init.sh).
  `POSTGRES_PASSWORD=${crypto.randomBytes(24).toString('hex')}`,
  `MES_OWNER_PASSWORD=${crypto.randomBytes(24).toString('hex')}`,
  `MES_APP_PASSWORD=${crypto.randomBytes(24).toString('hex')}`,
]
process.stdout.write(`# Secrets de production générés le ${new Date().toISOString()} : à garder dans un coffre.\n${lines.join('\n')}\n`)
