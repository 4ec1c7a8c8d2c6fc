export * from './types'
export { recommendations, ruleSetFor, findRule, RULE_SETS, LOOK_AHEAD_DAYS, LOOK_BACK_YEARS } from './recommendations'
