export { obligationWorkflow } from './obligation';
export { documentNumbersWorkflow } from './document-numbers';
export { digestWorkflow } from './digest';
