// An obligation's statuses as plain data, for workflow code that must not load zod (see
// workflows/state.ts); domain/updates.ts builds the schema and its type from this list.
export const statuses = ['open', 'submitted', 'overdue', 'met', 'met-late', 'waived', 'unmet'] as const;
export const closedStatuses: readonly (typeof statuses)[number][] = ['met', 'met-late', 'waived', 'unmet'];
