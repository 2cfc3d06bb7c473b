// Preloaded once per workflow thread (unless LANTIAN_WORKFLOW_STACK_TRACES=true): the stack trace the
// SDK records for every promise cost a sixth of the worker's CPU in a whole-season run. Without it the
// UI's stack-trace view is empty; turn the variable on to debug workflow code.
Error.stackTraceLimit = 0;

export {};
