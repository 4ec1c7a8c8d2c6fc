export * from './types'
export { recommendations, ruleSetFor, findRule, RULE_SETS, LOOK_BACK_YEARS } from './recommendations'
export { appointmentRecords, reimbursementRecords, recordsOfAct } from './acts'
