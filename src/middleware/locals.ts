import type { RequestHandler } from 'express'
import { ACCOUNT_LINKS, NAVIGATION } from '../navigation'
import { sessionTimeoutOf } from './session'
import { de } from '../domain/french'

/** What every page's layout needs: who is signed in, their navigation, a one-time message. */
export const setLocals: RequestHandler = (req, res, next) => {
  const actor = req.actor
  if (actor) {
    const links = ACCOUNT_LINKS[actor.kind]
    res.locals.currentUser = {
      displayName: actor.displayName,
      organisation: actor.kind === 'patient' ? undefined : actor.organisation,
      accountUrl: links.account?.href,
      accountLabel: links.account?.text,
      signOutUrl: links.signOut,
    }
    res.locals.homeUrl = links.home
    if (actor.acting?.as === 'representative')
      res.locals.contextBanner = `Vous consultez le profil ${de(actor.acting.displayName.split(' ')[0])}`
    if (actor.acting?.as === 'carer') res.locals.contextBanner = `Vous agissez en tant qu'aidant ${de(actor.acting.displayName)}`
    res.locals.navigation = NAVIGATION[actor.kind].map((item) => ({
      href: item.href,
      text: item.text,
      active: req.path === item.href || (item.match !== undefined && req.path.startsWith(item.match)),
    }))
  }
  if (req.session?.assisted) res.locals.assisted = req.session.assisted
  // The time limit, stated in every signed-in page (and read by the warning dialog's script).
  if (actor || req.session?.assisted) res.locals.sessionTimeout = sessionTimeoutOf(req)
  if (req.method === 'GET' && req.session?.flash) {
    res.locals.flash = req.session.flash
    delete req.session.flash
  }
  next()
}
