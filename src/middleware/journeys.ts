import type { Request } from 'express'
import type { Journeys } from 'express-session'

/**
 * Keeps one journey's data in the session (or, with `undefined`, ends that journey), leaving the
 * other journeys as they are. The journeys and their types: `Journeys` (src/types/session.d.ts and
 * beside each feature's routes).
 */
export function setJourney<K extends keyof Journeys>(req: Pick<Request, 'session'>, name: K, value: Journeys[K] | undefined): void {
  const journeys: Journeys = { ...req.session.journeys }
  if (value === undefined) delete journeys[name]
  else journeys[name] = value
  req.session.journeys = journeys
}
