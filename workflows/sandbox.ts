// Runs once in each workflow thread's shared V8 context, before any workflow exists (the
// bundler's preloadModules; worker/create.ts leaves it out when LANTIAN_WORKFLOW_STACK_TRACES
// is true). The SDK records a stack trace, mapped through the bundle's source map, for every
// promise a workflow creates, so that the Temporal UI can show where a running workflow waits.
// In a whole-season simulation that bookkeeping was a sixth of the worker's CPU. Without frames
// the UI's stack-trace view is empty and a failed workflow task names its error but not the line;
// turn the variable on to debug workflow code.
Error.stackTraceLimit = 0;

export {};
