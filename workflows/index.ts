export { obligationWorkflow } from './obligation';
export { documentNumbersWorkflow } from './document-numbers';
export { assessmentWorkflow } from './assessment';
export { digestWorkflow } from './digest';
export { problemWorkflow } from './problem';
