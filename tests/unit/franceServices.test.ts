import { agentActionLabel, statusView, type StatusFacts } from '../../src/domain/franceServices'

const DAY = 24 * 60 * 60 * 1000
const NOW = new Date('2026-11-24T10:00:00Z')
const base: StatusFacts = {
  state: 'notified',
  notified_at: new Date(NOW.getTime() - 3 * DAY),
  notice_channel: 'email',
  email: 'jean.dupont@courriel.example',
  mobile: '0612345678',
  hasAccount: false,
  activeCodeUntil: new Date(NOW.getTime() + 39 * DAY),
}

describe('what the agent sees', () => {
  it('the label of every agent action', () => {
    expect(agentActionLabel('France Services Montreuil')).toBe(
      'Action réalisée par un conseiller France Services (France Services Montreuil)',
    )
  })

  it.each<[string, Partial<StatusFacts>, { oppose: boolean; close: boolean; newCode: boolean }]>([
    ['notified within 6 weeks', {}, { oppose: true, close: false, newCode: true }],
    ['notified after 6 weeks', { notified_at: new Date(NOW.getTime() - 43 * DAY) }, { oppose: false, close: false, newCode: true }],
    ['opposed', { state: 'opposed' }, { oppose: false, close: false, newCode: true }],
    ['auto-created', { state: 'auto_created' }, { oppose: false, close: true, newCode: true }],
    ['activated', { state: 'activated', hasAccount: true }, { oppose: false, close: true, newCode: false }],
    ['closed', { state: 'closed', hasAccount: true }, { oppose: false, close: false, newCode: false }],
    ['not notified', { state: 'not_notified', notified_at: null, notice_channel: null }, { oppose: false, close: false, newCode: false }],
  ])('%s', (_name, facts, can) => {
    expect(statusView({ ...base, ...facts }, NOW).can).toEqual(can)
  })

  it('the deadline is the notice date + 6 weeks, and says when it has passed', () => {
    const v = statusView(base, NOW)
    expect(v.deadline!.getTime()).toBe(base.notified_at instanceof Date ? base.notified_at.getTime() + 42 * DAY : 0)
    expect(v.deadlinePassed).toBe(false)
    expect(statusView({ ...base, notified_at: new Date(NOW.getTime() - 42 * DAY) }, NOW).deadlinePassed).toBe(true)
  })

  it('contact details are masked, never shown in full', () => {
    const v = statusView(base, NOW)
    expect(v.maskedEmail).toBe('j•••@courriel.example')
    expect(v.maskedMobile).toBe('06 •• •• •• 78')
    expect(JSON.stringify(v)).not.toContain('jean.dupont@')
    expect(JSON.stringify(v)).not.toContain('0612345678')
  })

  it('a code is valid only until it expires', () => {
    expect(statusView(base, NOW).codeValidUntil).not.toBeNull()
    expect(statusView({ ...base, activeCodeUntil: new Date(NOW.getTime() - 1) }, NOW).codeValidUntil).toBeNull()
    expect(statusView({ ...base, activeCodeUntil: null }, NOW).codeValidUntil).toBeNull()
  })

  it('says how the person was informed', () => {
    expect(statusView(base, NOW).noticeChannel).toBe('Par courriel')
    expect(statusView({ ...base, notice_channel: 'post' }, NOW).noticeChannel).toBe('Par courrier postal')
  })
})
