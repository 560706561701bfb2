/** The `bulkQueryOperation` workflow's messages (the API sends them; no workflow code runs here). */
import { defineUpdate } from '@temporalio/workflow';
import type { BulkQueryControl, BulkQueryState } from '../src/domain/bulk-query';

/** Pause, resume or cancel: answers the state after; refused (with the reason) when the state does not allow it. */
export const bulkQueryControlUpdate = defineUpdate<BulkQueryState, [BulkQueryControl]>('control');
