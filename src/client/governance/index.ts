/**
 * Governance in words (the client layer's governance face): actions, parameters in human units and
 * refusals with advice, for the governance screens and the review of a governance spell.
 */
export {
  describeGovAction,
  formatBlockTime,
  governanceSpellValue,
  PROPOSAL_STATUS,
  relativeTime,
  sharePercent,
} from "./describe.ts";
export {
  boundsText,
  formatDuration,
  formatParameterValue,
  inputText,
  type ParsedParameter,
  parameterInfo,
  parseParameterInput,
  unitLabel,
} from "./parameters.ts";
export { governanceAdvice } from "./refusals.ts";
