// The time-limit warning (WCAG 2.2.1, RGAA 13.1), an enhancement only: without JavaScript the limit is
// stated in the footer, and a form sent after it is kept for after the new sign-in.
// Pattern of govuk-frontend's and HMRC's timeout dialogs: a modal <dialog> with a heading and a
// description, focus moved into it and given back when it closes, Escape counts as «Rester connecté»,
// the time left announced to screen readers once a minute (not every second).

const plural = (n, one, other) => (n > 1 ? other : one)

/** «2 minutes», «1 minute 30 secondes», «45 secondes». */
export function timeLeftText(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000))
  const min = Math.floor(total / 60)
  const sec = total % 60
  const parts = []
  if (min > 0) parts.push(`${min} ${plural(min, 'minute', 'minutes')}`)
  if (sec > 0 || min === 0) parts.push(`${sec} ${plural(sec, 'seconde', 'secondes')}`)
  return parts.join(' ')
}

function element(tag, attrs = {}, text) {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v)
  if (text !== undefined) el.textContent = text
  return el
}

export function initSessionTimeout(root = document.getElementById('limite-de-session')) {
  if (!root || typeof HTMLDialogElement !== 'function') return
  const assisted = root.dataset.assisted === 'true'
  const warnBefore = Number(root.dataset.warnBeforeMs)
  const url = root.dataset.keepAliveUrl
  const csrf = root.dataset.csrf
  let deadline = Date.now() + Number(root.dataset.remainingMs)
  let warnTimer
  let tick
  let returnFocus
  let lastAnnounced

  const dialog = element('dialog', {
    class: 'mes-timeout-dialog',
    id: 'avertissement-session',
    'aria-modal': 'true',
    'aria-labelledby': 'avertissement-session-titre',
    'aria-describedby': 'avertissement-session-texte',
  })
  const title = element(
    'h2',
    { class: 'govuk-heading-m', id: 'avertissement-session-titre' },
    assisted ? 'La session accompagnée va se terminer' : 'Vous allez être déconnecté',
  )
  const text = element('p', { class: 'govuk-body', id: 'avertissement-session-texte' })
  const countdown = element('span', { class: 'govuk-!-font-weight-bold' })
  // What a screen reader hears: the time left, once a minute and at the end.
  const live = element('p', { class: 'govuk-visually-hidden', 'aria-live': 'polite', id: 'avertissement-session-annonce' })
  const stay = element(
    'button',
    { type: 'button', class: 'govuk-button govuk-!-margin-bottom-0', id: 'rester-connecte' },
    assisted ? 'Continuer la session' : 'Rester connecté',
  )
  const actions = element('div', { class: 'govuk-button-group' })
  actions.append(stay)
  dialog.append(title, text, live, actions)
  document.body.append(dialog)

  const sentence = (left) =>
    assisted
      ? ['Par sécurité, sans activité, la session accompagnée se termine dans ', left, ". Rien ne sera gardé sur l'ordinateur."]
      : ['Par sécurité, sans activité, vous serez déconnecté dans ', left, '. Ce que vous avez saisi dans un formulaire sera gardé.']

  const render = () => {
    const left = deadline - Date.now()
    if (left <= 0) return expired()
    countdown.textContent = timeLeftText(left)
    const minute = Math.ceil(left / 60000)
    if (lastAnnounced !== minute) {
      lastAnnounced = minute
      live.textContent = sentence(timeLeftText(minute * 60000)).join('')
    }
  }

  const expired = () => {
    clearInterval(tick)
    title.textContent = assisted ? 'La session accompagnée est terminée' : 'Vous avez été déconnecté'
    text.textContent = assisted
      ? "Par sécurité, la session s'est terminée. Rien n'est gardé sur cet ordinateur."
      : 'Par sécurité, votre session est fermée. Si vous envoyez le formulaire de cette page, ce que vous avez saisi sera gardé : vous le retrouverez après vous être reconnecté.'
    live.textContent = text.textContent
    stay.textContent = 'Fermer'
    stay.onclick = close
  }

  const schedule = () => {
    clearTimeout(warnTimer)
    warnTimer = setTimeout(open, Math.max(0, deadline - Date.now() - warnBefore))
  }

  function open() {
    if (dialog.open) return
    returnFocus = document.activeElement
    text.replaceChildren(...sentence('').flatMap((part, i) => (i === 1 ? [countdown] : [part])))
    lastAnnounced = undefined
    stay.textContent = assisted ? 'Continuer la session' : 'Rester connecté'
    stay.onclick = keepAlive
    render()
    dialog.showModal()
    stay.focus()
    tick = setInterval(render, 1000)
  }

  function close() {
    clearInterval(tick)
    if (dialog.open) dialog.close()
    if (returnFocus && typeof returnFocus.focus === 'function') returnFocus.focus()
  }

  async function keepAlive() {
    try {
      const res = await fetch(url, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'x-csrf-token': csrf, accept: 'application/json' },
      })
      if (!res.ok) return expired()
      const body = await res.json()
      deadline = Date.now() + Number(body.remainingMs)
      close()
      schedule()
    } catch {
      // The network failed: the dialog stays, the person can try again.
      live.textContent = 'La connexion au service a échoué. Réessayez.'
    }
  }

  // Focus stays in the dialog (its one button): Tab never reaches the page behind or the browser's bar.
  dialog.addEventListener('keydown', (event) => {
    if (event.key === 'Tab') {
      event.preventDefault()
      stay.focus()
    }
  })
  // Escape: the same as «Rester connecté» (never a silent sign-out).
  dialog.addEventListener('cancel', (event) => {
    event.preventDefault()
    if (stay.textContent === 'Fermer') close()
    else keepAlive()
  })
  schedule()
}

initSessionTimeout()
