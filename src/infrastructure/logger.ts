import pino, { type Logger } from 'pino'

/**
 * Paths never written to the log. Bodies are never logged at all (pino-http logs no body);
 * these cover headers and the objects our own code might pass by mistake.
 */
export const REDACT_PATHS = [
  'req.headers.cookie',
  'req.headers.authorization',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  'password',
  '*.password',
  'code',
  '*.code',
  'otp',
  '*.otp',
  'nir',
  '*.nir',
  'body',
  '*.body',
  'email',
  '*.email',
  'token',
  '*.token',
  'text',
  '*.text',
  'html',
  '*.html',
]

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'mon-espace-sante' },
      redact: { paths: REDACT_PATHS, censor: '[masqué]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  )
}

export type { Logger }
