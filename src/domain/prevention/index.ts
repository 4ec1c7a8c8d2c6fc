export * from './types'
export { recommendations, ruleSetFor, findRule, RULE_SETS, LOOK_AHEAD_DAYS, LOOK_BACK_YEARS, CHILDHOOD_UNTIL_AGE } from './recommendations'
export { appointmentRecords, reimbursementRecords, recordsOfAct, labelWords } from './acts'
