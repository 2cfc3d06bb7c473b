export { obligationWorkflow } from './obligation';
